import { describe, expect, it } from "vitest";
import type { JobState } from "../store/index.js";
import { gangFailureStops, gangRepair } from "./gang-repair.js";

/** (c) A gang whose members' fates diverge never leaves a member waiting forever. */

const gang = (...states: JobState[]) => states.map((state, i) => ({ id: `j${i}`, name: `m-${i}`, state }));

describe("gangRepair", () => {
  it("all placed, all waiting, or all ended: nothing to do", () => {
    for (const g of [
      gang("Running", "Running"),
      gang("Pending", "Pending"),
      gang("Succeeded", "Failed"),
      gang("Pending", "Preempted"),
    ])
      expect(gangRepair("g", g)).toEqual({ end: [] });
  });

  it("one member Succeeded while another was requeued: the waiting one ends Failed with the reason", () => {
    expect(gangRepair("g", gang("Succeeded", "Pending"))).toEqual({
      end: [{ id: "j1", to: "Failed", reason: "gang g cannot run whole again: member m-0 ended Succeeded" }],
    });
  });

  it("a cancelled member ends the waiting ones as Cancelled", () => {
    expect(gangRepair("g", gang("Failed", "Cancelled", "Pending")).end).toEqual([
      { id: "j2", to: "Cancelled", reason: "gang g cannot run whole again: member m-1 ended Cancelled" },
    ]);
  });

  it("one member requeued (a retry) while the others run: nothing, it rejoins them", () => {
    expect(gangRepair("g", gang("Pending", "Running", "Starting"))).toEqual({ end: [] });
  });
});

describe("gangFailureStops", () => {
  const m = (id: string, state: JobState) => ({ id, name: `train-${id}`, state });
  it("stops the failed member's placed siblings, not the waiting or ended ones, naming the member", () => {
    const members = [
      m("0", "Running"),
      m("1", "Failed"),
      m("2", "Starting"),
      m("3", "Pending"),
      m("4", "Succeeded"),
    ];
    expect(gangFailureStops({ id: "1", name: "train-1" }, "exit code 1", members)).toEqual([
      { id: "0", reason: "gang member train-1 failed (exit code 1)" },
      { id: "2", reason: "gang member train-1 failed (exit code 1)" },
    ]);
  });
  it("nothing when no sibling is placed", () => {
    expect(gangFailureStops({ id: "1", name: "t-1" }, "x", [m("1", "Failed"), m("0", "Failed")])).toEqual([]);
  });
});
