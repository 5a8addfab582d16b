import { afterAll } from "vitest";
import { DockerEngine } from "../engines/docker.js";
import { dockerUnavailable } from "../engines/test-support/availability.js";
import { sharedPrivateDockerd } from "../engines/test-support/dockerd.js";
import { kill9Suite } from "./test-support/kill9-suite.js";

/** Acceptance 4 (and 6: the same test) on a real, private dockerd reached through DOCKER_HOST. */

const why = dockerUnavailable();
if (why && process.env.CI) throw new Error(`dockerd is required in CI: ${why}`);
if (why) console.warn(`skipping the kill -9 test on Docker: ${why}`);

const dockerd = sharedPrivateDockerd();
afterAll(() => dockerd.stop(), 60_000);

kill9Suite("real dockerd", {
  skip: why,
  engine: dockerd.engine,
  lister: (socketPath) => new DockerEngine(socketPath),
});
