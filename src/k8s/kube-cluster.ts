import type { V1LabelSelector, V1Lease, V1Node, V1Pod } from "@kubernetes/client-node";
import type { Allocation } from "../core/allocation.js";
import type { NodeSpec } from "../core/node.js";
import type { QueueSpec } from "../core/queue.js";
import type { Workload } from "../core/workload.js";
import type { Clock } from "../loop/clock.js";
import type { ClusterChange, ClusterPort, PlacedWork } from "../loop/cluster-port.js";
import type { Logger } from "../loop/logger.js";
import type { Eviction } from "../scheduler/actions/index.js";
import { AgentLiveness } from "./agent-liveness.js";
import { assignmentAnnotation, assignmentOf } from "./assignment.js";
import { type KubeWrites, type PodRef, podRef } from "./kube-writes.js";
import { selectorMatches } from "./label-selector.js";
import { ASSIGNMENT_ANNOTATION, DOMAIN } from "./names.js";
import { type ForeignUsage, nodeSpecOf } from "./node-inventory.js";
import { isGpupoolPod, podFinished, podRequests, podWorkload } from "./pod-workload.js";
import { WriteQueue } from "./write-queue.js";

/**
 * The cluster port over the Kubernetes API server: the second implementation after the SQLite
 * store's, so the same ScheduleLoop (loop/) schedules pods. The informers feed it Nodes and Pods
 * (upsertNode/deleteNode/upsertPod/deletePod); it keeps what the loop asks for and writes back
 * through KubeWrites.
 *
 * - Pending: pods with `schedulerName: gpupool`, no nodeName, not being deleted. A pod the last cycle
 *   could not place is parked (kube-scheduler's unschedulable queue) until capacity is released, a
 *   node changes, or `retryMs` passes, so thousands of unschedulable pods cost nothing while idle.
 * - Placed: gpupool pods with a nodeName and an assignment annotation that have not finished
 *   (terminating pods hold their slice until deleted), plus pods bound by this process whose
 *   Binding the watch has not shown yet (assumed). Rebuilt from the API after a restart, so nothing
 *   is allocated twice.
 * - Bind: assume → POST Binding with the assignment annotations (nodeName and slice in one update)
 *   → confirmed by the watch. A failed Binding forgets the assumption and releases the slice.
 * - Nodes: Ready, schedulable Nodes; CPU/memory less what pods of other schedulers request there
 *   (kube-scheduler counts every pod; so does this). Changes are coalesced into one "nodes" change.
 * - Reasons: PodScheduled=False with the scheduler's reason and a FailedScheduling event, written
 *   when the reason changes.
 */
export interface KubeClusterOptions {
  readonly writes: KubeWrites;
  readonly clock: Clock;
  readonly log: Logger;
  /** Pending pods a cycle considers at most (plus their gangs' other members); default 256. */
  readonly window?: number;
  /** API writes in flight at once; default 32. */
  readonly concurrency?: number;
  /** A parked (unschedulable) pod is tried again after this long even if nothing changed; default 30 s. */
  readonly retryMs?: number;
  /** Queue specs (quotas); default none. */
  readonly queues?: () => readonly QueueSpec[];
}

interface PodEntry {
  pod: V1Pod;
  readonly ref: PodRef;
  readonly seq: number;
  readonly workload?: Workload;
  readonly error?: string;
}

