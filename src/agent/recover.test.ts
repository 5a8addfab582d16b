import { afterEach, describe, expect, it } from "vitest";
import type { Allocation } from "../core/allocation.js";
import { FakeEngine } from "../engines/fake.js";
import { instanceFilter, jobLabels } from "../engines/labels.js";
import { inventoryToNodeSpec } from "../node/node-spec.js";
import { simulateGpus } from "../node/simulate.js";
import { normalizeSpec } from "../api/job-spec.js";
import { Store } from "../store/index.js";
import { NodeAgent } from "./node-agent.js";

/** Start-up reconciliation after a crash, case by case, over the fake engine and an in-memory store. */

const node = inventoryToNodeSpec(simulateGpus("1xA100-80GB"), { name: "n", cpuMilli: 2000, memoryMiB: 4096 });
const alloc = (id: string): Allocation => ({
  workloadId: id,
  node: "n",
  cpuMilli: 100,
  memoryMiB: 64,
  gpus: [{ index: 0, milli: 250, memoryMiB: 0 }],
});

describe("recover", () => {
  let controller: NodeAgent | undefined;
  afterEach(async () => {
    await controller?.close();
  });

  async function world() {
    const store = Store.open(":memory:");
    store.tenants.create("t");
    const engine = new FakeEngine();
    const instance = store.instanceId();
    controller = new NodeAgent({ store, engine, node, instanceId: instance, resyncMs: 50, minCycleGapMs: 5 });
    const job = (name: string, command: string[]) => {
      const spec = normalizeSpec({
        name,
        image: "localhost/busybox:latest",
        command,
        gpu: 0.25,
        cpu: "100m",
        memory: "64Mi",
        stopGraceSeconds: 1,
      });
      return store.jobs.submit("t", { name, spec }).job;
    };
    /** A job brought to Running with a container of its current attempt running `command`. */
    const running = async (name: string, command: string[]) => {
      const j = job(name, command);
      store.jobs.transition(j.id, "Scheduled", { node: "n", allocation: alloc(j.id) });
      const started = store.jobs.transition(j.id, "Starting");
      const id = await engine.create({
        name: `c-${name}`,
        image: "localhost/busybox:latest",
        command,
        labels: jobLabels(instance, j.id, started.attempts, "t"),
      });
      await engine.start(id);
      store.jobs.transition(j.id, "Running", { containerId: id });
      return { job: j, containerId: id };
    };
    return { store, engine, instance, job, running };
  }

  it("adopts a running container, finishes an exited one, requeues lost and Scheduled jobs, removes orphans", async () => {
    const w = await world();
    const live = await w.running("live", ["sleep", "30"]);
    const exited = await w.running("exited", ["sh", "-c", "exit 5"]);
    await w.engine.wait(exited.containerId);
    const lost = await w.running("lost", ["sleep", "30"]);
    await w.engine.remove(lost.containerId);
    const scheduled = w.job("scheduled", ["true"]);
    w.store.jobs.transition(scheduled.id, "Scheduled", { node: "n", allocation: alloc(scheduled.id) });
    const orphan = await w.engine.create({
      name: "orphan",
      image: "localhost/busybox:latest",
      labels: jobLabels(w.instance, "j-unknown", 1, "t"),
    });
    const foreign = await w.engine.create({
      name: "foreign",
      image: "localhost/busybox:latest",
      labels: jobLabels("another-instance", "j-x", 1, "t"),
    });

    const report = await controller!.recover();
    expect(report.adopted).toEqual([live.job.id]);
    expect(report.finished).toEqual([exited.job.id]);
    expect(report.requeued.sort()).toEqual([lost.job.id, scheduled.id].sort());
    expect(report.removedContainers).toEqual([orphan]);
    expect(w.store.jobs.get(live.job.id)!.state).toBe("Running");
    expect(w.store.jobs.get(exited.job.id)).toMatchObject({ state: "Failed", exitCode: 5 });
    expect(w.store.jobs.get(lost.job.id)!.state).toBe("Pending");
    expect(w.store.jobs.get(scheduled.id)!.state).toBe("Pending");
    expect(await w.engine.inspect(foreign)).toBeDefined();
  });

  it("an attempt begun but not created, and one created but not started, are requeued and run once", async () => {
    const w = await world();
    // Bound in a cycle (Scheduled → Starting in one commit), killed before the launch created anything.
    const bound = w.job("bound", ["true"]);
    w.store.jobs.transition(bound.id, "Scheduled", { node: "n", allocation: alloc(bound.id) });
    w.store.jobs.transition(bound.id, "Starting");
    // Killed between create and start: a container labelled with the attempt, never started.
    const created = w.job("created", ["true"]);
    w.store.jobs.transition(created.id, "Scheduled", { node: "n", allocation: alloc(created.id) });
    const attempt = w.store.jobs.transition(created.id, "Starting").attempts;
    const stale = await w.engine.create({
      name: "c-created",
      image: "localhost/busybox:latest",
      labels: jobLabels(w.instance, created.id, attempt, "t"),
    });

    const report = await controller!.recover();
    expect(report.requeued.sort()).toEqual([bound.id, created.id].sort());
    expect(report.removedContainers).toEqual([stale]);
    expect(w.store.jobs.require(bound.id).reason).toMatch(/no container of this attempt exists/);
    controller!.start();
    for (const id of [bound.id, created.id]) {
      for (let i = 0; i < 200 && w.store.jobs.require(id).state !== "Succeeded"; i++)
        await new Promise((r) => setTimeout(r, 10));
      const done = w.store.jobs.require(id);
      expect(done).toMatchObject({ state: "Succeeded", attempts: 2 });
      const started = w.store.jobs.events(id).filter((e) => e.to === "Running");
      expect(started).toHaveLength(1);
    }
    expect((await w.engine.list(instanceFilter(w.instance))).map((c) => c.id)).not.toContain(stale);
  });

  it("a stop that was under way when gpupool died ends as that stop (Cancelled), not as a failure", async () => {
    const w = await world();
    const r = await w.running("stopping", ["sh", "-c", "exit 143"]);
    await w.engine.wait(r.containerId);
    w.store.jobs.note(r.job.id, "stopping", "cancel: stopped by t");
    await controller!.recover();
    expect(w.store.jobs.get(r.job.id)).toMatchObject({
      state: "Cancelled",
      reason: "stopped by t",
      exitCode: 143,
    });
  });

  it("a preemption under way when gpupool died is re-issued and the job requeued", async () => {
    const w = await world();
    const r = await w.running("victim", ["sleep", "30"]);
    w.store.jobs.note(r.job.id, "stopping", "preempt: preempted by j-vip");
    await controller!.recover();
    controller!.start();
    for (let i = 0; i < 300 && w.store.jobs.require(r.job.id).attempts < 2; i++)
      await new Promise((r) => setTimeout(r, 10));
    await controller!.settle();
    const events = w.store.jobs.events(r.job.id).filter((e) => e.type === "transition");
    expect(events.map((e) => e.reason)).toContain("requeued (preempted by j-vip)");
    expect(events.some((e) => e.to === "Preempted")).toBe(true);
    // The old attempt's container is gone; the requeued job was placed again as attempt 2.
    expect(await w.engine.inspect(r.containerId)).toBeUndefined();
    expect(w.store.jobs.get(r.job.id)!.attempts).toBe(2);
  }, 20_000);

  it("a failed attempt whose retry was not recorded before the crash is retried; one out of retries is not", async () => {
    const w = await world();
    const mk = (name: string, attempts: number) => {
      const spec = normalizeSpec({
        name,
        image: "localhost/busybox:latest",
        command: ["true"],
        cpu: "100m",
        memory: "64Mi",
        restartPolicy: "OnFailure",
        backoffLimit: 1,
        backoffSeconds: 0,
      });
      let j = w.store.jobs.submit("t", { name, spec }).job;
      for (let a = 0; a < attempts; a++) {
        if (a > 0) w.store.jobs.transition(j.id, "Pending");
        w.store.jobs.transition(j.id, "Scheduled", { node: "n", allocation: alloc(j.id) });
        w.store.jobs.transition(j.id, "Starting");
        j = w.store.jobs.transition(j.id, "Failed", { reason: "exit code 1", exitCode: 1 });
      }
      return j;
    };
    const due = mk("due", 1);
    const spent = mk("spent", 2);
    await controller!.recover();
    expect(w.store.jobs.get(due.id)!.state).toBe("Pending");
    expect(w.store.jobs.get(spent.id)!.state).toBe("Failed");
  });
});
