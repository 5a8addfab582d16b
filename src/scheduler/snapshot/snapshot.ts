import type { Allocation } from "../../core/allocation.js";
import type { NodeSpec } from "../../core/node.js";
import type { Workload } from "../../core/workload.js";
import { ChangeLog } from "./change-log.js";
import { NodeInfo, type Placed, type SnapshotIndex, StateInterner } from "./node-info.js";

/**
 * The cluster as one scheduling cycle sees it: nodes in a fixed order (ties between equal scores
 * go to the earlier node) and where every placed workload is. All changes go through a Statement.
 */
export class Snapshot {
  readonly nodes: readonly NodeInfo[];
  /** Shared by the nodes: state interner, stateIds by position, change log (see NodeInfo). */
  readonly index: SnapshotIndex;
  private readonly byName = new Map<string, NodeInfo>();
  private readonly where = new Map<string, NodeInfo>();

  constructor(specs: readonly NodeSpec[]) {
    const nodes: NodeInfo[] = [];
    this.index = {
      interner: new StateInterner(),
      stateIds: new Int32Array(specs.length),
      changes: new ChangeLog(4 * specs.length),
    };
    for (const spec of specs) {
      if (this.byName.has(spec.name)) throw new Error(`duplicate node name ${spec.name}`);
      const info = new NodeInfo(spec, nodes.length, this.index);
      nodes.push(info);
      this.byName.set(spec.name, info);
    }
    this.nodes = nodes;
  }

  node(name: string): NodeInfo | undefined {
    return this.byName.get(name);
  }

  /** Where a workload is placed, if it is. */
  placement(workloadId: string): Placed | undefined {
    return this.where.get(workloadId)?.placed.get(workloadId);
  }

  placedWorkloads(): Placed[] {
    const all: Placed[] = [];
    for (const n of this.nodes) for (const p of n.placed.values()) all.push(p);
    return all;
  }

  /** @internal Statement only. */
  _apply(workload: Workload, alloc: Allocation): void {
    const node = this.byName.get(alloc.node);
    if (!node) throw new Error(`allocation on unknown node ${alloc.node}`);
    if (this.where.has(alloc.workloadId)) throw new Error(`workload ${alloc.workloadId} is already placed`);
    node.apply(workload, alloc);
    this.where.set(alloc.workloadId, node);
  }

  /** @internal Statement only. */
  _release(workloadId: string): Placed {
    const node = this.where.get(workloadId);
    const placed = node?.placed.get(workloadId);
    if (!node || !placed) throw new Error(`workload ${workloadId} is not placed`);
    node.release(placed.allocation);
    this.where.delete(workloadId);
    return placed;
  }
}
