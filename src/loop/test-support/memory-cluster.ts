import type { Allocation } from "../../core/allocation.js";
import type { NodeSpec } from "../../core/node.js";
import type { QueueSpec } from "../../core/queue.js";
import type { Workload } from "../../core/workload.js";
import type { Eviction } from "../../scheduler/actions/index.js";
import type { Clock } from "../clock.js";
import type { ClusterChange, ClusterPort, PlacedWork } from "../cluster-port.js";

type State = "pending" | "placed" | "stopping" | "done";

/**
 * An in-memory cluster behind the cluster port, for loop tests: the test submits work, the loop
 * binds and evicts, and the test decides when evicted (or any placed) work is gone. Every bind and
 * eviction is logged with the clock's time.
 */
export class MemoryCluster implements ClusterPort {
  private readonly work = new Map<string, { w: Workload; state: State; alloc?: Allocation }>();
  private readonly listeners = new Set<(c: ClusterChange) => void>();
  readonly binds: { id: string; at: number; alloc: Allocation }[] = [];
  readonly evictions: { eviction: Eviction; at: number }[] = [];
  readonly reasons = new Map<string, string>();
  /** Ids whose next bind is refused (as if the job changed meanwhile). */
  readonly refuse = new Set<string>();
  private seq = 0;

  constructor(
    private nodeList: NodeSpec[],
    private readonly clock: Clock,
    private readonly queueList: QueueSpec[] = [],
  ) {}

  submit(w: Omit<Workload, "seq">): Workload {
    const full = { ...w, seq: ++this.seq };
    this.work.set(w.id, { w: full, state: "pending" });
    this.emit({ kind: "pending", id: w.id });
    return full;
  }

  /** Work already placed before the loop starts. */
  place(w: Omit<Workload, "seq">, alloc: Allocation): void {
    this.work.set(w.id, { w: { ...w, seq: ++this.seq }, state: "placed", alloc });
  }

  /** The work's container is gone (it exited, or its stop completed). */
  exit(id: string): void {
    const e = this.work.get(id);
    if (!e || (e.state !== "placed" && e.state !== "stopping")) throw new Error(`${id} is not placed`);
    e.state = "done";
    this.emit({ kind: "released", id });
  }

  addNode(n: NodeSpec): void {
    this.nodeList = [...this.nodeList, n];
    this.emit({ kind: "nodes" });
  }

  stateOf(id: string): State | undefined {
    return this.work.get(id)?.state;
  }

  nodes(): readonly NodeSpec[] {
    return this.nodeList;
  }

  placed(): readonly PlacedWork[] {
    return [...this.work.values()].flatMap((e) =>
      (e.state === "placed" || e.state === "stopping") && e.alloc
        ? [{ workload: e.w, allocation: e.alloc }]
        : [],
    );
  }

  pending(): readonly Workload[] {
    return [...this.work.values()]
      .filter((e) => e.state === "pending")
      .map((e) => e.w)
      .sort((a, b) => (b.priority ?? 0) - (a.priority ?? 0) || (a.seq ?? 0) - (b.seq ?? 0));
  }

  queues(): readonly QueueSpec[] {
    return this.queueList;
  }

  changes(listener: (c: ClusterChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  bind(allocations: readonly Allocation[]): readonly string[] {
    const bound: string[] = [];
    for (const a of allocations) {
      const e = this.work.get(a.workloadId);
      if (e?.state !== "pending" || this.refuse.delete(a.workloadId)) continue;
      e.state = "placed";
      e.alloc = a;
      this.binds.push({ id: a.workloadId, at: this.clock.now(), alloc: a });
      bound.push(a.workloadId);
    }
    return bound;
  }

  evict(eviction: Eviction): void {
    const e = this.work.get(eviction.workloadId);
    if (e?.state === "placed") e.state = "stopping";
    this.evictions.push({ eviction, at: this.clock.now() });
  }

  noteReasons(reasons: ReadonlyMap<string, string>): void {
    for (const [id, r] of reasons) this.reasons.set(id, r);
  }

  private emit(c: ClusterChange): void {
    for (const l of this.listeners) queueMicrotask(() => l(c));
  }
}
