import type { ContainerEngine, ContainerSummary } from "../engines/engine.js";
import { instanceFilter, LABELS } from "../engines/labels.js";
import type { MpsControl } from "../node/mps-control.js";
import { inTransaction, type JobRecord, PLACED_STATES, type Store } from "../store/index.js";
import type { Archiver } from "./archiver.js";
import type { Clock } from "../loop/clock.js";
import type { JobRunner } from "./job-runner.js";
import { recoveryAction, retryAfterFailure } from "./lifecycle.js";
import { repairGang, stopIntent } from "./record-end.js";
import type { SliceUpkeep } from "./slice-upkeep.js";
import { sliceFor } from "../node/slice-for.js";

/**
 * Start-up reconciliation after a restart (a crash or kill -9 included): the store says what should
 * run, the engine's labelled containers say what does; lifecycle.ts recoveryAction decides each
 * placed job from those facts and its recorded stop intent.
 * - A placed job whose current-attempt container runs is adopted (keeping its original start time
 *   for timeouts and metering) and watched; a stop that was under way is carried on.
 * - One whose container has exited is finished with its exit code.
 * - One whose attempt never ran is requeued (or Cancelled, when the user had cancelled it).
 * - Containers of this instance that no job owns (old attempts, unknown jobs) are removed.
 * - Gangs whose members' fates diverged are repaired (gang-repair.ts), so none waits forever.
 */
export interface RecoveryReport {
  readonly adopted: string[];
  readonly finished: string[];
  readonly requeued: string[];
  readonly removedContainers: string[];
}

export interface RecoveryParts {
  readonly store: Store;
  readonly engine: ContainerEngine;
  readonly runner: JobRunner;
  readonly upkeep: SliceUpkeep;
  readonly archiver: Archiver;
  readonly node: Parameters<typeof sliceFor>[2];
  readonly mps?: MpsControl;
  readonly instanceId: string;
  readonly clock: Clock;
}

export async function recover(p: RecoveryParts): Promise<RecoveryReport> {
  const { store, engine, runner, upkeep } = p;
  const report: RecoveryReport = { adopted: [], finished: [], requeued: [], removedContainers: [] };
  const containers = await engine.list(instanceFilter(p.instanceId));
  const byJob = new Map<string, ContainerSummary[]>();
  for (const c of containers) {
    const id = c.labels[LABELS.job] ?? "";
    byJob.set(id, [...(byJob.get(id) ?? []), c]);
  }
  const keep = new Set<string>();
  // A job preempted just before the crash is requeued as the stop would have done.
  for (const job of store.jobs.list({ states: ["Preempted"] })) {
    store.jobs.transition(job.id, "Pending", { reason: "requeued after preemption (recovered at restart)" });
    report.requeued.push(job.id);
  }
  // A failed attempt whose retry gpupool did not get to record (the Failed transition is its last event).
  for (const job of store.jobs.list({ states: ["Failed"] })) {
    const last = store.jobs.events(job.id).at(-1);
    if (last?.type !== "transition" || last.to !== "Failed" || (job.reason ?? "").startsWith("timed out"))
      continue;
    const retry = retryAfterFailure(job.spec, job.attempts, p.clock.now());
    if (!retry) continue;
    store.jobs.transition(job.id, "Pending", {
      from: "Failed",
      notBefore: retry.notBefore,
      reason: retry.reason,
    });
    report.requeued.push(job.id);
  }
  for (const job of store.jobs.list({ states: ["Scheduled", "Starting", "Running"] })) {
    const current = (byJob.get(job.id) ?? []).find((c) => c.labels[LABELS.attempt] === String(job.attempts));
    const status = current?.status;
    const action = recoveryAction({
      state: job.state as "Scheduled" | "Starting" | "Running",
      ...(current
        ? {
            container: {
              status:
                status === "created"
                  ? "created"
                  : status === "exited" || status === "dead"
                    ? "exited"
                    : "running",
            },
          }
        : {}),
      ...withStop(store, job),
    });
    if (action.do === "requeue" || action.do === "cancel") {
      if (action.do === "cancel")
        store.jobs.transition(job.id, "Cancelled", { reason: `${action.reason} (its container never ran)` });
      else requeue(store, job, action.reason);
      if (action.do === "requeue") report.requeued.push(job.id);
      continue;
    }
    keep.add(current!.id);
    const slice = job.allocation ? sliceFor(job.id, job.allocation, p.node, p.mps) : undefined;
    if (slice) upkeep.adopt(job.id, slice);
    if (action.do === "finish") {
      const state = await engine.inspect(current!.id);
      await runner.finish(job, current!.id, state?.exitCode ?? 255);
      report.finished.push(job.id);
      continue;
    }
    let adopted = job;
    if (job.state === "Starting") {
      // The attempt's real start (the engine's), not the adoption time: timeouts and metering count from it.
      const state = await engine.inspect(current!.id);
      adopted = inTransaction(store.db, () => {
        if (job.containerId !== current!.id) store.jobs.recordContainer(job.id, current!.id);
        return store.jobs.transition(job.id, "Running", {
          containerId: current!.id,
          reason: "container adopted after restart",
          ...(state?.startedAt ? { startedAt: state.startedAt.getTime() } : {}),
        });
      });
    } else {
      store.jobs.note(job.id, "adopted", `container ${current!.id} adopted after restart`);
    }
    runner.watch(adopted, current!.id);
    report.adopted.push(job.id);
    // A stop that was under way when gpupool died is carried out again.
    if (action.resumeStop) void runner.resumeStop(store.jobs.require(job.id), action.resumeStop);
  }
  // A finished job's last container is its own (its logs are archived, or kept without an archive);
  // everything else of ours is an orphan.
  for (const c of containers) {
    if (keep.has(c.id)) continue;
    const job = store.jobs.get(c.labels[LABELS.job] ?? "");
    const ownsIt =
      job !== undefined &&
      !PLACED_STATES.has(job.state) &&
      job.state !== "Pending" &&
      job.containerId === c.id &&
      c.status !== "running";
    if (ownsIt) {
      // A finished job's container whose logs were not archived yet (gpupool died first).
      if (p.archiver.logs) await p.archiver.archive(job.id, c.id);
      continue;
    }
    await engine.remove(c.id);
    report.removedContainers.push(c.id);
  }
  // Gangs left with waiting members (a member requeued or ended while gpupool was down).
  const gangs = new Set(store.jobs.list({ states: ["Pending"] }).flatMap((j) => (j.gang ? [j.gang] : [])));
  for (const g of gangs) repairGang(store, g);
  upkeep.sync();
  return report;
}

function withStop(store: Store, job: JobRecord) {
  const stop = stopIntent(store, job.id);
  return stop ? { stop } : {};
}

function requeue(store: Store, job: JobRecord, why: string): void {
  if (job.state === "Scheduled") {
    store.jobs.transition(job.id, "Pending", { reason: `requeued at restart: ${why}` });
    return;
  }
  store.jobs.transition(job.id, "Failed", { reason: `lost at restart: ${why}` });
  store.jobs.transition(job.id, "Pending", { from: "Failed", reason: `requeued at restart: ${why}` });
}
