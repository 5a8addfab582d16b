import { describe, expect, it } from "vitest";
import { engineConformance } from "./conformance.case.test.js";
import { detectEngine } from "./detect.js";
import { DockerEngine } from "./docker.js";
import { dockerUnavailable } from "./test-support/availability.js";
import { BUSYBOX_REF, ensureBusyboxImage } from "./test-support/busybox-image.js";
import { startDockerd } from "./test-support/dockerd.js";

const unavailable = dockerUnavailable();

engineConformance({
  name: "docker (Engine API v1.41, private dockerd)",
  unavailable,
  setup: async () => {
    const dockerd = await startDockerd();
    const engine = new DockerEngine(dockerd.socketPath);
    try {
      // A fresh data-root has no images: this builds localhost/busybox:latest with `docker import` semantics.
      if (!(await ensureBusyboxImage(engine)))
        throw new Error("a fresh dockerd should not have the busybox image yet");
    } catch (err) {
      await engine.close();
      await dockerd.stop();
      throw err;
    }
    let current = engine;
    return {
      engine,
      image: BUSYBOX_REF,
      enforcesLimits: true,
      async reconnect() {
        // gpupool restarts; dockerd (and so the containers) keeps running.
        await current.close();
        current = new DockerEngine(dockerd.socketPath);
        return current;
      },
      ...(dockerd.runtimes.includes("runsc") ? { sandboxRuntime: "runsc" } : {}),
      // No NVIDIA toolkit here: DeviceRequests fail ("could not select device driver"); the body is unit-tested.
      async cleanup() {
        await current.close();
        await dockerd.stop();
      },
    };
  },
});

describe.skipIf(unavailable !== undefined && !process.env.CI)(
  "DockerEngine GPU requests on a host without the NVIDIA toolkit",
  () => {
    it("dockerd accepts the DeviceRequest and, at start, asks for the nvidia driver by name", async () => {
      const dockerd = await startDockerd();
      const engine = new DockerEngine(dockerd.socketPath);
      try {
        await ensureBusyboxImage(engine);
        const id = await engine.create({
          name: "gp-gpu-request",
          image: BUSYBOX_REF,
          command: ["true"],
          gpus: { cdi: [], uuids: ["GPU-00000000-0000-0000-0000-000000000000"] },
        });
        // The real path on GPU hosts; here the toolkit is missing, which proves dockerd read our request.
        const err = await engine.start(id).catch((e) => e);
        expect(err).toMatchObject({ code: "GP_ENGINE_ERROR" });
        expect(String(err.message)).toContain('could not select device driver "nvidia"');
      } finally {
        await engine.close();
        await dockerd.stop();
      }
    });
  },
);

describe.skipIf(unavailable !== undefined && !process.env.CI)("detectEngine with Docker", () => {
  it("finds a dockerd through DOCKER_HOST and tells it from Podman by probing", async () => {
    const dockerd = await startDockerd();
    try {
      const detected = await detectEngine({
        dataDir: `${dockerd.dir}/gp`,
        env: { DOCKER_HOST: `unix://${dockerd.socketPath}` },
        sockets: [],
        podmanBinary: null,
        runtimes: [{ name: "kata", path: "/opt/kata/bin/kata-runtime" }],
      });
      try {
        expect([detected.kind, detected.source, detected.socketPath]).toEqual([
          "docker",
          "env",
          dockerd.socketPath,
        ]);
        expect(detected.runtimeProblems.kata).toMatch(/daemon.json/);
        await detected.engine.ping();
      } finally {
        await detected.close();
      }
    } finally {
      await dockerd.stop();
    }
  });
});
