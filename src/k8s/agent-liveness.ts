import type { V1Lease } from "@kubernetes/client-node";

/**
 * Which nodes' agents are gone (pure; the clock is passed in): each agent renews its Lease
 * (agent-lease.ts); one that gpupool has not seen renewed for the lease's duration is gone, and its
 * node's GPUs take no new work until it renews again. Expiry counts from when gpupool saw the
 * renewal, not from the agent's clock. A node with no agent Lease at all (inventory written by
 * other means) is not gone.
 */
export class AgentLiveness {
  private readonly leases = new Map<string, { renewTime: string; seenAt: number; durationMs: number }>();
  private readonly gone = new Map<string, string>();

  /** The lease as seen now; when it runs out unless renewed (undefined: not an agent's lease). */
  upsert(lease: V1Lease, now: number): number | undefined {
    const node = lease.spec?.holderIdentity;
    if (!node) return undefined;
    const renewTime = String(lease.spec?.renewTime ?? "");
    const old = this.leases.get(node);
    if (old?.renewTime === renewTime) return old.seenAt + old.durationMs;
    const durationMs = (lease.spec?.leaseDurationSeconds ?? 40) * 1000;
    this.leases.set(node, { renewTime, seenAt: now, durationMs });
    return now + durationMs;
  }

  delete(lease: V1Lease): void {
    const node = lease.spec?.holderIdentity;
    if (node) this.leases.delete(node);
  }

  /** Why the node's agent is gone, or undefined. */
  goneReason(node: string): string | undefined {
    const since = this.gone.get(node);
    return since ? `the gpupool agent on ${node} stopped renewing its lease (since ${since})` : undefined;
  }

  /** Re-decides every node at `now`: the nodes whose state changed, and when the next lease runs out. */
  check(now: number): { changed: string[]; next: number | undefined } {
    const changed: string[] = [];
    let next: number | undefined;
    for (const [node, l] of this.leases) {
      const until = l.seenAt + l.durationMs;
      if (until > now) {
        next = next === undefined ? until : Math.min(next, until);
        if (this.gone.delete(node)) changed.push(node);
      } else if (!this.gone.has(node)) {
        this.gone.set(node, new Date(until).toISOString());
        changed.push(node);
      }
    }
    for (const node of [...this.gone.keys()])
      if (!this.leases.has(node)) {
        this.gone.delete(node);
        changed.push(node);
      }
    return { changed, next };
  }
}
