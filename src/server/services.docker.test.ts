import { afterAll } from "vitest";
import { DockerEngine } from "../engines/docker.js";
import { dockerUnavailable } from "../engines/test-support/availability.js";
import { ensureBusyboxImage } from "../engines/test-support/busybox-image.js";
import { type PrivateDockerd, startDockerd } from "../engines/test-support/dockerd.js";
import { serviceSuite } from "./test-support/service-suite.js";

/** Services on a real, private dockerd (issue 13, acceptance 3 and 4, and a kill -9): see test-support/service-suite.ts. */

const why = dockerUnavailable();
if (why && process.env.CI) throw new Error(`dockerd is required in CI: ${why}`);
if (why) console.warn(`skipping the service tests on Docker: ${why}`);

let dockerd: PrivateDockerd | undefined;
afterAll(async () => {
  await dockerd?.stop();
}, 60_000);

serviceSuite("real dockerd", {
  skip: why,
  engine: async () => {
    dockerd ??= await startDockerd();
    const engine = new DockerEngine(dockerd.socketPath);
    await ensureBusyboxImage(engine);
    await engine.close();
    return { name: "docker", env: { DOCKER_HOST: `unix://${dockerd.socketPath}` } };
  },
});
