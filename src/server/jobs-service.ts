import { createHash, randomBytes } from "node:crypto";
import { quietLogger } from "../loop/logger.js";
import type { NodeAgent } from "../agent/node-agent.js";
import { admit } from "../core/admission.js";
import { GpupoolError } from "../core/errors.js";
import { checkPriorityCeiling } from "../core/priority-ceiling.js";
import type { ContainerEngine, LogLine } from "../engines/engine.js";
import { windowed } from "./log-window.js";
import {
  inTransaction,
  isFinished,
  type JobRecord,
  PLACED_STATES,
  type Store,
  type WorkloadRecord,
} from "../store/index.js";
import type { Caller } from "./auth.js";
import { checkRunnable, normalizeSpec } from "../api/job-spec.js";
import { ArraysService } from "./arrays-service.js";
import { ServiceEndpoints } from "./service-endpoints.js";
import { ServicesService } from "./services-service.js";
import { assertNamesFree, resolveJobRef } from "./job-refs.js";

/**
 * What the API does with jobs, apart from HTTP: submission (gangs, idempotency and names included),
 * the tenant-confined lookups (by id, or by reference: job-refs.ts), stop and delete. A job of
 * another tenant is "not found", never "forbidden", so ids cannot be probed.
 */
/** What a submission made: its jobs (a gang's members; an array's first tasks, with the array). */
export interface Submitted {
  readonly jobs: JobRecord[];
  readonly created: boolean;
  readonly array?: WorkloadRecord;
  readonly service?: WorkloadRecord;
}

export class JobsService {
  readonly arrays: ArraysService;
  readonly services: ServicesService;

  constructor(
    private readonly store: Store,
    private readonly agent: NodeAgent,
    private readonly engine: ContainerEngine,
    endpoints: ServiceEndpoints = new ServiceEndpoints(store, agent.services, quietLogger),
  ) {
    this.arrays = new ArraysService(store, agent);
    this.services = new ServicesService(store, agent, endpoints);
  }

  private batch: {
    run: () => Submitted;
    done: (r: Submitted | Error) => void;
  }[] = [];