export class KubeCluster implements ClusterPort {
  private readonly nodeObjects = new Map<string, V1Node>();
  private readonly specs = new Map<string, { spec: NodeSpec; key: string }>();
  private nodeList: NodeSpec[] | undefined;
  private nodesChangeTimer: ReturnType<Clock["setTimeout"]> | undefined;
  private readonly pods = new Map<string, PodEntry>();
  private readonly pendingIds = new Set<string>();
  private readonly placedWork = new Map<string, PlacedWork>();
  private readonly assumed = new Map<string, PlacedWork>();
  private readonly foreign = new Map<string, { node: string; cpuMilli: number; memoryMiB: number }>(); // one pod each
  private readonly foreignByNode = new Map<string, ForeignUsage>();
  private readonly agents = new AgentLiveness();
  private leaseTimer: ReturnType<Clock["setTimeout"]> | undefined;
  private leaseTimerAt: number | undefined;
  /** Pods another scheduler binds through gpupool's extender, counted until their binding is seen. */
  private readonly held = new Map<string, { node: string; cpuMilli: number; memoryMiB: number }>();
  private readonly parked = new Map<string, number>();
  private readonly noted = new Map<string, string>();
  private readonly warned = new Set<string>();
  /** The node each preemptor was last nominated to (status.nominatedNodeName). */
  private readonly nominated = new Map<string, string>();
  /** PodDisruptionBudgets by namespace/name (policy v1 or v1beta1: the fields read are the same). */
  private readonly pdbs = new Map<string, PdbLike>();
  /** Pending members by gang id, so a gang is always considered whole. */
  private readonly gangMembers = new Map<string, Set<string>>();
  private readonly listeners = new Set<(c: ClusterChange) => void>();
  private readonly queue: WriteQueue;
  private seq = 0;
  /** Bindings sent and confirmed; API errors seen (metrics, tests). */
  readonly counts = { bindsSent: 0, bindsFailed: 0, evictions: 0, reasonsWritten: 0 };

  constructor(private readonly o: KubeClusterOptions) {
    this.queue = new WriteQueue(o.concurrency ?? 32);
  }

  // --- fed by the informers ------------------------------------------------------------------

  upsertNode(node: V1Node): void {
    const name = node.metadata?.name;
    if (!name) return;
    this.nodeObjects.set(name, node);
    this.refreshNode(name);
  }

  deleteNode(node: V1Node): void {
    const name = node.metadata?.name;
    if (!name) return;
    this.nodeObjects.delete(name);
    this.refreshNode(name);
  }

  upsertPod(pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    if (!isGpupoolPod(pod) || (pod.spec?.nodeName && !assignmentOf(pod))) {
      this.setForeign(uid, pod);
      if (isGpupoolPod(pod)) this.forgetGpupool(uid); // bound without a slice: not gpupool's
      if (pod.spec?.nodeName && !podFinished(pod) && asksForSlice(pod) && !this.warned.has(uid)) {
        this.warned.add(uid);
        const ref = podRef(pod);
        this.queue.run(
          () =>
            this.o.writes.warn(
              ref,
              "GpupoolSliceRefused",
              `gpupool did not bind this pod, so it holds no GPU slice (a ${ASSIGNMENT_ANNOTATION} annotation is gpupool's scheduler's to write; ask for gpupool.dev/gpu with schedulerName: gpupool)`,
            ),
          this.o.log,
        );
      }
      return;
    }
    let entry = this.pods.get(uid);
    if (!entry) {
      const ref = podRef(pod);
      const made = podWorkload(pod, ++this.seq);
      entry = {
        pod,
        ref,
        seq: this.seq,
        ...("workload" in made
          ? { workload: this.guarded(scoped(made.workload, ref), uid) }
          : { error: made.error }),
      };
      this.pods.set(uid, entry);
    } else {
      entry.pod = pod;
    }
    if (podFinished(pod)) {
      this.forgetGpupool(uid);
      return;
    }
    const alloc = pod.spec?.nodeName ? assignmentOf(pod) : undefined;
    if (alloc) {
      this.leavePending(uid);
      this.assumed.delete(uid);
      if (!this.placedWork.has(uid) && entry.workload)
        this.placedWork.set(uid, { workload: entry.workload, allocation: alloc });
      return;
    }
    if (pod.metadata?.deletionTimestamp) {
      this.forgetGpupool(uid);
      return;
    }
    if (entry.error) {
      if (!this.warned.has(uid)) {
        this.warned.add(uid);
        const ref = entry.ref;
        const why = entry.error;
        this.queue.run(
          () => this.o.writes.unschedulable(ref, `gpupool cannot schedule this pod: ${why}`),
          this.o.log,
        );
      }
      return;
    }
    if (!this.pendingIds.has(uid)) {
      this.pendingIds.add(uid);
      const gang = entry.workload?.gang?.id;
      if (gang) {
        const members = this.gangMembers.get(gang) ?? new Set();
        members.add(uid);
        this.gangMembers.set(gang, members);
        for (const m of members) this.parked.delete(m); // a new member: the gang may be whole now
      }
      this.emit({ kind: "pending", id: uid });
    }
  }

