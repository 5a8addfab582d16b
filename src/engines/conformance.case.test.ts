import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ErrorCode, isGpupoolError } from "../core/errors.js";
import type { ContainerEngine, ContainerSpec, GpuDevices, LogLine } from "./engine.js";
import { collect } from "./test-support/collect.js";

// A shared suite (*.case.test.ts): fake.test.ts, podman.test.ts and docker.test.ts call
// engineConformance() with their own engine factory. vitest.config.ts does not run this file on its
// own, and the build (tsconfig.build.json) leaves it out.

/** One engine set up for the suite. */
export interface EngineUnderTest {
  readonly engine: ContainerEngine;
  /** An image with busybox (sh, cat, ls, sleep, uname, dmesg) and PATH=/bin, e.g. localhost/busybox:latest. */
  readonly image: string;
  /** Whether the kernel really enforces the limits (real engines); the fake only reports them. */
  readonly enforcesLimits?: boolean;
  /** The runtime name that runs gVisor (runsc) on this engine, if it has one. */
  readonly sandboxRuntime?: string;
  /** GPU devices this engine can really inject here, and what a container then sees. */
  readonly gpu?: {
    readonly devices: GpuDevices;
    readonly env: readonly [string, string];
    readonly deviceNode?: string;
  };
  /**
   * Simulates a gpupool crash and restart: abandons the current client (and, for an owned podman
   * service, kills it with SIGKILL) and returns a fresh client for the same engine. Absent when
   * the engine's state does not outlive its client (the fake).
   */
  reconnect?(): Promise<ContainerEngine>;
  /** Called after the suite's own containers are removed. */
  cleanup?(): Promise<void>;
}

export interface ConformanceOptions {
  /** Suite title, e.g. "podman (libpod API)". */
  readonly name: string;
  readonly setup: () => Promise<EngineUnderTest>;
  /**
   * Why the engine is not available here, or undefined when it is. Locally the suite is then
   * skipped with this message; in CI (process.env.CI set) it fails instead.
   */
  readonly unavailable?: string;
}

const TEST_RUN_LABEL = "io.gpupool.test-run";

/**
 * Registers the ContainerEngine conformance tests (see the contracts in engine.ts) for one
 * adapter. Every adapter — fake, podman, docker — runs exactly these.
 */
