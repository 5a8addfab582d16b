import type { JobState } from "../store/index.js";

/**
 * Keeps a gang from waiting forever (pure). The scheduler places a gang's members all together, or
 * a requeued member alone when its siblings still run (it rejoins them); but a member whose sibling
 * has ended (Succeeded, Failed, Cancelled) can never be placed again, since the gang cannot be whole.
 * Such waiting members end too (Cancelled when a member was cancelled, else Failed), with the reason.
 */

export interface GangMemberState {
  readonly id: string;
  readonly name: string;
  readonly state: JobState;
}

export interface GangRepair {
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
  const ended = members.filter((m) => !WAITING.has(m.state) && !PLACED.has(m.state));
  if (waiting.length === 0 || ended.length === 0) return { end: [] };
  const cancelled = ended.find((m) => m.state === "Cancelled");
  const first = cancelled ?? ended[0]!;
  const to = cancelled ? "Cancelled" : "Failed";
  const reason = `gang ${gang} cannot run whole again: member ${first.name} ended ${first.state}`;
  return { end: waiting.map((m) => ({ id: m.id, to, reason })) };
}

/**
 * When one member's attempt fails, the gang's run has failed (pure): its members still placed are
 * stopped (kind `gang`: each ends Failed, and under restartPolicy OnFailure is retried, so the gang
 * re-forms and restarts together), as torchrun stops the other workers when one fails.
 */
export function gangFailureStops(
  failed: { readonly id: string; readonly name: string },
  why: string,
  members: readonly GangMemberState[],
): readonly { readonly id: string; readonly reason: string }[] {
  return members
    .filter((m) => m.id !== failed.id && PLACED.has(m.state))
    .map((m) => ({ id: m.id, reason: `gang member ${failed.name} failed (${why})` }));
}
