import { addResources, NO_RESOURCES, type Resources } from "../../core/queue.js";
import type { Workload } from "../../core/workload.js";
import { demandOf, queueOf } from "./ledger.js";

/**
 * What an action schedules as one piece: a single workload, or the pending members of a gang (placed
 * all together in one Statement, or none).
 */
export interface Unit {
  /** The gang id, or the workload id of a single. */
  readonly key: string;
  /** Pending members in placement order (seq, then id). */
  readonly members: readonly Workload[];
  /** Set for gangs: members needed in all (pending + already running). */
  readonly gangSize?: number;
  /** Highest member priority (members of a gang should share one). */
  readonly priority: number;
  /** Earliest member submission; FIFO within a priority. */
  readonly seq: number;
  readonly queue: string;
  /** Summed demand of the pending members (see demandOf). */
  readonly demand: Resources;
}

export function priorityOf(w: Workload): number {
  return w.priority ?? 0;
}

export function seqOf(w: Workload): number {
  return w.seq ?? 0;
}

function byPlacementOrder(a: Workload, b: Workload): number {
  return seqOf(a) - seqOf(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Groups pending workloads into units; input order does not matter (output is canonically ordered). A repeated id is a caller bug (throws). */
export function buildUnits(pending: readonly Workload[]): Unit[] {
  const gangs = new Map<string, Workload[]>();
  const units: Unit[] = [];
  const seen = new Set<string>();
  for (const w of pending) {
    if (seen.has(w.id)) throw new Error(`pending workload ${w.id} is listed twice`);
    seen.add(w.id);
    if (!w.gang) {
      units.push(makeUnit(w.id, [w], undefined));
      continue;
    }
    const list = gangs.get(w.gang.id) ?? [];
    list.push(w);
    gangs.set(w.gang.id, list);
  }
  for (const [id, members] of gangs) {
    members.sort(byPlacementOrder);
    units.push(makeUnit(id, members, Math.max(...members.map((m) => m.gang!.size))));
  }
  return units.sort(compareUnits);
}

function makeUnit(key: string, members: Workload[], gangSize: number | undefined): Unit {
  let demand = NO_RESOURCES;
  for (const m of members) demand = addResources(demand, demandOf(m));
  return {
    key,
    members,
    ...(gangSize === undefined ? {} : { gangSize }),
    priority: Math.max(...members.map(priorityOf)),
    seq: Math.min(...members.map(seqOf)),
    queue: queueOf(members[0]!),
    demand,
  };
}

/** Priority descending, then FIFO (seq), then key: the static order before queue fairness. */
export function compareUnits(a: Unit, b: Unit): number {
  return b.priority - a.priority || a.seq - b.seq || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}
