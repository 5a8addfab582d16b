import { queueSpec } from "../core/queue.js";
import type { Workload } from "../core/workload.js";
import { inventoryToNodeSpec } from "../node/node-spec.js";
import { simulateGpus } from "../node/simulate.js";
import { runCycle } from "../scheduler/actions/index.js";
import { policyProfile } from "../scheduler/policies.js";
import { Scheduler } from "../scheduler/scheduler.js";

/**
 * `gpupool demo` (what `npm start` runs until the standalone server lands): one host with simulated
 * GPUs, a scripted stream of jobs through the real scheduler (default policy, queues, gangs,
 * priorities, preemption), printed step by step. Nothing touches real GPUs or containers.
 */

export interface DemoOptions {
  readonly simulate: string;
  readonly out: (line: string) => void;
}

const job = (id: string, o: Partial<Workload> & Pick<Workload, "gpu">): Workload => ({
  cpuMilli: 2000,
  memoryMiB: 8192,
  ...o,
  id,
});

interface Step {
  readonly title: string;
  readonly submit: Workload[];
  readonly finish?: string[];
}

export function runDemo(opts: DemoOptions): void {
  const { out } = opts;
  const inv = simulateGpus(opts.simulate);
  const node = inventoryToNodeSpec(inv, { name: "demo-host", cpuMilli: 64_000, memoryMiB: 512 * 1024 });
  const scheduler = new Scheduler([node], { profile: policyProfile("default"), seed: 1 });
  const queues = [
    queueSpec({ name: "research", weight: 2, guarantee: { gpuMilli: 2000 } }),
    queueSpec({ name: "interns", weight: 1, limit: { gpuMilli: 1000 } }),
  ];
  out(
    `gpupool demo — ${inv.gpus.length} SIMULATED GPUs (${opts.simulate}); no real GPU or container is used`,
  );
  out(
    `host: ${node.name}, ${node.cpuMilli / 1000} CPUs, ${node.memoryMiB / 1024} GiB, driver ${node.driverVersion} (simulated)`,
  );
  out("");

  const share = (milli: number) => ({ kind: "share", milli, memoryMiB: 0 }) as const;
  const steps: Step[] = [
    {
      title: "four notebooks ask for a quarter GPU each: one GPU holds all four",
      submit: ["nb-1", "nb-2", "nb-3", "nb-4"].map((id) => job(id, { gpu: share(250), queue: "interns" })),
    },
    {
      title: "a fifth quarter-GPU notebook: the interns queue is at its 1-GPU limit, so it waits",
      submit: [job("nb-5", { gpu: share(250), queue: "interns" })],
    },
    {
      title: "a 2-member training gang (1 GPU each, NVLink-close) and a 0.5-GPU inference server",
      submit: [
        job("train-0", {
          gpu: { kind: "whole", count: 1 },
          gang: { id: "train", size: 2 },
          queue: "research",
        }),
        job("train-1", {
          gpu: { kind: "whole", count: 1 },
          gang: { id: "train", size: 2 },
          queue: "research",
        }),
        job("infer", { gpu: share(500), queue: "research" }),
      ],
    },
    {
      title: "low-priority batch jobs soak up the idle GPUs; the rest wait",
      submit: Array.from({ length: 6 }, (_, i) =>
        job(`batch-${i}`, { gpu: { kind: "whole", count: 1 }, priority: -100 }),
      ),
    },
    {
      title: "an urgent 2-GPU job (priority 1000) arrives on a full host: it preempts batch work",
      submit: [job("urgent", { gpu: { kind: "whole", count: 2 }, priority: 1000, queue: "research" })],
    },
    { title: "nb-1 finishes: the waiting notebook takes its place", submit: [], finish: ["nb-1"] },
  ];

  const pending = new Map<string, Workload>();
  const all = new Map<string, Workload>();
  for (const [n, step] of steps.entries()) {
    out(`step ${n + 1}: ${step.title}`);
    for (const id of step.finish ?? []) {
      if (!scheduler.snapshot.placement(id)) continue;
      const stmt = scheduler.statement();
      stmt.evict(id);
      stmt.commit();
      out(`  finished ${id}`);
    }
    for (const w of step.submit) {
      pending.set(w.id, w);
      all.set(w.id, w);
    }
    const result = runCycle(scheduler, { pending: [...pending.values()], queues });
    for (const a of result.bind) {
      pending.delete(a.workloadId);
      const gpus = a.gpus
        .map((g) => (g.milli === 1000 ? `GPU${g.index}` : `GPU${g.index}×${g.milli / 1000}`))
        .join(", ");
      out(`  started ${a.workloadId.padEnd(8)} on ${gpus}`);
    }
    for (const e of result.evict) {
      out(`  ${e.reason === "preempt" ? "preempted" : "reclaimed"} ${e.workloadId} for ${e.by}; requeued`);
      pending.set(e.workloadId, all.get(e.workloadId)!);
    }
    for (const [id, reason] of result.pending) out(`  pending ${id.padEnd(8)} ${reason}`);
    out("");
  }

  out("GPU       used   jobs");
  const host = scheduler.snapshot.node("demo-host")!;
  for (let i = 0; i < host.gpuCount; i++) {
    const jobs = [...host.placed.values()]
      .filter((p) => p.allocation.gpus.some((g) => g.index === i))
      .map((p) => p.workload.id);
    const used = ((1000 - host.gpuFree[i]!) / 10).toFixed(0).padStart(3);
    out(
      `GPU${String(i).padEnd(3)}  ${used} %   ${jobs.join(", ") || "-"}   (${node.gpus[i]!.model}, simulated)`,
    );
  }
  out("");
  out(
    "Next: `gpupool sim --policy fgd,default --seeds 42-44` compares the scheduler with FGD on the Alibaba trace.",
  );
}
