import type { Logger } from "../loop/logger.js";
import type { KubeHttp } from "./kube-http.js";

/**
 * Leader election on a coordination.k8s.io/v1 Lease, as kube-scheduler does it: one active
 * scheduler per cluster. acquire() resolves once this process holds the lease (created, or taken
 * over after its holder stopped renewing for leaseDurationSeconds); the lease is then renewed every
 * renewMs, and `onLost` runs if a renewal fails past the lease's duration (the caller exits, so two
 * schedulers never bind at once). Optimistic concurrency: every write carries the resourceVersion
 * read, so two candidates cannot both win.
 */
export interface LeaderOptions {
  readonly http: KubeHttp;
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationSeconds: number;
  readonly log: Logger;
  readonly onLost: () => void;
}

interface LeaseBody {
  metadata?: { resourceVersion?: string; name?: string };
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    renewTime?: string;
    acquireTime?: string;
    leaseTransitions?: number;
  };
}

export class LeaderElector {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastRenew = 0;

  constructor(private readonly o: LeaderOptions) {}

  private get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.o.namespace}/leases`;
  }

  async acquire(): Promise<void> {
    let waitingFor = "";
    while (!this.stopped) {
      const holder = await this.tryAcquireOrRenew().catch((err: unknown) => {
        this.o.log.warn({ err }, "leader election: lease request failed");
        return "?";
      });
      if (holder === this.o.identity) break;
      if (holder !== waitingFor) {
        this.o.log.info({ holder }, "leader election: another scheduler holds the lease; waiting");
        waitingFor = holder;
      }
      await new Promise((r) => setTimeout(r, Math.min(2000, (this.o.leaseDurationSeconds * 1000) / 3)));
    }
    this.lastRenew = Date.now();
    const every = Math.max(200, (this.o.leaseDurationSeconds * 1000) / 3);
    const renew = async () => {
      if (this.stopped) return;
      const holder = await this.tryAcquireOrRenew().catch(() => "?");
      if (holder === this.o.identity) this.lastRenew = Date.now();
      else if (holder !== "?" || Date.now() - this.lastRenew > this.o.leaseDurationSeconds * 1000) {
        this.o.log.error({ holder }, "leader election: lost the lease");
        this.stopped = true;
        this.o.onLost();
        return;
      }
      this.timer = setTimeout(renew, every);
      this.timer.unref();
    };
    this.timer = setTimeout(renew, every);
    this.timer.unref();
  }

  /** Gives the lease up (a clean stop lets the next scheduler start at once). */
  async release(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const r = await this.o.http.call("GET", `${this.path}/${this.o.name}`).catch(() => undefined);
    const lease = r?.body as LeaseBody | undefined;
    if (r?.status !== 200 || lease?.spec?.holderIdentity !== this.o.identity) return;
    await this.o.http
      .call("PUT", `${this.path}/${this.o.name}`, {
        ...lease,
        spec: { ...lease.spec, holderIdentity: "", renewTime: micro(new Date(0)) },
      })
      .catch(() => undefined);
  }

  /** One round: returns who holds the lease afterwards. */
  private async tryAcquireOrRenew(): Promise<string> {
    const now = new Date();
    const r = await this.o.http.call("GET", `${this.path}/${this.o.name}`);
    const mine = {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: this.o.leaseDurationSeconds,
      renewTime: micro(now),
    };
    if (r.status === 404) {
      const c = await this.o.http.call("POST", this.path, {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name: this.o.name, namespace: this.o.namespace },
        spec: { ...mine, acquireTime: micro(now), leaseTransitions: 0 },
      });
      return c.status === 201 ? this.o.identity : "?";
    }
    if (r.status !== 200) return "?";
    const lease = r.body as LeaseBody;
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? "";
    const renewed = spec.renewTime ? Date.parse(spec.renewTime) : 0;
    const expired =
      renewed + (spec.leaseDurationSeconds ?? this.o.leaseDurationSeconds) * 1000 < now.getTime();
    if (holder && holder !== this.o.identity && !expired) return holder;
    const takeover = holder !== this.o.identity;
    const u = await this.o.http.call("PUT", `${this.path}/${this.o.name}`, {
      ...lease,
      spec: {
        ...spec,
        ...mine,
        ...(takeover ? { acquireTime: micro(now), leaseTransitions: (spec.leaseTransitions ?? 0) + 1 } : {}),
      },
    });
    return u.status === 200 ? this.o.identity : "?";
  }
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
function micro(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}
