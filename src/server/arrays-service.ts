import type { NodeAgent } from "../agent/node-agent.js";
import { GpupoolError } from "../core/errors.js";
import type { NormalizedSpec } from "../core/job-spec.js";
import { isFinished } from "../core/job-states.js";
import type { JobRecord, Store, WorkloadRecord } from "../store/index.js";
import type { Caller } from "./auth.js";

/**
 * What the API does with batch arrays (core/array.ts), apart from HTTP: submission (the array and
 * its first tasks in one transaction), the tenant-confined lookups, stop and delete. As with jobs,
 * another tenant's array is "not found".
 */
export class ArraysService {
  constructor(
    private readonly store: Store,
    private readonly agent: NodeAgent,
  ) {}

  /**
   * The write of an array's submission (run inside the submission's transaction): the array, then
   * its first tasks, made by the reconciler as every later task is. A replayed client request id
   * returns the array it made.
   */
  create(
    tenant: string,
    spec: NormalizedSpec,
    clientRequestId?: string,
  ): { array: WorkloadRecord; jobs: JobRecord[]; created: boolean } {
    const r = this.store.workloads.create(tenant, {
      kind: "array",
      name: spec.name,
      spec,
      ...(clientRequestId !== undefined ? { clientRequestId } : {}),
    });
    if (r.created) this.agent.arrays.reconcile(r.workload.id);
    return {
      array: this.store.workloads.get(r.workload.id)!,
      jobs: this.liveTasks(r.workload.id),
      created: r.created,
    };
  }

  /** The array if the caller may see it (its own; the admin sees all), else GP_ARRAY_NOT_FOUND. */
  get(caller: Caller, id: string): WorkloadRecord {
    const w = this.store.workloads.get(id);
    if (w?.kind !== "array" || (!caller.admin && w.tenant !== caller.tenant))
      throw new GpupoolError("GP_ARRAY_NOT_FOUND", `no array ${id}`, { arrayId: id });
    return w;
  }

  list(caller: Caller, opts: { all: boolean; running: boolean }): WorkloadRecord[] {
    return this.store.workloads.list({
      kind: "array",
      ...(opts.all && caller.admin ? {} : { tenant: caller.tenant }),
      ...(opts.running ? { running: true } : {}),
    });
  }

  /**
   * The array a reference names, if any: its exact id (what GET /v1/arrays/{id} reaches), or the
   * name of one of the caller's arrays (the running one, else the newest).
   */
  resolve(caller: Caller, ref: string): WorkloadRecord | undefined {
    const exact = this.store.workloads.get(ref);
    if (exact?.kind === "array" && (caller.admin || exact.tenant === caller.tenant)) return exact;
    const named = this.store.workloads.list({ tenant: caller.tenant, name: ref, kind: "array" });
    return named.find((w) => w.state === "Running") ?? named.at(-1);
  }

  /** The array's unfinished tasks, oldest first. */
  liveTasks(id: string): JobRecord[] {
    return this.store.jobs.list({ owner: id }).filter((j) => !isFinished(j.state));
  }

  /**
   * Stops an array: no task is made any more, pending tasks are cancelled and running ones stopped
   * gracefully (as `stop` does a job). It ends Cancelled (its indexes that did not succeed count as
   * failed); an ended array stays as it is.
   */
  async stop(caller: Caller, id: string, graceSeconds?: number): Promise<WorkloadRecord> {
    const w = this.get(caller, id);
    if (w.state !== "Running") return w;
    this.store.workloads.update(id, "Cancelled", w.progress, `stopped by ${caller.tenant}`);
    await Promise.all(
      this.liveTasks(id).map((j) =>
        this.agent.cancel(j.id, `array ${id} stopped by ${caller.tenant}`, graceSeconds),
      ),
    );
    this.agent.arrays.reconcile(id);
    return this.store.workloads.get(id)!;
  }

  /**
   * Deletes an ended array with its tasks (`gpupool rm`); `remove` deletes one task as `rm` does a
   * job. A running array is GP_JOB_NOT_FINISHED unless `force`, which stops it first.
   */
  async remove(
    caller: Caller,
    id: string,
    force: boolean,
    remove: (job: JobRecord) => Promise<unknown>,
  ): Promise<WorkloadRecord> {
    let w = this.get(caller, id);
    if (w.state === "Running") {
      if (!force)
        throw new GpupoolError(
          "GP_JOB_NOT_FINISHED",
          `array ${id} is running: stop it first, or force it (rm -f stops it, then deletes it)`,
          { arrayId: id, state: w.state },
        );
      w = await this.stop(caller, id);
    }
    for (const job of this.store.jobs.list({ owner: id })) await remove(job);
    this.store.workloads.delete(id);
    return w;
  }
}
