import { existsSync } from "node:fs";
import { podmanUnavailable } from "../engines/test-support/availability.js";
import { gpupoolSuite } from "./e2e.case.test.js";

/** Acceptance 1, 2, 3 and 6 against real Podman (libpod API, CDI slices, runsc through its own service). */

const why = podmanUnavailable();
if (why && process.env.CI) throw new Error(`Podman is required in CI: ${why}`);
if (why) console.warn(`skipping the gpupool-up Podman e2e tests: ${why}`);

gpupoolSuite("real Podman", {
  skip: why,
  server: async () => ({ engine: "podman" }),
  sandbox: existsSync("/usr/bin/runsc"),
});
