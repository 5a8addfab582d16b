import type { Allocation } from "../core/allocation.js";
import type { NodeSpec } from "../core/node.js";
import type { Workload } from "../core/workload.js";
import { CycleState } from "./framework/cycle-state.js";
import { Framework } from "./framework/framework.js";
import { parseProfile, type ProfileInput } from "./framework/profile.js";
import type { Registry } from "./framework/registry.js";
import { Rng } from "./framework/rng.js";
import { Code, Status } from "./framework/status.js";
import { builtinRegistry } from "./policies.js";
import { Snapshot } from "./snapshot/snapshot.js";
import { Statement } from "./snapshot/statement.js";
import { WorkloadStats } from "./stats/workload-stats.js";

export type Decision =
  | { readonly ok: true; readonly allocation: Allocation; readonly waiting: boolean }
  | { readonly ok: false; readonly status: Status };

export interface SchedulerOptions {
  readonly profile: ProfileInput;
  readonly registry?: Registry;
  readonly seed?: number;
  /**
   * The workload statistics to learn into and score by (policies whose profile fixes no typical
   * pods follow them). Pass one to keep what was learnt across schedulers (the agent rebuilds its
   * scheduler when nodes change); by default each scheduler starts its own.
   */
  readonly stats?: WorkloadStats;
}

/**
 * One scheduler over one cluster snapshot: the framework for a profile plus the snapshot it places
 * into. `place` runs a full cycle for one pod (filter → score → devices → reserve → permit) and
 * applies the result inside the given statement, so callers (actions, the simulator, the server)
 * can roll back.
 */
export class Scheduler {
  readonly snapshot: Snapshot;
  readonly framework: Framework;
  readonly rng: Rng;
  readonly stats: WorkloadStats;

  constructor(nodes: readonly NodeSpec[], opts: SchedulerOptions) {
    this.snapshot = new Snapshot(nodes);
    this.rng = new Rng(opts.seed ?? 0);
    this.stats = opts.stats ?? new WorkloadStats();
    const profile = parseProfile(opts.profile);
    this.framework = new Framework(profile, opts.registry ?? builtinRegistry(), {
      snapshot: this.snapshot,
      rng: this.rng,
      stats: this.stats,
    });
  }

  /**
   * Counts a submitted workload into the statistics (once per id; `place` does it too). Only what
   * has been submitted is ever observed: the policy never sees a pod before it arrives.
   */
  observe(pod: Workload): void {
    this.stats.observe(pod);
  }

  statement(): Statement {
    return new Statement(this.snapshot);
  }

  /** Schedules `pod` and applies the placement to `stmt`. A Wait from permit keeps it applied (gangs). */
  place(pod: Workload, stmt: Statement, state: CycleState = new CycleState()): Decision {
    this.stats.observe(pod);
    const result = this.framework.schedule(pod, state);
    if (!result.ok) return result;
    const alloc = Framework.allocation(pod, result.node, result.gpus);
    const cp = stmt.checkpoint();
    stmt.allocate(pod, alloc);
    const reserved: typeof this.framework.reserves = [];
    for (const r of this.framework.reserves) {
      const st = r.reserve(state, pod, alloc);
      if (st !== null) {
        for (const done of [...reserved, r].reverse()) done.unreserve(state, pod, alloc);
        stmt.rollback(cp);
        st.plugin ??= r.name;
        return { ok: false, status: st };
      }
      reserved.push(r);
    }
    let waiting = false;
    for (const p of this.framework.permits) {
      const st = p.permit(state, pod, alloc);
      if (st === null) continue;
      if (st.code === Code.Wait) {
        waiting = true;
        continue;
      }
      for (const done of [...reserved].reverse()) done.unreserve(state, pod, alloc);
      stmt.rollback(cp);
      st.plugin ??= p.name;
      return { ok: false, status: st };
    }
    return { ok: true, allocation: alloc, waiting };
  }

  /** Convenience for one-shot placement outside any action: place and commit, or leave nothing. */
  placeNow(pod: Workload): Decision {
    const stmt = this.statement();
    const d = this.place(pod, stmt);
    if (d.ok && !d.waiting) stmt.commit();
    else stmt.rollback();
    return d.ok && d.waiting ? { ok: false, status: new Status(Code.Wait, ["waiting for permit"]) } : d;
  }
}
