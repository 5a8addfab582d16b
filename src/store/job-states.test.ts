import { describe, expect, it } from "vitest";
import { FINAL_STATES, JOB_STATES, TRANSITIONS, canTransition } from "./job-states.js";

describe("job state machine", () => {
  it("allows exactly the issue's lifecycle plus requeue/retry", () => {
    const legal = JOB_STATES.flatMap((from) =>
      JOB_STATES.filter((to) => canTransition(from, to)).map((to) => `${from}→${to}`),
    );
    expect(legal.sort()).toEqual(
      [
        "Pending→Scheduled",
        "Pending→Cancelled",
        "Pending→Failed",
        "Scheduled→Starting",
        "Scheduled→Pending",
        "Scheduled→Cancelled",
        "Scheduled→Failed",
        "Scheduled→Preempted",
        "Starting→Running",
        "Starting→Failed",
        "Starting→Cancelled",
        "Starting→Preempted",
        "Running→Succeeded",
        "Running→Failed",
        "Running→Preempted",
        "Running→Cancelled",
        "Preempted→Pending",
        "Preempted→Cancelled",
        "Failed→Pending",
      ].sort(),
    );
  });

  it("final states have no way out, and no state goes to itself", () => {
    for (const s of FINAL_STATES) expect(TRANSITIONS[s]).toEqual([]);
    for (const s of JOB_STATES) expect(canTransition(s, s)).toBe(false);
  });
});
