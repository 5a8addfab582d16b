import { afterAll } from "vitest";
import { dockerUnavailable } from "../engines/test-support/availability.js";
import { sharedPrivateDockerd } from "../engines/test-support/dockerd.js";
import { serviceSuite } from "./test-support/service-suite.js";

/** Services on a real, private dockerd (issue 13, acceptance 3 and 4, and a kill -9): see test-support/service-suite.ts. */

const why = dockerUnavailable();
if (why && process.env.CI) throw new Error(`dockerd is required in CI: ${why}`);
if (why) console.warn(`skipping the service tests on Docker: ${why}`);

const dockerd = sharedPrivateDockerd();
afterAll(() => dockerd.stop(), 60_000);

serviceSuite("real dockerd", { skip: why, engine: dockerd.engine });