  deletePod(pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    this.setForeign(uid, undefined);
    this.forgetGpupool(uid);
    this.pods.delete(uid);
    this.warned.delete(uid);
    this.nominated.delete(uid);
  }

  /** Tries every waiting pod again at the next cycle (the queues changed). */
  retryParked(): void {
    this.parked.clear();
  }

  /** An agent's Lease (agent-lease.ts) seen or gone: its node takes GPU work while it is renewed. */
  upsertAgentLease(lease: V1Lease): void {
    const until = this.agents.upsert(lease, this.o.clock.now());
    if (until === undefined) return;
    // A renewal only pushes its expiry later: the armed timer finds that out; a gone agent is back now.
    const node = lease.spec?.holderIdentity ?? "";
    if (this.leaseTimerAt === undefined || until < this.leaseTimerAt || this.agents.goneReason(node))
      this.checkAgents();
  }

  deleteAgentLease(lease: V1Lease): void {
    this.agents.delete(lease);
    this.checkAgents();
  }

  upsertPdb(pdb: PdbLike): void {
    this.pdbs.set(`${pdb.metadata?.namespace}/${pdb.metadata?.name}`, pdb);
  }

  deletePdb(pdb: PdbLike): void {
    this.pdbs.delete(`${pdb.metadata?.namespace}/${pdb.metadata?.name}`);
  }

  /** Whether a PodDisruptionBudget with no disruption left selects the pod (it is then never a victim). */
  protectedByPdb(uid: string): boolean {
    if (this.pdbs.size === 0) return false;
    const pod = this.pods.get(uid)?.pod;
    if (!pod) return false;
    const ns = pod.metadata?.namespace;
    const labels = pod.metadata?.labels ?? {};
    for (const pdb of this.pdbs.values())
      if (
        pdb.metadata?.namespace === ns &&
        (pdb.status?.disruptionsAllowed ?? 0) < 1 &&
        selectorMatches(pdb.spec?.selector, labels)
      )
        return true;
    return false;
  }

  // --- the port --------------------------------------------------------------------------------

  nodes(): readonly NodeSpec[] {
    if (!this.nodeList) this.nodeList = [...this.specs.values()].map((s) => s.spec);
    return this.nodeList;
  }

  placed(): readonly PlacedWork[] {
    return [...this.placedWork.values(), ...this.assumed.values()];
  }

  pending(now: number): readonly Workload[] {
    const ready: PodEntry[] = [];
    for (const id of this.pendingIds) {
      if (this.assumed.has(id)) continue;
      const until = this.parked.get(id);
      if (until !== undefined && until > now) continue;
      const e = this.pods.get(id);
      if (e?.workload) ready.push(e);
    }
    ready.sort((a, b) => (b.workload!.priority ?? 0) - (a.workload!.priority ?? 0) || a.seq - b.seq);
    const window = this.o.window ?? 256;
    const head = ready.slice(0, window);
    const gangs = new Set(head.map((e) => e.workload!.gang?.id).filter((g) => g !== undefined));
    const out = head.map((e) => e.workload!);
    if (gangs.size > 0)
      for (const e of ready.slice(window))
        if (e.workload!.gang && gangs.has(e.workload!.gang.id)) out.push(e.workload!);
    return out;
  }

  queues(): readonly QueueSpec[] {
    return this.o.queues?.() ?? [];
  }

