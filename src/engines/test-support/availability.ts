import { findOnPath } from "../detect.js";
import { dockerdBinary } from "./dockerd.js";

/** Why real Podman cannot be tested here, or undefined when it can. */
export function podmanUnavailable(): string | undefined {
  if (!findOnPath("podman", process.env.PATH))
    return "podman is not installed; run `sudo bash .ci/setup-podman.sh` to enable";
  if (process.getuid?.() !== 0) return "the Podman tests run rootful; run them as root";
  return undefined;
}

/** Why a private dockerd cannot be started here, or undefined when it can. */
export function dockerUnavailable(): string | undefined {
  if (!dockerdBinary()) return "dockerd is not installed; run `sudo bash .ci/setup-docker.sh` to enable";
  if (process.getuid?.() !== 0) return "the tests start their own dockerd, which needs root";
  return undefined;
}
