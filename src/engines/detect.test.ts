import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { detectEngine, findOnPath, unixSocketPath } from "./detect.js";
import { startPodmanService } from "./podman-service.js";
import { podmanUnavailable } from "./test-support/availability.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("detectEngine", () => {
  it("reads unix:// and bare paths, and nothing else, as socket paths", () => {
    expect(unixSocketPath("unix:///run/podman/podman.sock")).toBe("/run/podman/podman.sock");
    expect(unixSocketPath("/var/run/docker.sock")).toBe("/var/run/docker.sock");
    expect(unixSocketPath("tcp://10.0.0.1:2375")).toBeUndefined();
  });

  it("fails with GP_ENGINE_UNAVAILABLE, naming what it tried, when there is no socket and no podman", async () => {
    const dataDir = await mkdtemp("/tmp/gpt-");
    try {
      const err = await detectEngine({
        dataDir,
        env: {},
        sockets: [join(dataDir, "nope.sock")],
        podmanBinary: null,
      }).catch((e) => e);
      expect(err).toMatchObject({ code: "GP_ENGINE_UNAVAILABLE" });
      expect(String(err.message)).toContain("nope.sock: absent");
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("does not fall back to another engine when the one named by DOCKER_HOST is not answering", async () => {
    const dataDir = await mkdtemp("/tmp/gpt-");
    try {
      const err = await detectEngine({
        dataDir,
        env: { DOCKER_HOST: `unix://${join(dataDir, "dead.sock")}`, PATH: process.env.PATH },
        sockets: [],
      }).catch((e) => e);
      expect(err).toMatchObject({ code: "GP_ENGINE_UNAVAILABLE" });
      expect(String(err.message)).toContain("dead.sock: absent");
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("refuses a non-unix DOCKER_HOST", async () => {
    await expect(
      detectEngine({ dataDir: "/tmp", env: { DOCKER_HOST: "tcp://1.2.3.4:2375" }, sockets: [] }),
    ).rejects.toMatchObject({
      code: "GP_ENGINE_UNAVAILABLE",
    });
  });

  it("finds binaries on PATH only when executable", () => {
    expect(findOnPath("sh", "/nonexistent:/bin:/usr/bin")).toMatch(/\/sh$/);
    expect(findOnPath("gpupool-no-such-binary", "/bin:/usr/bin")).toBeUndefined();
  });
});

describe.skipIf(podmanUnavailable() !== undefined && !process.env.CI)("owned podman service", () => {
  it("stops a service a killed gpupool left behind (pid file) before starting a new one, and stops its own on stop()", async () => {
    const dataDir = await mkdtemp("/tmp/gpt-");
    const opts = { socketPath: join(dataDir, "podman.sock"), pidFile: join(dataDir, "podman.pid") };
    try {
      const first = await startPodmanService(opts);
      // gpupool "crashes": first is never stopped; the next start finds its pid file.
      const second = await startPodmanService(opts);
      expect(alive(first.pid)).toBe(false);
      expect(alive(second.pid)).toBe(true);
      await second.stop();
      expect(alive(second.pid)).toBe(false);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("detects the socket of a running podman service through CONTAINER_HOST as podman", async () => {
    const dataDir = await mkdtemp("/tmp/gpt-");
    const service = await startPodmanService({
      socketPath: join(dataDir, "p.sock"),
      pidFile: join(dataDir, "p.pid"),
    });
    try {
      const detected = await detectEngine({
        dataDir,
        env: { CONTAINER_HOST: `unix://${service.socketPath}` },
        sockets: [],
        podmanBinary: null,
      });
      expect([detected.kind, detected.source]).toEqual(["podman", "env"]);
      expect((await detected.engine.info()).cdi).toBe(true);
      await detected.close();
      expect(alive(service.pid)).toBe(true); // not owned by the detection: left running
    } finally {
      await service.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
