import type { NodeAgent } from "../agent/node-agent.js";
import { admit } from "../core/admission.js";
import { GpupoolError } from "../core/errors.js";
import type { NormalizedSpec } from "../core/job-spec.js";
import { isFinished } from "../core/job-states.js";
import { initialStatus } from "../core/service.js";
import type { JobRecord, Store, WorkloadRecord } from "../store/index.js";
import { checkRunnable, normalizeSpec } from "../api/job-spec.js";
import type { Caller } from "./auth.js";
import type { ServiceEndpoints } from "./service-endpoints.js";

/**
 * What the API does with services (core/service.ts), apart from HTTP: creation (the service and
 * its first replicas in one transaction), lookups by id or name confined to the caller's tenant,
 * scale, metric reports, rolling updates, stop and delete. The replicas themselves are made by the
 * agent's service reconciler; the endpoint in front of them is service-endpoints.ts.
 */
export class ServicesService {
  constructor(
    private readonly store: Store,
    private readonly agent: NodeAgent,
    readonly endpoints: ServiceEndpoints,
  ) {}

  /** The write of a service's creation (inside the submission's transaction). */
  create(
    tenant: string,
    spec: NormalizedSpec,
    clientRequestId?: string,
  ): { service: WorkloadRecord; jobs: JobRecord[]; created: boolean } {
    if (clientRequestId === undefined || !this.store.workloads.hasClientRequest(tenant, clientRequestId))
      this.assertPortFree(spec);
    const r = this.store.workloads.create(tenant, {
      kind: "service",
      name: spec.name,
      spec,
      status: initialStatus(spec.service!, Date.now()),
      ...(clientRequestId !== undefined ? { clientRequestId } : {}),
    });
    // The endpoint opens once the creation commits (the route answers once it listens).
    if (r.created) this.agent.services.reconcile(r.workload.id);
    return {
      service: this.store.workloads.get(r.workload.id)!,
      jobs: this.replicas(r.workload.id),
      created: r.created,
    };
  }

  /** A running service elsewhere with the same endpoint port is GP_PORT_IN_USE. */
  private assertPortFree(spec: NormalizedSpec, self?: string): void {
    const port = spec.service?.port;
    if (port === undefined) return;
    const other = this.store.workloads
      .list({ running: true, kind: "service" })
      .find((w) => w.id !== self && w.spec.service?.port === port);
    if (other)
      throw new GpupoolError(
        "GP_PORT_IN_USE",
        `spec.service.port: ${port} is the endpoint of running service ${other.name} (${other.id})`,
        { path: "spec.service.port", port },
      );
  }

  /**
   * The service a reference names: its exact id, or the name of one of the caller's services (the
   * running one, else the newest); GP_SERVICE_NOT_FOUND when none (another tenant's included).
   */
  get(caller: Caller, ref: string): WorkloadRecord {
    const w = this.resolve(caller, ref);
    if (!w) throw new GpupoolError("GP_SERVICE_NOT_FOUND", `no service ${ref}`, { service: ref });
    return w;
  }

  resolve(caller: Caller, ref: string): WorkloadRecord | undefined {
    const exact = this.store.workloads.get(ref);
    if (exact?.kind === "service" && (caller.admin || exact.tenant === caller.tenant)) return exact;
    const named = this.store.workloads.list({ tenant: caller.tenant, name: ref, kind: "service" });
    return named.find((w) => w.state === "Running") ?? named.at(-1);
  }

  list(caller: Caller, opts: { all: boolean; running: boolean }): WorkloadRecord[] {
    return this.store.workloads.list({
      kind: "service",
      ...(opts.all && caller.admin ? {} : { tenant: caller.tenant }),
      ...(opts.running ? { running: true } : {}),
    });
  }

  /** The service's live replicas, oldest first. */
  replicas(id: string): JobRecord[] {
    return this.store.jobs.list({ owner: id }).filter((j) => !isFinished(j.state));
  }

  /** What a view shows beyond the record: the metric's last value and the endpoint's requests. */
  traffic(w: WorkloadRecord): { value?: number; inflight: number } {
    const inflight = this.endpoints.inflight(w.id);
    const value =
      w.spec.service?.autoscale?.metric === "queue" ? this.agent.services.reportedQueue(w.id) : inflight;
    return { ...(value !== undefined ? { value } : {}), inflight };
  }

