import { existsSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { engineConformance } from "./conformance.case.test.js";
import { collect } from "./test-support/collect.js";
import { detectEngine } from "./detect.js";
import { PodmanEngine } from "./podman.js";
import { hostRlimits } from "./podman-body.js";
import { RUNSC_RUNTIME, startPodmanService } from "./podman-service.js";
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

async function detect(dataDir: string) {
  // No well-known sockets and no env: detectEngine must spawn its own service (the "only the binary" path).
  const detected = await detectEngine({
    dataDir,
    sockets: [],
    env: { PATH: process.env.PATH },
    runtimes: [RUNSC_RUNTIME],
  });
  if (detected.source !== "spawned" || detected.kind !== "podman") {
    throw new Error(`expected a spawned podman, got ${detected.source} ${detected.kind}`);
  }
  return detected;
}

/** SIGKILLs every podman service whose pid file is in dataDir, as a crash of gpupool would leave them… dead or orphaned. */
async function killServices(dataDir: string): Promise<void> {
  for (const file of await readdir(dataDir)) {
    if (!file.endsWith(".pid")) continue;
    const pid = Number((await readFile(join(dataDir, file), "utf8")).trim());
    process.kill(pid, "SIGKILL");
  }
}

engineConformance({
  name: "podman (libpod API, service spawned and owned by detectEngine)",
  unavailable: podmanUnavailable(),
  setup: async () => {
    const dataDir = await mkdtemp("/tmp/gpp-");
    let detected = await detect(dataDir);
    await ensureBusyboxImage(detected.engine);
    await mkdir(CDI_DIR, { recursive: true });
    // Atomically (podman reads every *.json in the CDI dirs; a half-written one would be an invalid spec).
    await writeFile(`${CDI_FILE}.tmp`, JSON.stringify(CDI_SPEC));
    await rename(`${CDI_FILE}.tmp`, CDI_FILE);
    return {
      engine: detected.engine,
      image: BUSYBOX_REF,
      enforcesLimits: true,
      ...(existsSync(RUNSC_RUNTIME.path) && !detected.runtimeProblems.runsc
        ? { sandboxRuntime: "runsc" }
        : {}),
      gpu: {
        devices: { cdi: ["test.gpupool.io/gpu=0"], uuids: [] },
        env: ["GPUPOOL_TEST_GPU", "0"],
        deviceNode: "/dev/gpupool-test0",
      },
      async reconnect() {
        // gpupool dies with kill -9: its services die or linger; the containers (run by conmon) live on.
        await detected.engine.close();
        await killServices(dataDir);
        detected = await detect(dataDir);
        return detected.engine;
      },
      async cleanup() {
        await detected.close();
        await rm(CDI_FILE, { force: true });
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  },
});

describe.skipIf(podmanUnavailable() !== undefined && !process.env.CI)(
  "PodmanEngine without the host's workarounds",
  () => {
    it("starts containers when containers.conf lacks the rlimit settings (r_limits from the host's hard limits)", async () => {
      const dir = await mkdtemp("/tmp/gpq-");
      // Without default_ulimits podman asks for nofile=1048576, which fails here (no CAP_SYS_RESOURCE).
      await writeFile(join(dir, "containers.conf"), '[engine]\nevents_logger = "file"\n');
      const service = await startPodmanService({
        socketPath: join(dir, "p.sock"),
        pidFile: join(dir, "p.pid"),
        env: { CONTAINERS_CONF: join(dir, "containers.conf") },
        globalArgs: ["--runtime", "runc", "--cgroup-manager", "cgroupfs"],
      });
      const engine = new PodmanEngine({ socketPath: service.socketPath });
      try {
        const id = await engine.create({
          name: `gp-rlimit-${randomUUID().slice(0, 8)}`,
          image: BUSYBOX_REF,
          command: ["sh", "-c", "ulimit -n"],
        });
        await engine.start(id);
        expect(await engine.wait(id)).toBe(0);
        const [line] = await collect(engine.logs(id));
        expect(Number(line?.text)).toBe(hostRlimits().find((r) => r.type === "nofile")?.hard);
        await engine.remove(id);
      } finally {
        await engine.close();
        await service.stop();
        await rm(dir, { recursive: true, force: true });
      }
    });
  },
);