export function engineConformance(opts: ConformanceOptions): void {
  if (opts.unavailable) {
    if (process.env.CI) {
      describe(`ContainerEngine conformance: ${opts.name}`, () => {
        it("has its engine available (required in CI)", () => {
          throw new Error(`${opts.name} is not available in CI: ${opts.unavailable}`);
        });
      });
    } else {
      console.warn(`[gpupool] skipping ${opts.name} conformance: ${opts.unavailable}`);
      describe.skip(`ContainerEngine conformance: ${opts.name} (skipped: ${opts.unavailable})`, () => {
        it("skipped", () => {});
      });
    }
    return;
  }

  describe(`ContainerEngine conformance: ${opts.name}`, () => {
    let ut: EngineUnderTest;
    let engine: ContainerEngine;
    const run = randomUUID().slice(0, 8);
    let seq = 0;

    beforeAll(async () => {
      ut = await opts.setup();
      engine = ut.engine;
    });

    afterAll(async () => {
      if (!engine) return;
      try {
        for (const c of await engine.list({ [TEST_RUN_LABEL]: run })) await engine.remove(c.id);
      } finally {
        await ut.cleanup?.();
      }
    });

    /** A spec with a fresh name and the suite's label. */
    const spec = (script: string, extra: Partial<ContainerSpec> = {}): ContainerSpec => ({
      name: `gp-conf-${run}-${++seq}`,
      image: ut.image,
      command: ["sh", "-c", script],
      ...extra,
      labels: { [TEST_RUN_LABEL]: run, ...(extra.labels ?? {}) },
    });

    /** Runs to completion: exit code and all log lines. */
    async function runToEnd(s: ContainerSpec): Promise<{ id: string; code: number; lines: LogLine[] }> {
      const id = await engine.create(s);
      await engine.start(id);
      const code = await engine.wait(id);
      return { id, code, lines: await collect(engine.logs(id)) };
    }

    const stdout = (lines: LogLine[]) => lines.filter((l) => l.stream === "stdout").map((l) => l.text);
    const stderr = (lines: LogLine[]) => lines.filter((l) => l.stream === "stderr").map((l) => l.text);

    it("answers ping and reports its kind and version", async () => {
      await engine.ping();
      const info = await engine.info();
      expect(info.kind).toBe(engine.kind);
      expect(info.version).toMatch(/\d/);
      expect(info.runtimes.length).toBeGreaterThan(0);
    });

    it("inspects a local image's env and reports a missing one as undefined", async () => {
      const image = await engine.inspectImage(ut.image);
      expect(image?.env.PATH).toBe("/bin");
      expect(await engine.inspectImage("localhost/gpupool-no-such-image:latest")).toBeUndefined();
      expect((await engine.ensureImage(ut.image, { pull: false })).id).toBe(image?.id);
    });

    it("runs a command to its exit code and reports the exited state", async () => {
      const { id, code } = await runToEnd(spec("echo hi; exit 3"));
      expect(code).toBe(3);
      const state = await engine.inspect(id);
      expect(state).toMatchObject({ id, status: "exited", exitCode: 3 });
      expect(state?.startedAt).toBeInstanceOf(Date);
      // Podman may stamp StartedAt a little after a very short process has finished, so only presence is checked.
      expect(state?.finishedAt).toBeInstanceOf(Date);
    });

    it("passes env to the process and labels to the container", async () => {
      const s = spec('echo "foo=$FOO"; echo "bar=$BAR_2"', {
        env: { FOO: "hello world", BAR_2: "x=y" },
        labels: { "io.gpupool.job": "job-1" },
      });
      const { id, code, lines } = await runToEnd(s);
      expect(code).toBe(0);
      expect(stdout(lines)).toEqual(["foo=hello world", "bar=x=y"]);
      expect((await engine.inspect(id))?.labels).toMatchObject({
        "io.gpupool.job": "job-1",
        [TEST_RUN_LABEL]: run,
      });
    });

    it("limits memory and CPU in the container's cgroup (v1 files)", async () => {
      const s = spec(
        "cat /sys/fs/cgroup/memory/memory.limit_in_bytes; cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us; cat /sys/fs/cgroup/cpu/cpu.cfs_period_us",
        { memoryMiB: 64, cpuMilli: 500 },
      );
      const { code, lines } = await runToEnd(s);
      expect(code).toBe(0);
      expect(stdout(lines)).toEqual([String(64 * 1024 * 1024), "50000", "100000"]);
    });

    it("sets no CPU quota and no memory limit when the spec gives neither", async () => {
      const { code, lines } = await runToEnd(
        spec("cat /sys/fs/cgroup/memory/memory.limit_in_bytes; cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us"),
      );
      expect(code).toBe(0);
      const [memory, quota] = stdout(lines);
      // cgroup v1's "unlimited" is the largest page-aligned 64-bit value (9223372036854771712).
      expect(BigInt(memory ?? "0")).toBeGreaterThan(2n ** 62n);
      expect(quota).toBe("-1");
    });

    it("kills a container that exceeds its memory limit (exit 137)", async (ctx) => {
      if (!ut.enforcesLimits) return ctx.skip("this engine does not enforce limits");
      // tail keeps a whole newline-free 64 MiB "line" in memory; the 16 MiB limit OOM-kills it.
      // (Podman does not set OOMKilled when the victim is not PID 1's own process, so only the code is checked.)
      const { code } = await runToEnd(spec("head -c 67108864 /dev/zero | tail", { memoryMiB: 16 }));
      expect(code).toBe(137);
    });

    it("gives a container only loopback by default (network none)", async () => {
      const { code, lines } = await runToEnd(spec("ls /sys/class/net"));
      expect(code).toBe(0);
      expect(stdout(lines)).toEqual(["lo"]);
    });

    it("streams stdout and stderr while the container runs, ending when it exits", async () => {
      const id = await engine.create(spec("echo first; echo oops >&2; sleep 2; echo last"));
      await engine.start(id);
      const seen: LogLine[] = [];
      let statusAtFirst: string | undefined;
      for await (const line of engine.logs(id, { follow: true })) {
        seen.push(line);
        if (line.text === "first") statusAtFirst = (await engine.inspect(id))?.status;
      }
      expect(statusAtFirst).toBe("running");
      expect(stdout(seen)).toEqual(["first", "last"]);
      expect(stderr(seen)).toEqual(["oops"]);
      expect(await engine.wait(id)).toBe(0);
    });

    it("timestamps log lines on request, in order and within the container's run", async () => {
      const { id } = await runToEnd(spec("echo a; sleep 1; echo b >&2"));
      const state = await engine.inspect(id);
      const lines = await collect(engine.logs(id, { timestamps: true }));
      expect(lines.map((l) => [l.stream, l.text])).toEqual([
        ["stdout", "a"],
        ["stderr", "b"],
      ]);
      const [a, b] = lines.map((l) => l.time?.getTime() ?? Number.NaN) as [number, number];
      expect(b - a).toBeGreaterThanOrEqual(900);
      expect(a).toBeGreaterThanOrEqual((state?.startedAt?.getTime() ?? 0) - 1000);
      expect(b).toBeLessThanOrEqual((state?.finishedAt?.getTime() ?? 0) + 1000);
      expect((await collect(engine.logs(id)))[0]?.time).toBeUndefined();
    });

    it("abandons a wait when its signal aborts, leaving the container running", async () => {
      const id = await engine.create(spec("sleep 30"));
      await engine.start(id);
      const abort = new AbortController();
      const t0 = Date.now();
      setTimeout(() => abort.abort(), 200);
      await expect(engine.wait(id, { signal: abort.signal })).rejects.toThrow();
      expect(Date.now() - t0).toBeLessThan(3000);
      expect((await engine.inspect(id))?.status).toBe("running");
      await engine.remove(id);
    });

    it("stops gracefully: the SIGTERM handler runs within the grace period", async () => {
      const id = await engine.create(spec("trap 'echo got-term; exit 7' TERM; echo ready; sleep 30 & wait"));
      await engine.start(id);
      await waitForLine(engine, id, "ready");
      const t0 = Date.now();
      await engine.stop(id, 10);
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(await engine.wait(id)).toBe(7);
      expect(stdout(await collect(engine.logs(id)))).toContain("got-term");
    });

    it("stops forcibly: SIGKILL (exit 137) once the grace period ends", async () => {
      const id = await engine.create(spec("trap '' TERM; echo ready; sleep 30 & wait"));
      await engine.start(id);
      await waitForLine(engine, id, "ready");
      const t0 = Date.now();
      await engine.stop(id, 1);
      const elapsed = Date.now() - t0;
      expect(elapsed).toBeGreaterThanOrEqual(900);
      expect(elapsed).toBeLessThan(10_000);
      expect(await engine.wait(id)).toBe(137);
      expect((await engine.inspect(id))?.status).toBe("exited");
    });

    it("stop of an exited container succeeds at once", async () => {
      const { id } = await runToEnd(spec("true"));
      const t0 = Date.now();
      await engine.stop(id, 10);
      expect(Date.now() - t0).toBeLessThan(3000);
    });

    it("lists containers by label in every status (created, running, exited)", async () => {
      const group = randomUUID().slice(0, 8);
      const labels = { "io.gpupool.group": group };
      const created = await engine.create(spec("true", { labels }));
      const exited = await runToEnd(spec("true", { labels }));
      const running = await engine.create(spec("sleep 30", { labels }));
      await engine.start(running);
      await engine.create(spec("true", { labels: { "io.gpupool.group": "other" } }));
      const found = await engine.list({ [TEST_RUN_LABEL]: run, "io.gpupool.group": group });
      const byId = new Map(found.map((c) => [c.id, c]));
      expect([...byId.keys()].sort()).toEqual([created, exited.id, running].sort());
      expect(byId.get(created)?.status).toBe("created");
      expect(byId.get(exited.id)?.status).toBe("exited");
      expect(byId.get(running)?.status).toBe("running");
      expect(byId.get(running)?.labels["io.gpupool.group"]).toBe(group);
      expect((await engine.list({ [TEST_RUN_LABEL]: run, "io.gpupool.group": true })).length).toBe(4);
      await engine.remove(running);
    });

    it("removes a container (running too), and removing again is a no-op", async () => {
      const id = await engine.create(spec("sleep 30"));
      await engine.start(id);
      await engine.remove(id);
      expect(await engine.inspect(id)).toBeUndefined();
      expect((await engine.list({ [TEST_RUN_LABEL]: run })).map((c) => c.id)).not.toContain(id);
      await engine.remove(id);
    });

    it("refuses a missing image with GP_IMAGE_NOT_FOUND", async () => {
      const missing = "localhost/gpupool-no-such-image:latest";
      await expectCode(engine.create(spec("true", { image: missing })), "GP_IMAGE_NOT_FOUND");
      await expectCode(engine.ensureImage(missing, { pull: false }), "GP_IMAGE_NOT_FOUND");
    });

    it("refuses a second container with the same name with GP_CONTAINER_EXISTS", async () => {
      const s = spec("true");
      await engine.create(s);
      await expectCode(engine.create(s), "GP_CONTAINER_EXISTS");
    });

    it("reports an unknown container: GP_CONTAINER_NOT_FOUND, inspect undefined", async () => {
      const ghost = `gp-conf-${run}-ghost`;
      expect(await engine.inspect(ghost)).toBeUndefined();
      await expectCode(engine.start(ghost), "GP_CONTAINER_NOT_FOUND");
      await expectCode(engine.stop(ghost, 1), "GP_CONTAINER_NOT_FOUND");
      await expectCode(engine.wait(ghost), "GP_CONTAINER_NOT_FOUND");
      await expectCode(collect(engine.logs(ghost)), "GP_CONTAINER_NOT_FOUND");
    });

    it("refuses an unknown OCI runtime with GP_RUNTIME_UNAVAILABLE", async () => {
      await expectCode(
        (async () => {
          const id = await engine.create(spec("true", { runtime: "gpupool-no-such-runtime" }));
          await engine.start(id);
        })(),
        "GP_RUNTIME_UNAVAILABLE",
      );
    });

    it("runs a sandboxed container under gVisor (runsc)", async (ctx) => {
      if (!ut.sandboxRuntime) return ctx.skip("this engine has no gVisor runtime here");
      const { code, lines } = await runToEnd(
        spec("uname -r; dmesg", { runtime: ut.sandboxRuntime, memoryMiB: 64 }),
      );
      expect(code).toBe(0);
      const out = stdout(lines);
      expect(out[0]).toBe("4.4.0");
      expect(out.some((l) => l.includes("gVisor"))).toBe(true);
    });

    it("stops a sandboxed container gracefully too", async (ctx) => {
      if (!ut.sandboxRuntime) return ctx.skip("this engine has no gVisor runtime here");
      const s = spec("trap 'echo got-term; exit 7' TERM; echo ready; sleep 30 & wait", {
        runtime: ut.sandboxRuntime,
      });
      const id = await engine.create(s);
      await engine.start(id);
      await waitForLine(engine, id, "ready");
      await engine.stop(id, 10);
      expect(await engine.wait(id)).toBe(7);
      expect(stdout(await collect(engine.logs(id)))).toEqual(["ready", "got-term"]);
    });

    // Keep this test last: it replaces the client the others use.
    it("re-adopts its containers after a crash: a new client lists them by label and controls them", async (ctx) => {
      if (!ut.reconnect) return ctx.skip("this engine's containers do not outlive its client");
      const group = randomUUID().slice(0, 8);
      const labels = { "io.gpupool.group": group };
      const running = await engine.create(spec("echo before; sleep 30", { labels }));
      await engine.start(running);
      await waitForLine(engine, running, "before");
      const exited = await runToEnd(spec("exit 4", { labels }));
      const created = await engine.create(
        spec("echo late-start", { labels, ...(ut.sandboxRuntime ? { runtime: ut.sandboxRuntime } : {}) }),
      );

      engine = await ut.reconnect();

      const found = new Map((await engine.list({ "io.gpupool.group": group })).map((c) => [c.id, c.status]));
      expect(Object.fromEntries(found)).toEqual({
        [running]: "running",
        [exited.id]: "exited",
        [created]: "created",
      });
      expect(stdout(await collect(engine.logs(running)))).toEqual(["before"]);
      expect(await engine.wait(exited.id)).toBe(4);
      await engine.start(created);
      expect(await engine.wait(created)).toBe(0);
      expect(stdout(await collect(engine.logs(created)))).toEqual(["late-start"]);
      await engine.stop(running, 1);
      expect(await engine.wait(running)).toBe(137);
    });

    // (Not under gVisor: runsc shows a container none of the host's device nodes, CDI ones included,
    // unless it runs with nvproxy for NVIDIA devices.)
    it("maps plain devices (a /dev/null stand-in at another path)", async () => {
      const devices = [{ hostPath: "/dev/null", containerPath: "/dev/nvidia7" }];
      const script = "test -c /dev/nvidia7 && echo char; echo x > /dev/nvidia7 && echo writable";
      const plain = await runToEnd(spec(script, { devices }));
      expect({ code: plain.code, out: stdout(plain.lines), err: stderr(plain.lines) }).toEqual({
        code: 0,
        out: ["char", "writable"],
        err: [],
      });
    });

    // MPS clients share memory with the GPU's MPS daemon: they need the host's IPC namespace. The
    // engine runs in this test's namespaces (it is started here or shares the host with it).
    it("shares the host's IPC namespace with ipc: host, and only then", async () => {
      const host = readlinkSync("/proc/self/ns/ipc");
      const shared = await runToEnd(spec("readlink /proc/self/ns/ipc", { ipc: "host" }));
      expect({ code: shared.code, out: stdout(shared.lines), err: stderr(shared.lines) }).toEqual({
        code: 0,
        out: [host],
        err: [],
      });
      const own = await runToEnd(spec("readlink /proc/self/ns/ipc"));
      expect(own.code).toBe(0);
      expect(stdout(own.lines)).toEqual([expect.stringMatching(/^ipc:\[\d+\]$/)]);
      expect(stdout(own.lines)[0]).not.toBe(host);
    });

    // How an MPS pipe directory reaches a container on Docker (no CDI there).
    it("bind-mounts a host directory: read-write by default, read-only when asked", async () => {
      const dir = mkdtempSync(join(tmpdir(), "gp-conf-mount-"));
      try {
        writeFileSync(join(dir, "in.txt"), "from-host\n");
        const mounts = [{ hostPath: dir, containerPath: "/mnt/gp" }];
        const rw = await runToEnd(
          spec("cat /mnt/gp/in.txt; echo from-container > /mnt/gp/out.txt; echo rc=$?", { mounts }),
        );
        expect({ code: rw.code, out: stdout(rw.lines), err: stderr(rw.lines) }).toEqual({
          code: 0,
          out: ["from-host", "rc=0"],
          err: [],
        });
        expect(readFileSync(join(dir, "out.txt"), "utf8")).toBe("from-container\n");
        const ro = await runToEnd(
          spec("cat /mnt/gp/in.txt; echo nope > /mnt/gp/ro.txt; echo rc=$?", {
            mounts: [{ ...mounts[0]!, readOnly: true }],
          }),
        );
        expect({ code: ro.code, out: stdout(ro.lines) }).toEqual({ code: 0, out: ["from-host", "rc=1"] });
        expect(existsSync(join(dir, "ro.txt"))).toBe(false);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("injects the requested GPU devices", async (ctx) => {
      const gpu = ut.gpu;
      if (!gpu) return ctx.skip("this engine cannot inject GPU devices on this host");
      const [key, value] = gpu.env;
      const script = `echo "${key}=$${key}"${gpu.deviceNode ? `; ls ${gpu.deviceNode}` : ""}`;
      const { code, lines } = await runToEnd(spec(script, { gpus: gpu.devices }));
      // One comparison, so a failure shows stderr too (e.g. why a device was not injected).
      expect({ code, lines }).toEqual({
        code: 0,
        lines: [`${key}=${value}`, ...(gpu.deviceNode ? [gpu.deviceNode] : [])].map((text) => ({
          stream: "stdout",
          text,
        })),
      });
    });
  });
}

/** Follows the logs until a line with exactly `text` appears (fails after 15 s). */
async function waitForLine(engine: ContainerEngine, id: string, text: string): Promise<void> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 15_000);
  try {
    for await (const line of engine.logs(id, { follow: true, signal: abort.signal })) {
      if (line.text === text) return;
    }
    throw new Error(`container ${id} never printed ${text}`);
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

async function expectCode(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected a GpupoolError ${code}`).toBeDefined();
  expect(isGpupoolError(err) ? err.code : err).toBe(code);
}
