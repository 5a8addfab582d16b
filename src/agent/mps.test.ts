import { mkdtempSync, readFileSync, rmSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { NodeSpec } from "../core/node.js";
import { collect } from "../engines/test-support/collect.js";
import { FakeEngine } from "../engines/fake.js";
import { type CdiSpec, cdiSpecFileName } from "../node/cdi.js";
import { MpsControl } from "../node/mps-control.js";
import { inventoryToNodeSpec } from "../node/node-spec.js";
import { simulateGpus } from "../node/simulate.js";
import { type FakeBin, installFakeBins } from "../node/test-support/fake-bin.js";
import { normalizeSpec } from "../api/job-spec.js";
import { type JobRecord, Store } from "../store/index.js";
import { quietLogger } from "../loop/logger.js";
import { NodeAgent } from "./node-agent.js";
import { SliceUpkeep } from "./slice-upkeep.js";
import { sliceFor } from "../node/slice-for.js";

/**
 * MPS shares through the node agent: a fake `nvidia-cuda-mps-control` on PATH stands in for the
 * driver's (no GPU here), the fake engine (Docker-like: GPUs by UUID, bind mounts real) runs the jobs.
 */

const simulated = inventoryToNodeSpec(simulateGpus("2xA100-80GB"), {
  name: "n",
  cpuMilli: 4000,
  memoryMiB: 8192,
});
/** The same GPUs as real ones (what nvidia-smi would report: no `simulated`). */
const node: NodeSpec = { ...simulated, gpus: simulated.gpus.map(({ simulated: _, ...g }) => g) };

let fake: FakeBin;
let root: string;
let controller: NodeAgent | undefined;

beforeEach(() => {
  fake = installFakeBins({ "nvidia-cuda-mps-control": "fake-nvidia-cuda-mps-control.sh" });
  root = mkdtempSync(join(tmpdir(), "gpupool-mps-agent-"));
});
afterEach(async () => {
  await controller?.close();
  controller = undefined;
  fake.cleanup();
  rmSync(root, { recursive: true, force: true });
});

function world(env: NodeJS.ProcessEnv = fake.env) {
  const store = Store.open(":memory:");
  store.tenants.create("t");
  const engine = new FakeEngine({ gpuMode: "deviceRequests" });
  const mps = new MpsControl({ root, env });
  controller = new NodeAgent({
    store,
    engine,
    node,
    instanceId: store.instanceId(),
    mps,
    resyncMs: 50,
    minCycleGapMs: 5,
  });
  controller.start();
  const submit = (name: string, extra: Record<string, unknown> = {}) => {
    const spec = normalizeSpec({
      name,
      image: "localhost/busybox:latest",
      cpu: "100m",
      memory: "64Mi",
      stopGraceSeconds: 1,
      command: ["sh", "-c", "echo pct=$CUDA_MPS_ACTIVE_THREAD_PERCENTAGE; ls $CUDA_MPS_PIPE_DIRECTORY"],
      ...extra,
    });
    const job = store.jobs.submit("t", { name, spec }).job;
    return job;
  };
  const until = async (id: string, pred: (j: JobRecord) => boolean, ms = 10_000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const j = store.jobs.require(id);
      if (pred(j)) return j;
      if (Date.now() > deadline) throw new Error(`job ${id}: ${j.state} (${j.reason})`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  /** `-d` calls of the fake, by the GPU (CUDA_VISIBLE_DEVICES) each was for. */
  const starts = () =>
    fake
      .calls()
      .filter((c) => c.startsWith("mps-control -d"))
      .map((c) => /visible=(\S+)/.exec(c)?.[1]);
  return { store, engine, mps, submit, until, starts };
}

describe("MPS shares in the node agent", () => {
  it("starts each GPU's daemon once for shares launched together, and the clients reach its pipe directory", async () => {
    const w = world();
    const jobs = ["a", "b", "c", "d"].map((n) => w.submit(n, { gpu: 0.5, gpuMemory: "10Gi" }));
    const done = await Promise.all(jobs.map((j) => w.until(j.id, (x) => x.state === "Succeeded")));
    const gpus = [...new Set(done.map((j) => j.allocation!.gpus[0]!.index))].sort();
    expect(gpus).toEqual([0, 1]);
    expect(w.starts().sort()).toEqual(node.gpus.map((g) => g.uuid).sort());
    for (const j of done) {
      const out = (await collect(w.engine.logs(j.containerId!))).map((l) => l.text);
      // 50% of the threads; the daemon's pipe directory (with the fake daemon's state file) is mounted.
      expect(out).toEqual(["pct=50", "fake-mps-control.alive"]);
    }
    // A later share on a GPU whose daemon runs only checks it; one whose daemon died restarts it.
    unlinkSync(join(w.mps.dirs(node.gpus[0]!.uuid!).pipe, "fake-mps-control.alive"));
    unlinkSync(join(w.mps.dirs(node.gpus[1]!.uuid!).pipe, "fake-mps-control.alive"));
    const again = w.submit("e", { gpu: 0.25 });
    const e = await w.until(again.id, (x) => x.state === "Succeeded");
    expect(w.starts()).toHaveLength(3);
    expect(w.starts()[2]).toBe(node.gpus[e.allocation!.gpus[0]!.index]!.uuid);
  });

  it("fails the attempt with GP_MPS_FAILED when the daemon will not start, then follows the restart policy", async () => {
    const w = world({ ...fake.env, FAKE_MPS_START_FAIL: "no CUDA-capable device is detected" });
    const job = w.submit("x", {
      gpu: 0.25,
      restartPolicy: "OnFailure",
      backoffLimit: 1,
      backoffSeconds: 0.05,
    });
    const failed = await w.until(job.id, (j) => j.state === "Failed" && j.attempts === 2);
    expect(failed.reason).toMatch(
      /^could not start: GP_MPS_FAILED: cannot start the MPS control daemon .*no CUDA-capable device/,
    );
    const events = w.store.jobs.events(job.id).filter((e) => e.to === "Failed");
    expect(events.map((e) => e.reason)).toEqual([
      expect.stringMatching(/GP_MPS_FAILED/),
      expect.stringMatching(/GP_MPS_FAILED/),
    ]);
    expect(await w.engine.list({})).toEqual([]);
    // Whole GPUs do not need a daemon.
    const whole = w.submit("w", { gpus: 1, command: ["true"] });
    await w.until(whole.id, (j) => j.state === "Succeeded");
  });

  it("recovery re-derives an adopted share as the same MPS slice (its CDI device keeps the limits and the pipe)", () => {
    const store = Store.open(":memory:");
    store.tenants.create("t");
    const mps = new MpsControl({ root, env: fake.env });
    const cdi = { kind: "gpupool.dev/slice-mpstest", dir: join(root, "cdi") };
    const upkeep = new SliceUpkeep(cdi, mps, quietLogger);
    const spec = normalizeSpec({
      name: "r",
      image: "localhost/busybox:latest",
      gpu: 0.25,
      gpuMemory: "10Gi",
    });
    const job = store.jobs.submit("t", { name: "r", spec }).job;
    const allocation = {
      workloadId: job.id,
      node: "n",
      cpuMilli: 1000,
      memoryMiB: 512,
      gpus: [{ index: 1, milli: 250, memoryMiB: 10_240 }],
    };
    store.jobs.transition(job.id, "Scheduled", { node: "n", allocation });
    const started = store.jobs.transition(job.id, "Starting");
    upkeep.adopt(started.id, sliceFor(started.id, started.allocation!, node, mps)!);
    upkeep.sync();
    const written = JSON.parse(readFileSync(join(cdi.dir, cdiSpecFileName(cdi.kind)), "utf8")) as CdiSpec;
    const pipe = mps.dirs(node.gpus[1]!.uuid!).pipe;
    expect(written.devices).toHaveLength(1);
    expect(written.devices[0]!.containerEdits.env).toEqual(
      expect.arrayContaining([
        "GPUPOOL_SLICE_KIND=mps",
        "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=25",
        "CUDA_MPS_PINNED_DEVICE_MEM_LIMIT=0=10240M",
        `CUDA_MPS_PIPE_DIRECTORY=${pipe}`,
      ]),
    );
    expect(written.devices[0]!.containerEdits.mounts).toEqual([
      { hostPath: pipe, containerPath: pipe, options: ["rbind", "rw"] },
    ]);
  });
});
