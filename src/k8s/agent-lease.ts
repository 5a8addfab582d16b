import type { Logger } from "../loop/logger.js";
import type { KubeHttp } from "./kube-http.js";
import { AGENT_LEASE } from "./names.js";

/**
 * The agent's heartbeat: its Lease (names.ts AGENT_LEASE) created and renewed every quarter of
 * `durationSeconds` while the agent runs. Stopping only stops renewing: a restarting agent (a
 * DaemonSet rollout) takes it up again before it expires; a dead one lets it expire.
 */
export interface AgentLease {
  /** Renewals that succeeded (tests). */
  renewals(): number;
  stop(): void;
}

export function startAgentLease(o: {
  readonly http: KubeHttp;
  readonly node: string;
  readonly durationSeconds: number;
  readonly log: Logger;
}): AgentLease {
  const name = `${AGENT_LEASE.prefix}${o.node}`;
  const path = `/apis/coordination.k8s.io/v1/namespaces/${AGENT_LEASE.namespace}/leases`;
  let renewed = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const spec = () => ({
    holderIdentity: o.node,
    leaseDurationSeconds: o.durationSeconds,
    renewTime: new Date().toISOString().replace("Z", "000Z"), // MicroTime
  });
  const renew = async () => {
    const r = await o.http.call(
      "PATCH",
      `${path}/${encodeURIComponent(name)}`,
      { spec: spec() },
      "application/merge-patch+json",
    );
    if (r.status === 404)
      await o.http.ok("POST", path, {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name, namespace: AGENT_LEASE.namespace, labels: AGENT_LEASE.labels },
        spec: spec(),
      });
    else if (r.status < 200 || r.status >= 300) throw new Error(`HTTP ${r.status} ${r.body?.message ?? ""}`);
    renewed++;
  };
  const tick = () => {
    renew()
      .catch((err: unknown) =>
        o.log.warn({ err, lease: name }, "could not renew the agent's lease; retrying"),
      )
      .finally(() => {
        if (stopped) return;
        timer = setTimeout(tick, Math.max(250, (o.durationSeconds * 1000) / 4));
        timer.unref();
      });
  };
  tick();
  return {
    renewals: () => renewed,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
