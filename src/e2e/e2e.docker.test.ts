import { existsSync } from "node:fs";
import { afterAll } from "vitest";
import { DockerEngine } from "../engines/docker.js";
import { dockerUnavailable } from "../engines/test-support/availability.js";
import { type PrivateDockerd, startDockerd } from "../engines/test-support/dockerd.js";
import { gpupoolSuite } from "./e2e.case.test.js";

/**
 * Acceptance 6: the same suite against a real dockerd (a private one on its own socket, runsc
 * registered). Docker has no CDI: simulated slices reach containers as env plus /dev/null stand-in
 * device nodes (plain device mappings), real ones as DeviceRequests.
 */

const why = dockerUnavailable();
if (why && process.env.CI) throw new Error(`dockerd is required in CI: ${why}`);
if (why) console.warn(`skipping the gpupool-up Docker e2e tests: ${why}`);

let dockerd: PrivateDockerd | undefined;
afterAll(async () => {
  await dockerd?.stop();
}, 60_000);

gpupoolSuite("real dockerd", {
  skip: why,
  server: async () => {
    dockerd ??= await startDockerd();
    return { engineInstance: new DockerEngine(dockerd.socketPath) };
  },
  sandbox: existsSync("/usr/bin/runsc"),
});
