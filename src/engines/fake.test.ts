import { describe, expect, it } from "vitest";
import { engineConformance } from "./conformance.case.test.js";
import { collect } from "./test-support/collect.js";
import { BUSYBOX_IMAGE, type FakeClock, FakeEngine } from "./fake.js";

const CDI = {
  "test.gpupool.io/gpu=0": { env: { GPUPOOL_TEST_GPU: "0" }, deviceNodes: ["/dev/gpupool-test0"] },
};

engineConformance({
  name: "fake (in memory)",
  setup: async () => {
    let engine = new FakeEngine({ cdiDevices: CDI });
    return {
      engine,
      async reconnect() {
        await engine.close();
        engine = engine.reconnect();
        return engine;
      },
      image: BUSYBOX_IMAGE,
      sandboxRuntime: "runsc",
      gpu: {
        devices: { cdi: ["test.gpupool.io/gpu=0"], uuids: [] },
        env: ["GPUPOOL_TEST_GPU", "0"],
        deviceNode: "/dev/gpupool-test0",
      },
    };
  },
});

/** A clock that only moves when told to: sleeps resolve once advance() passes their deadline. */
class ManualClock implements FakeClock {
  private t = 0;
  private sleepers: { at: number; resolve: () => void }[] = [];
  now(): number {
    return this.t;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const entry = { at: this.t + ms, resolve };
      this.sleepers.push(entry);
      signal?.addEventListener("abort", () => resolve(), { once: true });
    });
  }
  /** Lets the fake's async steps run until n sleeps are pending. */
  async sleeping(n: number): Promise<void> {
    for (let i = 0; i < 1000 && this.sleepers.length < n; i++) await new Promise((r) => setImmediate(r));
    expect(this.sleepers.length).toBe(n);
  }
  async advance(ms: number): Promise<void> {
    this.t += ms;
    const due = this.sleepers.filter((s) => s.at <= this.t);
    this.sleepers = this.sleepers.filter((s) => s.at > this.t);
    for (const s of due) s.resolve();
    await new Promise((r) => setImmediate(r));
  }
}

describe("FakeEngine", () => {
  it("hands out deterministic ids and follows a manual clock", async () => {
    const clock = new ManualClock();
    const engine = new FakeEngine({ clock });
    const id = await engine.create({
      name: "a",
      image: BUSYBOX_IMAGE,
      command: ["sh", "-c", "echo one; sleep 60; echo two"],
    });
    expect(id).toBe("fake-000001");
    await engine.start(id);
    let done = false;
    void engine.wait(id).then(() => {
      done = true;
    });
    await clock.sleeping(1);
    await clock.advance(59_000);
    expect(done).toBe(false);
    await clock.advance(1_000);
    expect(await engine.wait(id)).toBe(0);
    expect((await collect(engine.logs(id))).map((l) => l.text)).toEqual(["one", "two"]);
    expect((await engine.inspect(id))?.finishedAt?.getTime()).toBe(60_000);
  });

  it("behaves like Docker in deviceRequests mode: GPU UUIDs become NVIDIA_VISIBLE_DEVICES, CDI names are refused", async () => {
    const engine = new FakeEngine({ gpuMode: "deviceRequests" });
    expect((await engine.info()).cdi).toBe(false);
    const id = await engine.create({
      name: "g",
      image: BUSYBOX_IMAGE,
      command: ["sh", "-c", "echo $NVIDIA_VISIBLE_DEVICES"],
      gpus: { cdi: [], uuids: ["GPU-a", "GPU-b"] },
    });
    await engine.start(id);
    await engine.wait(id);
    expect((await collect(engine.logs(id))).map((l) => l.text)).toEqual(["GPU-a,GPU-b"]);
    await expect(
      engine.create({ name: "h", image: BUSYBOX_IMAGE, gpus: { cdi: ["nvidia.com/gpu=0"], uuids: [] } }),
    ).rejects.toMatchObject({ code: "GP_ENGINE_UNSUPPORTED" });
  });

  it("fails an operation once on request, on every client of the engine", async () => {
    const engine = new FakeEngine();
    const other = engine.reconnect();
    engine.failNext("start");
    const id = await engine.create({ name: "f", image: BUSYBOX_IMAGE, command: ["true"] });
    await expect(other.start(id)).rejects.toMatchObject({ code: "GP_ENGINE_UNAVAILABLE" });
    await engine.start(id);
    expect(await other.wait(id)).toBe(0);
    await engine.close();
    await expect(engine.list({})).rejects.toMatchObject({ code: "GP_ENGINE_UNAVAILABLE" });
    expect((await other.list({})).map((c) => c.id)).toEqual([id]);
  });

  it("imports an image from a tar stream", async () => {
    const engine = new FakeEngine({ images: {} });
    async function* tar() {
      yield new Uint8Array([1, 2, 3]);
    }
    await engine.importImage("localhost/x:1", tar(), {
      cmd: ["/bin/sh"],
      env: ["PATH=/bin", "CUDA_VERSION=12.4.1"],
    });
    expect((await engine.ensureImage("localhost/x:1")).env).toEqual({ PATH: "/bin", CUDA_VERSION: "12.4.1" });
  });
});
