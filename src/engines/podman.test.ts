import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { engineConformance } from "./conformance.js";
import { detectEngine } from "./detect.js";
import { RUNSC_RUNTIME } from "./podman-service.js";
import { podmanUnavailable } from "./test-support/availability.js";
import { BUSYBOX_REF, ensureBusyboxImage } from "./test-support/busybox-image.js";

/** A CDI spec for a pretend GPU: env plus a device node backed by /dev/null (ENVIRONMENT.md: CDI 0.5.0). */
const CDI_DIR = "/var/run/cdi";
const CDI_FILE = join(CDI_DIR, "gpupool-engines-test.json");
const CDI_SPEC = {
  cdiVersion: "0.5.0",
  kind: "test.gpupool.io/gpu",
  devices: [
    {
      name: "0",
      containerEdits: {
        env: ["GPUPOOL_TEST_GPU=0"],
        deviceNodes: [{ path: "/dev/gpupool-test0", hostPath: "/dev/null" }],
      },
    },
  ],
};

engineConformance({
  name: "podman (libpod API, service spawned and owned by detectEngine)",
  unavailable: podmanUnavailable(),
  setup: async () => {
    const dataDir = await mkdtemp("/tmp/gpp-");
    // No well-known sockets and no env: detectEngine must spawn its own service (the "only the binary" path).
    const detected = await detectEngine({
      dataDir,
      sockets: [],
      env: { PATH: process.env.PATH },
      runtimes: [RUNSC_RUNTIME],
    });
    if (detected.source !== "spawned" || detected.kind !== "podman")
      throw new Error(`expected a spawned podman, got ${detected.source} ${detected.kind}`);
    await ensureBusyboxImage(detected.engine);
    await mkdir(CDI_DIR, { recursive: true });
    await writeFile(CDI_FILE, JSON.stringify(CDI_SPEC));
    return {
      engine: detected.engine,
      image: BUSYBOX_REF,
      ...(existsSync(RUNSC_RUNTIME.path) && !detected.runtimeProblems.runsc
        ? { sandboxRuntime: "runsc" }
        : {}),
      gpu: {
        devices: { cdi: ["test.gpupool.io/gpu=0"], uuids: [] },
        env: ["GPUPOOL_TEST_GPU", "0"],
        deviceNode: "/dev/gpupool-test0",
      },
      async cleanup() {
        await detected.close();
        await rm(CDI_FILE, { force: true });
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  },
});
