import { describe, expect, it } from "vitest";
import { gangProgress, gangState, memberName, ranksToMake } from "./gang.js";

describe("gangs as workloads", () => {
  it("names members NAME-RANK and makes the ranks not made yet", () => {
    expect(memberName("train", 3)).toBe("train-3");
    expect(ranksToMake(4, [])).toEqual([0, 1, 2, 3]);
    expect(ranksToMake(4, [0, 2])).toEqual([1, 3]);
    expect(ranksToMake(2, [0, 1])).toEqual([]);
  });

  it.each([
    [["Running", "Pending"], "Running"],
    [["Succeeded"], "Running"],
    [["Succeeded", "Running"], "Running"],
    [["Succeeded", "Succeeded"], "Succeeded"],
    [["Succeeded", "Cancelled"], "Cancelled"],
    [["Failed", "Cancelled"], "Failed"],
  ] as const)("members %j → %s", (members, state) => {
    expect(gangState(2, members)).toBe(state);
  });

  it("counts members by state", () => {
    expect(gangProgress(4, ["Succeeded", "Failed", "Running", "Pending"])).toEqual({
      total: 4,
      succeeded: 1,
      failed: 1,
      running: 1,
      pending: 1,
    });
  });
});