  private running(caller: Caller, ref: string): WorkloadRecord {
    const w = this.get(caller, ref);
    if (w.state !== "Running")
      throw new GpupoolError("GP_ILLEGAL_TRANSITION", `service ${w.name} (${w.id}) is stopped`, {
        service: w.id,
        state: w.state,
      });
    return w;
  }

  /** `gpupool scale`: the desired replicas now; with autoscale, within minReplicas..maxReplicas. */
  scale(caller: Caller, ref: string, replicas: number): WorkloadRecord {
    const w = this.running(caller, ref);
    const svc = w.spec.service!;
    if (svc.autoscale && (replicas < svc.minReplicas || replicas > svc.maxReplicas))
      throw new GpupoolError(
        "GP_INVALID_ARGUMENT",
        `replicas: ${replicas} is outside the autoscaler's range ${svc.minReplicas}..${svc.maxReplicas}; update the service's minReplicas/maxReplicas to go beyond it`,
        { replicas },
      );
    this.agent.services.scale(w.id, replicas);
    return this.store.workloads.get(w.id)!;
  }

  /** A queue length the service reports (the `queue` metric). */
  report(caller: Caller, ref: string, queue: number): WorkloadRecord {
    const w = this.running(caller, ref);
    this.agent.services.report(w.id, queue);
    this.agent.services.autoscaleOne(this.store.workloads.get(w.id)!);
    return this.store.workloads.get(w.id)!;
  }

  /**
   * A rolling update: the service's spec is replaced (same name, `service` kept), its generation
   * goes up by one, and the reconciler replaces replicas within maxSurge/maxUnavailable. A changed
   * service.replicas sets the desired count; otherwise it stays as scaled.
   */
  update(caller: Caller, ref: string, body: unknown): WorkloadRecord {
    const w = this.running(caller, ref);
    const spec = normalizeSpec(body);
    checkRunnable(spec);
    admit(spec, this.agent.capabilities);
    if (spec.name !== w.name)
      throw new GpupoolError(
        "GP_INVALID_SPEC",
        `spec.name: an update keeps the service's name (${w.name}), not ${spec.name}`,
        { path: "spec.name" },
      );
    if (!spec.service)
      throw new GpupoolError("GP_INVALID_SPEC", "spec.service: an update of a service is a service spec", {
        path: "spec.service",
      });
    this.assertPortFree(spec, w.id);
    const status = w.status!;
    const old = w.spec.service!;
    const svc = spec.service;
    const asked = svc.replicas !== old.replicas ? svc.replicas : status.desired;
    // Only an autoscaler has a range; a fixed service keeps the count it was scaled to.
    const desired = svc.autoscale ? Math.min(svc.maxReplicas, Math.max(svc.minReplicas, asked)) : asked;
    this.store.workloads.setSpec(w.id, spec, {
      ...status,
      desired,
      generation: status.generation + 1,
    });
    this.agent.services.reconcile(w.id);
    return this.store.workloads.get(w.id)!;
  }

  /**
   * Stops a service: it ends Cancelled, its replicas are drained at the endpoint and stopped
   * gracefully, and the endpoint closes once they are. A stopped service stays as it is.
   */
  async stop(caller: Caller, ref: string): Promise<WorkloadRecord> {
    const w = this.get(caller, ref);
    if (w.state !== "Running") return w;
    this.store.workloads.setStatus(
      w.id,
      { ...w.status!, desired: 0 },
      `stopped by ${caller.tenant}`,
      "Cancelled",
    );
    await Promise.all(
      this.replicas(w.id).map((j) =>
        this.agent.services.retire(w.id, j.id, `service ${w.name} stopped by ${caller.tenant}`),
      ),
    );
    this.agent.services.reconcile(w.id);
    this.endpoints.sync();
    return this.store.workloads.get(w.id)!;
  }

  /** Deletes a stopped service with its replicas; a running one is GP_JOB_NOT_FINISHED unless `force`. */
  async remove(
    caller: Caller,
    ref: string,
    force: boolean,
    remove: (job: JobRecord) => Promise<unknown>,
  ): Promise<WorkloadRecord> {
    let w = this.get(caller, ref);
    if (w.state === "Running") {
      if (!force)
        throw new GpupoolError(
          "GP_JOB_NOT_FINISHED",
          `service ${w.name} (${w.id}) is running: stop it first, or force it (rm -f stops it, then deletes it)`,
          { service: w.id, state: w.state },
        );
      w = await this.stop(caller, w.id);
    }
    for (const job of this.store.jobs.list({ owner: w.id })) await remove(job);
    this.store.workloads.delete(w.id);
    return w;
  }
}
