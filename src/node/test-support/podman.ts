import { accessSync, constants, mkdirSync } from "node:fs";
import { runCommand } from "../run-command.js";

/**
 * Whether tests can use real Podman here. In CI (`CI` set) a missing Podman is a failure, not a skip:
 * .ci/setup-podman.sh installs it and builds localhost/busybox:latest. Locally the tests skip with
 * the reason, which says how to enable them.
 */
export interface PodmanAvailability {
  readonly ok: boolean;
  readonly reason: string;
}

export const PODMAN_IMAGE = "localhost/busybox:latest";

export async function podmanAvailability(cdiDir = "/etc/cdi"): Promise<PodmanAvailability> {
  const how = "run `sudo bash .ci/setup-podman.sh` to install Podman and build localhost/busybox:latest";
  try {
    const v = await runCommand("podman", ["--version"], { timeoutMs: 10_000 });
    if (v.code !== 0) return { ok: false, reason: `podman --version failed: ${v.stderr.trim()}; ${how}` };
  } catch {
    return { ok: false, reason: `podman is not installed; ${how}` };
  }
  const img = await runCommand("podman", ["image", "exists", PODMAN_IMAGE], { timeoutMs: 20_000 });
  if (img.code !== 0) return { ok: false, reason: `image ${PODMAN_IMAGE} is missing; ${how}` };
  try {
    mkdirSync(cdiDir, { recursive: true });
    accessSync(cdiDir, constants.W_OK);
  } catch {
    return { ok: false, reason: `${cdiDir} is not writable (CDI specs go there; run the tests as root)` };
  }
  return { ok: true, reason: "" };
}
