/**
 * Services: a spec run as N long-lived replicas behind one local endpoint, N set by hand (`gpupool
 * scale`) or by an autoscaler on a metric. Pure: what a service asks (ServiceSpec), what its
 * reconciler keeps between reconciles (ServiceStatus), how many replicas a metric calls for
 * (autoscale), and which replicas to make or retire to reach that number and the current spec
 * (planReplicas, the Deployment controller's rolling update in small).
 */

/** What the autoscaler follows: a queue length the service reports, or requests in flight through the endpoint. */
export type ServiceMetric = "queue" | "inflight";

export interface AutoscaleSpec {
  readonly metric: ServiceMetric;
  /** The metric's value one replica is meant to carry: replicas = ceil(value / target). */
  readonly targetPerReplica: number;
  /** Least time between two scalings, in seconds (a first replica for a service at 0 does not wait). */
  readonly cooldownSeconds: number;
  /** With minReplicas 0: how long the metric and the endpoint stay at 0 before the last replica goes. */
  readonly idleSeconds: number;
  /**
   * metric queue: a path every ready replica answers with its queue length (a number, or JSON with
   * a numeric `queue`), polled each second and summed; absent: the service pushes it to the API.
   */
  readonly queuePath?: string;
}

export interface ServiceSpec {
  /** Replicas at creation (and the number kept without autoscale). */
  readonly replicas: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** The local endpoint's port (127.0.0.1); absent: no endpoint, clients reach replicas themselves. */
  readonly port?: number;
  readonly autoscale?: AutoscaleSpec;
  /** Rolling update: replicas of the new spec made beyond the desired count at once. */
  readonly maxSurge: number;
  /** Rolling update: how far below the desired count the ready replicas may fall. */
  readonly maxUnavailable: number;
}

/** What a service's reconciler keeps (store/workloads.ts status), besides the spec. */
export interface ServiceStatus {
  /** Replicas wanted now (spec.replicas at first; `scale` and the autoscaler change it). */
  readonly desired: number;
  /** The spec's generation: 1 at creation, one more per update; a replica carries the one it was made from. */
  readonly generation: number;
  /** When `desired` last changed (ms), for the cooldown. */
  readonly lastScaleAt: number;
  /** Since when the metric and the endpoint have been at 0 (ms); null while there is work. */
  readonly idleSince: number | null;
  /** Counts as the last reconcile saw them. */
  readonly live: number;
  readonly ready: number;
  readonly updated: number;
  /** The last metric value the autoscaler used, and the endpoint's requests in flight. */
  readonly metric?: number;
  readonly inflight?: number;
}

export function initialStatus(spec: ServiceSpec, now: number): ServiceStatus {
  return {
    desired: spec.replicas,
    generation: 1,
    lastScaleAt: now,
    idleSince: null,
    live: 0,
    ready: 0,
    updated: 0,
  };
}

/** What the autoscaler sees at one tick. */
export interface ScaleInput {
  readonly spec: ServiceSpec;
  readonly status: ServiceStatus;
  /** The metric's value (queue length, or requests in flight); undefined: never reported. */
  readonly value: number | undefined;
  /** Requests waiting or in flight at the endpoint (a request waiting at 0 replicas wakes the service). */
  readonly inflight: number;
  readonly now: number;
}

/**
 * The replicas the autoscaler wants and the idle clock it keeps: ceil(value / target) within
 * [min, max]; a change waits for the cooldown since the last one, except the first replica of a
 * service at 0 with work waiting (scale from zero does not wait); a fall to 0 waits until the
 * service has been idle (value and endpoint at 0) for idleSeconds.
 */
export function autoscale(input: ScaleInput): { desired: number; idleSince: number | null } {
  const { spec, status, now } = input;
  const a = spec.autoscale;
  if (!a) return { desired: status.desired, idleSince: null };
  const value = input.value ?? 0;
  const busy = value > 0 || input.inflight > 0;
  const idleSince = busy ? null : (status.idleSince ?? now);
  let want = Math.ceil(value / a.targetPerReplica);
  if (busy) want = Math.max(want, 1);
  want = Math.min(spec.maxReplicas, Math.max(spec.minReplicas, want));
  const current = status.desired;
  // Not idle long enough to go to 0: down to one replica at most.
  if (want === 0 && current > 0 && idleSince !== null && now - idleSince < a.idleSeconds * 1000) want = 1;
  if (want === current) return { desired: current, idleSince };
  if (current === 0 && want > 0) return { desired: want, idleSince };
  if (now - status.lastScaleAt < a.cooldownSeconds * 1000) return { desired: current, idleSince };
  return { desired: want, idleSince };
}

/** A live replica (an unfinished job the service owns) as the planner sees it. */
export interface ReplicaState {
  readonly jobId: string;
  readonly slot: number;
  /** The spec generation it was made from. */
  readonly generation: number;
  /** Placed and answering (Running, and its port accepts connections where the endpoint checks). */
  readonly ready: boolean;
}

export interface ReplicaPlan {
  /** New replicas of the current generation to make. */
  readonly create: number;
  /** Replicas to drain and stop, in order. */
  readonly retire: readonly string[];
}

/**
 * Which replicas to make and retire now to move toward `desired` replicas of `generation`:
 * - replicas of an older spec are replaced at most `maxSurge` beyond the desired count at once, and
 *   an old ready replica goes only while the ready ones stay at least desired − maxUnavailable
 *   (old replicas that are not ready go at once: they serve nothing);
 * - beyond the desired count, replicas go not-ready first, then the newest (highest slot).
 * Called again after every change, it converges: each call only takes steps that are safe now.
 */
export function planReplicas(
  replicas: readonly ReplicaState[],
  desired: number,
  generation: number,
  spec: Pick<ServiceSpec, "maxSurge" | "maxUnavailable">,
): ReplicaPlan {
  const current = replicas.filter((r) => r.generation === generation);
  const old = replicas.filter((r) => r.generation !== generation);
  const retire: string[] = [];
  // Newest and not-ready first: the ones whose loss costs least.
  const byCost = (a: ReplicaState, b: ReplicaState) => Number(a.ready) - Number(b.ready) || b.slot - a.slot;
  if (current.length > desired)
    retire.push(
      ...[...current]
        .sort(byCost)
        .slice(0, current.length - desired)
        .map((r) => r.jobId),
    );
  const keptCurrent = Math.min(current.length, desired);
  const readyCurrent = current.filter((r) => !retire.includes(r.jobId)).filter((r) => r.ready).length;
  // Old replicas: the not-ready ones go now; ready ones while availability allows.
  const oldReady = old.filter((r) => r.ready).sort(byCost);
  retire.push(...old.filter((r) => !r.ready).map((r) => r.jobId));
  const floor = Math.max(0, desired - spec.maxUnavailable);
  let ready = readyCurrent + oldReady.length;
  for (const r of oldReady) {
    if (ready - 1 < floor) break;
    retire.push(r.jobId);
    ready--;
  }
  const stay = replicas.length - retire.length;
  const missing = Math.max(0, desired - keptCurrent);
  const room = old.length > 0 ? Math.max(0, desired + spec.maxSurge - stay) : missing;
  return { create: Math.min(missing, room), retire };
}
