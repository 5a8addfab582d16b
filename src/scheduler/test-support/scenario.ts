import type { NodeSpec } from "../../core/node.js";
import { type QueueInput, queueSpec } from "../../core/queue.js";
import type { Workload } from "../../core/workload.js";
import { type ActionName, type CycleResult, runCycle } from "../actions/cycle.js";
import type { Policy } from "../policies.js";
import { makeScheduler } from "./builders.js";

/**
 * Scheduler scenarios written as data (after KAI-Scheduler's tests): nodes, queues, jobs and the
 * expected placements, cycle by cycle. A step finishes running jobs, submits new ones, runs one cycle
 * and states where jobs are afterwards. Jobs that stay pending carry over to the next step; evicted
 * jobs go back to pending (as the server would resubmit them); the earmark (`held`) is passed on.
 */
export interface Scenario {
  readonly name: string;
  readonly nodes: readonly NodeSpec[];
  readonly queues?: readonly QueueInput[];
  readonly policy?: Policy;
  readonly actions?: readonly ActionName[];
  readonly backfill?: boolean;
  readonly steps: readonly Step[];
}

export interface Step {
  /** Running jobs that finish before this cycle. */
  readonly finish?: readonly string[];
  readonly submit?: readonly Workload[];
  /** job id → node name, or "pending". Only the jobs named are checked. */
  readonly expect: Readonly<Record<string, string>>;
  /** job id → GPU indexes it holds (sorted), for topology checks. */
  readonly expectGpus?: Readonly<Record<string, readonly number[]>>;
  /** Ids evicted by this cycle, in any order. */
  readonly expectEvicted?: readonly string[];
  /** job id → a fragment its pending reason must contain. */
  readonly expectReason?: Readonly<Record<string, string>>;
}

export interface StepOutcome {
  /** Every job submitted so far → node name or "pending". */
  readonly where: Record<string, string>;
  readonly gpus: Record<string, number[]>;
  readonly evicted: string[];
  readonly result: CycleResult;
}

/** Runs every step of the scenario; returns what each step observed (compare with Step.expect*). */
export function runScenario(sc: Scenario): StepOutcome[] {
  const scheduler = makeScheduler(sc.nodes, sc.policy ?? "default");
  const queues = (sc.queues ?? []).map(queueSpec);
  const jobs = new Map<string, Workload>();
  const pending = new Map<string, Workload>();
  const outcomes: StepOutcome[] = [];
  let held: CycleResult["held"] = null;
  for (const step of sc.steps) {
    if (step.finish?.length) {
      const stmt = scheduler.statement();
      for (const id of step.finish) stmt.evict(id);
      stmt.commit();
    }
    for (const w of step.submit ?? []) {
      jobs.set(w.id, w);
      pending.set(w.id, w);
    }
    const result = runCycle(scheduler, {
      pending: [...pending.values()],
      queues,
      ...(sc.actions ? { actions: sc.actions } : {}),
      ...(sc.backfill === undefined ? {} : { backfill: sc.backfill }),
      ...(held ? { held } : {}),
    });
    held = result.held;
    for (const a of result.bind) pending.delete(a.workloadId);
    for (const e of result.evict) pending.set(e.workloadId, jobs.get(e.workloadId)!);
    const where: Record<string, string> = {};
    const gpus: Record<string, number[]> = {};
    for (const id of jobs.keys()) {
      const placed = scheduler.snapshot.placement(id);
      where[id] = placed ? placed.allocation.node : "pending";
      if (placed) gpus[id] = placed.allocation.gpus.map((g) => g.index).sort((a, b) => a - b);
    }
    outcomes.push({ where, gpus, evicted: result.evict.map((e) => e.workloadId).sort(), result });
  }
  return outcomes;
}

/** The observed values for exactly the keys a step names, so a test can compare them with toEqual. */
export function observed(step: Step, out: StepOutcome) {
  const pick = <T>(want: Readonly<Record<string, unknown>> | undefined, have: Record<string, T>) =>
    Object.fromEntries(Object.keys(want ?? {}).map((k) => [k, have[k] ?? "pending"]));
  const reasons: Record<string, string> = {};
  for (const [id, fragment] of Object.entries(step.expectReason ?? {})) {
    const r = out.result.pending.get(id) ?? "(not pending)";
    reasons[id] = r.includes(fragment) ? fragment : r;
  }
  return {
    where: pick(step.expect, out.where),
    gpus: pick(step.expectGpus, out.gpus),
    evicted: step.expectEvicted ? out.evicted : [],
    reasons,
  };
}

export function expected(step: Step) {
  return {
    where: { ...step.expect },
    gpus: { ...(step.expectGpus ?? {}) },
    evicted: [...(step.expectEvicted ?? [])].sort(),
    reasons: { ...(step.expectReason ?? {}) },
  };
}