  /**
   * Submits a spec; a gang (replicas > 1) becomes one job per member, all in one transaction.
   * Submissions arriving in the same event-loop turn share one commit (group commit: one fsync for
   * many), each under its own savepoint, so one failing leaves the others untouched.
   */
  submit(caller: Caller, body: unknown, idempotencyKey?: string): Promise<Submitted> {
    const run = this.prepare(caller, body, idempotencyKey);
    return new Promise((resolve, reject) => {
      this.batch.push({ run, done: (r) => (r instanceof Error ? reject(r) : resolve(r)) });
      if (this.batch.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const items = this.batch;
    this.batch = [];
    const results: (Submitted | Error)[] = [];
    try {
      inTransaction(this.store.db, () => {
        for (const item of items) {
          try {
            results.push(inTransaction(this.store.db, item.run));
          } catch (err) {
            results.push(err instanceof Error ? err : new Error(String(err)));
          }
        }
      });
    } catch (err) {
      for (const item of items) item.done(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    for (const [i, item] of items.entries()) item.done(results[i]!);
  }

  /** Validates a submission (throwing on bad input, before anything is written) and returns its write. */
  private prepare(caller: Caller, body: unknown, idempotencyKey?: string): () => Submitted {
    const spec = normalizeSpec(body);
    checkRunnable(spec);
    // What this host can never run is refused now, not discovered at start (core/admission.ts).
    admit(spec, this.agent.capabilities);
    const raw = body as { queue?: string; clientRequestId?: string };
    if (raw.queue !== undefined && raw.queue !== caller.tenant)
      throw new GpupoolError(
        "GP_INVALID_SPEC",
        `spec.queue: jobs go to your tenant's queue (${caller.tenant}), not ${raw.queue}`,
        {
          path: "spec.queue",
        },
      );
    const crid = idempotencyKey ?? raw.clientRequestId;
    if (crid !== undefined && (crid.length === 0 || crid.length > 200))
      throw new GpupoolError("GP_INVALID_ARGUMENT", "the client request id must be 1-200 characters");
    return () => {
      const quotas = this.store.tenants.require(caller.tenant).quotas;
      const cap = quotas.activeJobs;
      // A replay of an accepted submission is answered by the store (the same jobs, or a conflict),
      // whatever the quota and the names in use now.
      const replay =
        crid !== undefined &&
        (spec.array || spec.service
          ? this.store.workloads.hasClientRequest(caller.tenant, crid)
          : this.store.jobs.hasClientRequest(caller.tenant, crid));
      if (!replay) assertNamesFree(this.store, caller.tenant, spec);
      // A priority above the ceiling preempts others' work: the admin grants it (no ceiling itself).
      if (!replay && !caller.admin) checkPriorityCeiling(caller.tenant, spec.priority, quotas.maxPriority);
      // An array's tasks are made as its parallelism and the activeJobs quota allow (array-reconciler.ts).
      if (spec.array) return this.arrays.create(caller.tenant, spec, crid);
      // A service's replicas are made by its reconciler, within the tenant's quotas (service-reconciler.ts).
      if (spec.service) return this.services.create(caller.tenant, spec, crid);
      if (cap !== undefined && !replay) {
        const active = this.store.jobs.liveCount(caller.tenant);
        if (active + spec.replicas > cap)
          throw new GpupoolError(
            "GP_QUOTA_EXCEEDED",
            `tenant ${caller.tenant} has ${active} unfinished jobs; its quota allows ${cap}`,
            {
              tenant: caller.tenant,
            },
          );
      }
      if (spec.replicas === 1) {
        const r = this.store.jobs.submit(caller.tenant, {
          name: spec.name,
          spec,
          priority: spec.priority,
          queue: caller.tenant,
          ...(crid !== undefined ? { clientRequestId: crid } : {}),
        });
        return { jobs: [r.job], created: r.created };
      }
      const gang =
        crid === undefined
          ? `g-${randomBytes(6).toString("hex")}`
          : `g-${createHash("sha256").update(`${caller.tenant}\0${crid}`).digest("hex").slice(0, 12)}`;
      // The gang is a workload; its reconciler makes its members here, in this transaction.
      const r = this.store.workloads.create(caller.tenant, {
        kind: "gang",
        id: gang,
        name: spec.name,
        spec,
        ...(crid !== undefined ? { clientRequestId: crid } : {}),
      });
      if (r.created) this.agent.gangs.reconcile(gang);
      return { jobs: this.store.jobs.list({ gang }), created: r.created };
    };
  }

  /** The job if the caller may see it (its own; the admin sees all), else GP_JOB_NOT_FOUND. */
  get(caller: Caller, id: string): JobRecord {
    const job = this.store.jobs.get(id);
    if (!job || (!caller.admin && job.tenant !== caller.tenant))
      throw new GpupoolError("GP_JOB_NOT_FOUND", `no job ${id}`, { jobId: id });
    return job;
  }

  /** Stops a job: a pending one is cancelled at once, a placed one gracefully, an ended one stays as it is. */
  async stop(caller: Caller, id: string, graceSeconds?: number): Promise<JobRecord> {
    const job = this.get(caller, id);
    // Already ended (e.g. a gang member stopped with its sibling): nothing to do, like docker stop.
    if (!PLACED_STATES.has(job.state) && job.state !== "Pending" && job.state !== "Preempted") return job;
    await this.agent.cancel(id, `stopped by ${caller.tenant}`, graceSeconds);
    return this.store.jobs.require(id);
  }

  /** The jobs a reference (id, gang id, name or unique id prefix) names for the caller (job-refs.ts). */
  resolve(caller: Caller, ref: string): JobRecord[] {
    return resolveJobRef(this.store, caller, ref);
  }

  /**
   * Deletes a finished job (`gpupool rm`): its container, its archived logs, then its record and
   * events; its metered usage stays its tenant's. A live job is GP_JOB_NOT_FINISHED unless `force`,
   * which stops it first (gracefully, as `stop` does). Returns the record as it was last.
   */
  async remove(caller: Caller, id: string, force: boolean): Promise<JobRecord> {
    let job = this.get(caller, id);
    if (!isFinished(job.state)) {
      if (!force)
        throw new GpupoolError(
          "GP_JOB_NOT_FINISHED",
          `job ${id} is ${job.state}: stop it first, or force it (rm -f stops it, then deletes it)`,
          { jobId: id, state: job.state },
        );
      job = await this.stop(caller, id);
    }
    // The attempt's logs may still be on their way into the archive: let them land, then delete them.
    await this.agent.archived(id);
    if (job.containerId) await this.engine.remove(job.containerId);
    await this.agent.archiver.logs?.remove(id);
    return this.store.jobs.delete(id);
  }

  /**
   * The job's log lines, as `window` picks them (log-window.ts: tail, since). With follow, waits
   * for the container to exist and streams until it exits.
   */
  async *logs(
    caller: Caller,
    id: string,
    opts: { follow: boolean; signal: AbortSignal; tail?: number; since?: Date },
  ): AsyncIterable<LogLine> {
    let job = this.get(caller, id);
    // Following: wait until the attempt's container runs (or the job ends without one).
    while (
      opts.follow &&
      !opts.signal.aborted &&
      (job.state === "Pending" || job.state === "Scheduled" || job.state === "Starting")
    ) {
      await new Promise((r) => setTimeout(r, 50));
      // Deleted meanwhile (rm -f): the stream just ends.
      const now = this.store.jobs.get(id);
      if (!now) return;
      job = now;
    }
    const archive = this.agent.archiver.logs;
    if (!PLACED_STATES.has(job.state)) await this.agent.archived(id);
    const window = {
      follow: opts.follow,
      ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
      ...(opts.since !== undefined ? { since: opts.since } : {}),
    };
    if (!PLACED_STATES.has(job.state) && archive?.has(id)) {
      yield* windowed(() => archive.read(id), { ...window, follow: false });
      return;
    }
    const containerId = job.containerId;
    if (!containerId) return;
    const follow =
      opts.follow && job.state !== "Succeeded" && job.state !== "Failed" && job.state !== "Cancelled";
    // Times only when a window needs them (the engines split them off each line).
    const timestamps = opts.since !== undefined;
    try {
      yield* windowed((f) => this.engine.logs(containerId, { follow: f, signal: opts.signal, timestamps }), {
        ...window,
        follow,
      });
    } catch (err) {
      if ((err as GpupoolError).code === "GP_CONTAINER_NOT_FOUND") return;
      throw err;
    }
  }
}
