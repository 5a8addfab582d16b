import type { ContainerEngine, ContainerSummary } from "../engines/engine.js";
import { LABELS, instanceFilter } from "../engines/labels.js";
import { type JobRecord, PLACED_STATES, type Store } from "../store/index.js";
import { type Controller, stopIntent } from "./controller.js";

/**
 * Start-up reconciliation after a restart (a crash or kill -9 included): the store says what should
 * run, the engine's labelled containers say what does.
 * - A placed job whose current-attempt container runs is adopted (Starting → Running) and watched.
 * - One whose container has exited is finished with its exit code.
 * - One with no container (or one never started) is requeued, as is a Scheduled one: its attempt never
 *   ran, or its outcome is unknown — nothing is forgotten and no attempt runs twice.
 * - Containers of this instance that no job owns (old attempts, unknown jobs) are removed.
 */
export interface RecoveryReport {
  readonly adopted: string[];
  readonly finished: string[];
  readonly requeued: string[];
  readonly removedContainers: string[];
}

export async function recover(
  store: Store,
  engine: ContainerEngine,
  controller: Controller,
  instanceId: string,
): Promise<RecoveryReport> {
  const report: RecoveryReport = { adopted: [], finished: [], requeued: [], removedContainers: [] };
  const containers = await engine.list(instanceFilter(instanceId));
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
    if (last?.type === "transition" && last.to === "Failed" && !(job.reason ?? "").startsWith("timed out")) {
      controller.retry(job);
      if (store.jobs.get(job.id)?.state === "Pending") report.requeued.push(job.id);
    }
  }
  for (const job of store.jobs.list({ states: ["Scheduled", "Starting", "Running"] })) {
    const current = (byJob.get(job.id) ?? []).find((c) => c.labels[LABELS.attempt] === String(job.attempts));
    if (job.state === "Scheduled" || !current || current.status === "created") {
      requeue(
        store,
        job,
        current
          ? "its container never started"
          : "no container of this attempt exists (not created yet, or removed)",
      );
      report.requeued.push(job.id);
      continue;
    }
    keep.add(current.id);
    if (current.status === "exited" || current.status === "dead") {
      const state = await engine.inspect(current.id);
      controller.adoptSlice(job);
      await controller.finish(job.id, current.id, state?.exitCode ?? 255);
      report.finished.push(job.id);
      continue;
    }
    if (job.state === "Starting") {
      if (job.containerId !== current.id) store.jobs.recordContainer(job.id, current.id);
      store.jobs.transition(job.id, "Running", {
        containerId: current.id,
        reason: "container adopted after restart",
      });
    } else {
      store.jobs.note(job.id, "adopted", `container ${current.id} adopted after restart`);
    }
    controller.adoptSlice(job);
    controller.watch(job.id, current.id);
    report.adopted.push(job.id);
    // A stop that was under way when gpupool died is carried out again.
    const intent = stopIntent(store, job.id);
    if (intent) void controller.stopJob(job.id, intent.kind, intent.reason);
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
      if (controller.opts.logs) await controller.archive(job.id, c.id);
      continue;
    }
    await engine.remove(c.id);
    report.removedContainers.push(c.id);
  }
  controller.syncCdi();
  return report;
}

function requeue(store: Store, job: JobRecord, why: string): void {
  if (job.state === "Scheduled") {
    store.jobs.transition(job.id, "Pending", { reason: `requeued at restart: ${why}` });
    return;
  }
  store.jobs.transition(job.id, "Failed", { reason: `lost at restart: ${why}` });
  store.jobs.transition(job.id, "Pending", { from: "Failed", reason: `requeued at restart: ${why}` });
}