  changes(listener: (change: ClusterChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  bind(allocations: readonly Allocation[]): readonly string[] {
    const out: string[] = [];
    for (const a of allocations) {
      const entry = this.pods.get(a.workloadId);
      if (!entry?.workload || !this.pendingIds.has(a.workloadId)) continue;
      this.assumed.set(a.workloadId, { workload: entry.workload, allocation: a });
      this.parked.delete(a.workloadId);
      this.noted.delete(a.workloadId);
      out.push(a.workloadId);
      const node = this.specs.get(a.node)?.spec;
      const uuids = new Map((node?.gpus ?? []).filter((g) => g.uuid).map((g) => [g.index, g.uuid!]));
      const annotations = { [ASSIGNMENT_ANNOTATION]: assignmentAnnotation(a, uuids) };
      const ref = entry.ref;
      this.counts.bindsSent++;
      this.queue.run(async () => {
        try {
          const r = await this.o.writes.bind(ref, a.node, annotations);
          if (r === "gone") this.bindFailed(ref.uid, 0);
        } catch (err) {
          this.o.log.warn({ err, pod: `${ref.namespace}/${ref.name}` }, "binding failed; will retry");
          this.bindFailed(ref.uid, 1000);
        }
      }, this.o.log);
    }
    return out;
  }

  evict(eviction: Eviction): void {
    const victim = this.pods.get(eviction.workloadId);
    if (!victim) return;
    const by = this.pods.get(eviction.by);
    const node = this.placedWork.get(eviction.workloadId)?.allocation.node;
    this.counts.evictions++;
    const nominate = by && node && this.nominated.get(eviction.by) !== node;
    if (nominate) this.nominated.set(eviction.by, node);
    this.queue.run(async () => {
      if (nominate) await this.o.writes.nominate(by.ref, node);
      const r = await this.o.writes.evict(victim.ref);
      if (r === "blocked")
        this.o.log.warn(
          { pod: `${victim.ref.namespace}/${victim.ref.name}` },
          "eviction refused by a PodDisruptionBudget",
        );
    }, this.o.log);
  }

  noteReasons(reasons: ReadonlyMap<string, string>): void {
    const until = this.o.clock.now() + (this.o.retryMs ?? 30_000);
    for (const [id, why] of reasons) {
      const entry = this.pods.get(id);
      if (!entry || !this.pendingIds.has(id)) continue;
      this.parked.set(id, until);
      if (this.noted.get(id) === why) continue;
      this.noted.set(id, why);
      this.counts.reasonsWritten++;
      const ref = entry.ref;
      this.queue.run(() => this.o.writes.unschedulable(ref, why), this.o.log);
    }
  }

  /** Resolves when no API write is queued or in flight (tests, shutdown). */
  drained(): Promise<void> {
    return this.queue.drained();
  }

  /** Pods gpupool placed (confirmed by the watch), assumed, pending and parked: a status line. */
  stats(): { placed: number; assumed: number; pending: number; parked: number } {
    return {
      placed: this.placedWork.size,
      assumed: this.assumed.size,
      pending: this.pendingIds.size,
      parked: this.parked.size,
    };
  }

  // --- kube-scheduler's decisions through the extender (extender.ts) ---------------------------

  /**
   * For each node, why a pod requesting `need` does not fit there now, or null: the node's
   * allocatable less every pod bound there, gpupool's slices being bound and other binds held.
   * A node gpupool does not track (not Ready, unknown) is null: kube-scheduler's own checks decide.
   */
  roomFor(nodes: readonly string[], need: ForeignUsage): Map<string, string | null> {
    const ours = new Map<string, { cpuMilli: number; memoryMiB: number; pods: number }>();
    for (const p of this.placed()) {
      const u = ours.get(p.allocation.node) ?? { cpuMilli: 0, memoryMiB: 0, pods: 0 };
      u.cpuMilli += p.allocation.cpuMilli;
      u.memoryMiB += p.allocation.memoryMiB;
      u.pods++;
      ours.set(p.allocation.node, u);
    }
    const out = new Map<string, string | null>();
    for (const name of nodes) {
      const spec = this.specs.get(name)?.spec;
      const u = ours.get(name) ?? { cpuMilli: 0, memoryMiB: 0, pods: 0 };
      const cpu = spec ? spec.cpuMilli - u.cpuMilli : Number.POSITIVE_INFINITY;
      const mem = spec ? spec.memoryMiB - u.memoryMiB : Number.POSITIVE_INFINITY;
      const pods = spec?.pods !== undefined ? spec.pods - u.pods : Number.POSITIVE_INFINITY;
      out.set(
        name,
        need.cpuMilli > cpu
          ? `Insufficient cpu (gpupool counts ${Math.max(0, cpu)}m free)`
          : need.memoryMiB > mem
            ? `Insufficient memory (gpupool counts ${Math.max(0, mem)} MiB free)`
            : pods < 1
              ? "Too many pods (gpupool counts the node full)"
              : null,
      );
    }
    return out;
  }

  /** Counts a pod another scheduler is binding to `node` from now on, before its binding is seen. */
  hold(uid: string, node: string, need: ForeignUsage): void {
    this.releaseHeld(uid);
    this.held.set(uid, { node, ...need });
    this.addUsage(node, need.cpuMilli, need.memoryMiB, 1);
    this.refreshNode(node, true);
  }

  /** Stops counting a held pod (its binding failed, or is seen: it counts as bound from then on). */
  releaseHeld(uid: string): void {
    const h = this.held.get(uid);
    if (!h) return;
    this.held.delete(uid);
    this.addUsage(h.node, -h.cpuMilli, -h.memoryMiB, -1);
    this.refreshNode(h.node);
  }

  // --- internals -------------------------------------------------------------------------------

  /** Refreshes the nodes whose agent went or came back, then waits for the next lease to run out. */
  private checkAgents(): void {
    const now = this.o.clock.now();
    const { changed, next } = this.agents.check(now);
    for (const node of changed) {
      const gone = this.agents.goneReason(node);
      if (gone) this.o.log.warn({ node }, `${gone}: no new GPU work goes there`);
      else this.o.log.info({ node }, "the node's gpupool agent is renewing its lease again");
      this.refreshNode(node);
    }
    if (this.leaseTimer) this.o.clock.clearTimeout(this.leaseTimer);
    this.leaseTimer = undefined;
    this.leaseTimerAt = next;
    if (next === undefined) return;
    this.leaseTimer = this.o.clock.setTimeout(
      () => {
        this.leaseTimer = undefined;
        this.leaseTimerAt = undefined;
        this.checkAgents();
      },
      next - now + 1,
    );
    this.leaseTimer.unref?.();
  }

  private bindFailed(uid: string, retryInMs: number): void {
    if (!this.assumed.delete(uid)) return;
    this.counts.bindsFailed++;
    this.emit({ kind: "released", id: uid });
    if (retryInMs > 0 && this.pendingIds.has(uid)) {
      this.parked.set(uid, this.o.clock.now() + retryInMs);
      this.o.clock.setTimeout(() => this.emit({ kind: "pending", id: uid }), retryInMs).unref?.();
    }
  }

  /** The pod no longer waits or holds a slice (finished, deleted, bound by someone else). */
  /**
   * The workload with a live `preemptible`: false while a PodDisruptionBudget protects the pod, read
   * whenever the scheduler picks victims (a PDB's disruptionsAllowed changes after placement).
   */
  private guarded(w: Workload, uid: string): Workload {
    const allowed = w.preemptible !== false;
    return Object.defineProperty({ ...w }, "preemptible", {
      get: () => allowed && !this.protectedByPdb(uid),
      enumerable: true,
    });
  }

  private leavePending(uid: string): void {
    const gang = this.pods.get(uid)?.workload?.gang?.id;
    if (gang) {
      const members = this.gangMembers.get(gang);
      members?.delete(uid);
      if (members?.size === 0) this.gangMembers.delete(gang);
    }
    this.pendingIds.delete(uid);
  }

  private forgetGpupool(uid: string): void {
    this.leavePending(uid);
    this.parked.delete(uid);
    this.noted.delete(uid);
    const held = this.placedWork.delete(uid) || this.assumed.delete(uid);
    if (held) this.releasedCapacity(uid);
  }

  private releasedCapacity(uid: string): void {
    this.parked.clear(); // kube-scheduler moves every unschedulable pod back to the active queue
    this.emit({ kind: "released", id: uid });
  }

  private setForeign(uid: string, pod: V1Pod | undefined): void {
    const old = this.foreign.get(uid);
    const node = pod?.spec?.nodeName;
    if (node || !pod || podFinished(pod)) this.releaseHeld(uid);
    const next = pod && node && !podFinished(pod) ? { node, ...podRequests(pod) } : undefined;
    if (old?.node === next?.node && old?.cpuMilli === next?.cpuMilli && old?.memoryMiB === next?.memoryMiB)
      return;
    if (old) {
      this.foreign.delete(uid);
      this.addUsage(old.node, -old.cpuMilli, -old.memoryMiB, -1);
    }
    if (next) {
      this.foreign.set(uid, next);
      this.addUsage(next.node, next.cpuMilli, next.memoryMiB, 1);
    }
    if (old) this.refreshNode(old.node);
    if (next && next.node !== old?.node) this.refreshNode(next.node);
    if (old && !next) this.parked.clear();
  }

  private addUsage(node: string, cpuMilli: number, memoryMiB: number, pods: number): void {
    const u = this.foreignByNode.get(node) ?? { cpuMilli: 0, memoryMiB: 0, pods: 0 };
    const next = {
      cpuMilli: u.cpuMilli + cpuMilli,
      memoryMiB: u.memoryMiB + memoryMiB,
      pods: (u.pods ?? 0) + pods,
    };
    if (next.cpuMilli === 0 && next.memoryMiB === 0 && next.pods === 0) this.foreignByNode.delete(node);
    else this.foreignByNode.set(node, next);
  }

  /**
   * Recomputes one node's spec; a real change (not a heartbeat) becomes one coalesced "nodes" change,
   * or one at once with `now` (room just given away: no cycle may place on the old figure).
   */
  private refreshNode(name: string, now = false): void {
    const obj = this.nodeObjects.get(name);
    const spec = obj
      ? nodeSpecOf(obj, this.foreignByNode.get(name), this.agents.goneReason(name))
      : undefined;
    const key = spec ? JSON.stringify(spec) : "";
    const old = this.specs.get(name);
    if ((old?.key ?? "") === key) return;
    if (spec) this.specs.set(name, { spec, key });
    else this.specs.delete(name);
    this.nodeList = undefined;
    this.parked.clear();
    if (now) {
      if (this.nodesChangeTimer) this.o.clock.clearTimeout(this.nodesChangeTimer);
      this.nodesChangeTimer = undefined;
      this.emit({ kind: "nodes" });
      return;
    }
    if (this.nodesChangeTimer) return;
    this.nodesChangeTimer = this.o.clock.setTimeout(() => {
      this.nodesChangeTimer = undefined;
      this.emit({ kind: "nodes" });
    }, 10);
    this.nodesChangeTimer.unref?.();
  }

  private emit(c: ClusterChange): void {
    for (const l of this.listeners) l(c);
  }
}

/** The fields of a PodDisruptionBudget the scheduler reads (policy/v1beta1 on 1.20, policy/v1 later). */
export interface PdbLike {
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
  readonly spec?: { readonly selector?: V1LabelSelector };
  readonly status?: { readonly disruptionsAllowed?: number };
}

/** Whether a pod asks for a gpupool slice (its resources, or an assignment annotation of its own). */
function asksForSlice(pod: V1Pod): boolean {
  if (pod.metadata?.annotations?.[ASSIGNMENT_ANNOTATION] !== undefined) return true;
  return (pod.spec?.containers ?? []).some((c) =>
    Object.keys({ ...c.resources?.limits, ...c.resources?.requests }).some((k) => k.startsWith(`${DOMAIN}/`)),
  );
}

/** Gang names are per namespace. */
function scoped(w: Workload, ref: PodRef): Workload {
  return w.gang ? { ...w, gang: { ...w.gang, id: `${ref.namespace}/${w.gang.id}` } } : w;
}
