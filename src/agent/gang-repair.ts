import type { JobState } from "../store/index.js";

/**
 * Keeps a gang whole (pure): members are placed all together or not at all, so a member waiting
 * alone can never run. When members' fates diverge (one requeued after a failure or preemption while
 * another still runs or has already ended), this says what to do so no member waits forever:
 * - some wait and some have ended (Succeeded, Failed, Cancelled): the gang cannot be whole again,
 *   so the waiting ones end too (Cancelled when a member was cancelled, else Failed), with the reason;
 * - some wait and the rest are placed: the placed ones are stopped and requeued, so the gang
 *   restarts together (torchrun's rule for a lost rank).
 */

export interface GangMemberState {
  readonly id: string;
  readonly name: string;
  readonly state: JobState;
}

export interface GangRepair {
  /** Placed members to stop and requeue (a preemption-like stop). */
  readonly stop: readonly { readonly id: string; readonly reason: string }[];
  /** Waiting members to end now. */
  readonly end: readonly {
    readonly id: string;
    readonly to: "Failed" | "Cancelled";
    readonly reason: string;
  }[];
}

const WAITING: ReadonlySet<JobState> = new Set(["Pending", "Preempted"]);
const PLACED: ReadonlySet<JobState> = new Set(["Scheduled", "Starting", "Running"]);

export function gangRepair(gang: string, members: readonly GangMemberState[]): GangRepair {
  const waiting = members.filter((m) => WAITING.has(m.state));
  if (waiting.length === 0) return { stop: [], end: [] };
  const ended = members.filter((m) => !WAITING.has(m.state) && !PLACED.has(m.state));
  if (ended.length > 0) {
    const cancelled = ended.find((m) => m.state === "Cancelled");
    const first = cancelled ?? ended[0]!;
    const to = cancelled ? "Cancelled" : "Failed";
    const reason = `gang ${gang} cannot run whole again: member ${first.name} ended ${first.state}`;
    return { stop: [], end: waiting.map((m) => ({ id: m.id, to, reason })) };
  }
  const placed = members.filter((m) => PLACED.has(m.state));
  const first = waiting[0]!;
  return {
    stop: placed.map((m) => ({
      id: m.id,
      reason: `restarting with gang ${gang} (member ${first.name} is requeued)`,
    })),
    end: [],
  };
}
