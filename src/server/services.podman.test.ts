import { podmanUnavailable } from "../engines/test-support/availability.js";
import { serviceSuite } from "./test-support/service-suite.js";

/** Services on real Podman (issue 13, acceptance 3 and 4, and a kill -9): see test-support/service-suite.ts. */

const why = podmanUnavailable();
if (why && process.env.CI) throw new Error(`Podman is required in CI: ${why}`);
if (why) console.warn(`skipping the service tests on Podman: ${why}`);

serviceSuite("real Podman", { skip: why, engine: async () => ({ name: "podman", env: {} }) });
