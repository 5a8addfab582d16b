import { PodmanEngine } from "../engines/podman.js";
import { podmanUnavailable } from "../engines/test-support/availability.js";
import { kill9Suite } from "./test-support/kill9-suite.js";

/** Acceptance 4 on real Podman (a podman service the server starts and owns under its data dir). */

const why = podmanUnavailable();
if (why && process.env.CI) throw new Error(`Podman is required in CI: ${why}`);
if (why) console.warn(`skipping the kill -9 test on Podman: ${why}`);

kill9Suite("real Podman", {
  skip: why,
  engine: async () => ({ name: "podman", env: {} }),
  lister: (socketPath) => new PodmanEngine({ socketPath }),
});
