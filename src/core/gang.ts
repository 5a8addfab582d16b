import type { ArrayProgress, ArrayState } from "./array.js";
import type { JobState } from "./job-states.js";

/**
 * Gangs as workloads (pure): a gang of N members is one stored workload whose reconciler makes a
 * job per rank (agent/gang-reconciler.ts), the way a Kubernetes JobSet or a Volcano Job owns its
 * pods. Its members are named NAME-RANK.
 */

export function memberName(gangName: string, rank: number): string {
  return `${gangName}-${rank}`;
}

/** The ranks of a gang of `size` that have no member job yet, lowest first. */
export function ranksToMake(size: number, made: readonly number[]): number[] {
  const have = new Set(made);
  return Array.from({ length: size }, (_, r) => r).filter((r) => !have.has(r));
}

/** A gang's members counted by state (as an array's tasks are: Cancelled counts as failed). */
export function gangProgress(size: number, members: readonly JobState[]): ArrayProgress {
  let succeeded = 0;
  let failed = 0;
  let running = 0;
  for (const s of members) {
    if (s === "Succeeded") succeeded++;
    else if (s === "Failed" || s === "Cancelled") failed++;
    else if (s === "Scheduled" || s === "Starting" || s === "Running") running++;
  }
  return { total: size, succeeded, failed, running, pending: size - succeeded - failed - running };
}

/**
 * A gang's state from its members': Running until every member has ended; then Succeeded when all
 * succeeded, Cancelled when one was cancelled and none failed, else Failed.
 */
export function gangState(size: number, members: readonly JobState[]): ArrayState {
  const ended = members.filter((s) => s === "Succeeded" || s === "Failed" || s === "Cancelled");
  if (members.length < size || ended.length < members.length) return "Running";
  if (ended.every((s) => s === "Succeeded")) return "Succeeded";
  return ended.some((s) => s === "Failed") ? "Failed" : "Cancelled";
}
