import { normalizeSpec } from "../../api/job-spec.js";
import { testJob } from "../../server/test-support/server.js";
import { FakeEngine } from "../../engines/fake.js";
import { inventoryToNodeSpec } from "../../node/node-spec.js";
import { simulateGpus } from "../../node/simulate.js";
import { type JobRecord, Store } from "../../store/index.js";
import type { FaultPoint } from "../faults.js";
import { NodeAgent } from "../node-agent.js";

/**
 * A node agent over an in-memory store and the fake engine (real time), for lifecycle tests; a
 * second agent over the same store and engine stands in for gpupool after a kill -9.
 */
export class AgentWorld {
  readonly store = Store.open(":memory:");
  readonly engine = new FakeEngine();
  readonly node;
  private readonly agents: NodeAgent[] = [];

  constructor(gpus = "2xA100-80GB") {
    this.node = inventoryToNodeSpec(simulateGpus(gpus), { name: "n", cpuMilli: 8000, memoryMiB: 16_384 });
    this.store.tenants.create("t");
  }

  /** Starts an agent (recovering first, as `gpupool up` does); `faults` cuts its runner at named points. */
  async agent(faults?: (point: FaultPoint) => void): Promise<NodeAgent> {
    const a = new NodeAgent({
      store: this.store,
      engine: this.engine,
      node: this.node,
      instanceId: this.store.instanceId(),
      resyncMs: 100,
      minCycleGapMs: 5,
      ...(faults ? { faults } : {}),
    });
    this.agents.push(a);
    await a.recover();
    a.start();
    return a;
  }

  submit(
    name: string,
    extra: Record<string, unknown> = {},
    opts: { gang?: string; rank?: number } = {},
  ): JobRecord {
    const spec = normalizeSpec(testJob(name, extra));
    return this.store.jobs.submit("t", {
      name,
      spec: opts.rank === undefined ? spec : { ...spec, rank: opts.rank },
      priority: spec.priority,
      queue: "t",
      ...(opts.gang ? { gang: opts.gang } : {}),
    }).job;
  }

  /** A gang of `replicas` members, as the API submits one. */
  gang(name: string, extra: Record<string, unknown>): JobRecord[] {
    const replicas = Number(extra.replicas);
    return Array.from({ length: replicas }, (_, rank) =>
      this.submit(`${name}-${rank}`, extra, { gang: `g-${name}`, rank }),
    );
  }

  async until(id: string, pred: (j: JobRecord) => boolean, ms = 10_000): Promise<JobRecord> {
    const deadline = Date.now() + ms;
    for (;;) {
      const j = this.store.jobs.require(id);
      if (pred(j)) return j;
      if (Date.now() > deadline)
        throw new Error(`job ${j.name}: ${j.state} (${j.reason}), attempts ${j.attempts}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** The job's transitions as "From→To (reason)". */
  story(id: string): string[] {
    return this.store.jobs
      .events(id)
      .filter((e) => e.type === "transition")
      .map((e) => `${e.from}→${e.to}`);
  }

  /** When the job last entered `state` (its event time). */
  enteredAt(id: string, state: string): number | undefined {
    return this.store.jobs
      .events(id)
      .filter((e) => e.type === "transition" && e.to === state)
      .at(-1)?.at;
  }

  async close(): Promise<void> {
    for (const a of this.agents) await a.close();
    await this.engine.close();
  }
}

/** Thrown by a fault hook: the flow stops there, as at a kill -9. */
export class Crash extends Error {}

/** A fault hook that crashes once at `point` and calls `then` (e.g. to note that it happened). */
export function crashAt(point: FaultPoint, then: () => void = () => {}): (p: FaultPoint) => void {
  let done = false;
  return (p) => {
    if (p !== point || done) return;
    done = true;
    then();
    throw new Crash(`crash at ${point}`);
  };
}
