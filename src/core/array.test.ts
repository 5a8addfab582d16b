import { describe, expect, it } from "vitest";
import {
  arrayProgress,
  arrayStateOf,
  MAX_ARRAY_INDEXES,
  parseArrayIndexes,
  type TaskState,
  taskCount,
  taskIndexes,
  tasksToCreate,
} from "./array.js";
import { isGpupoolError } from "./errors.js";
import type { JobState } from "./job-states.js";

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    return isGpupoolError(err) ? `${err.code}: ${err.message}` : `not a GpupoolError: ${String(err)}`;
  }
  return "no error";
}

describe("parseArrayIndexes", () => {
  it.each([
    ["0-3", [0, 1, 2, 3]],
    ["7", [7]],
    ["1,3,5-7", [1, 3, 5, 6, 7]],
    ["0-20:10", [0, 10, 20]],
    ["0-21:10", [0, 10, 20]],
    [" 4 - 5 , 9 ", [4, 5, 9]],
    ["9,2", [9, 2]],
  ])("%s → %j", (text, want) => {
    expect(parseArrayIndexes(text)).toEqual(want);
  });

  it.each([
    ["", "no indexes"],
    ["a-b", "is not an index"],
    ["5-3", "runs backwards"],
    ["1,2,1", "index 1 is named twice"],
    ["0-5,3", "index 3 is named twice"],
    ["0-4:0", "a step must be at least 1"],
    [`0-${MAX_ARRAY_INDEXES}`, `more than ${MAX_ARRAY_INDEXES} indexes`],
    ["-1", "is not an index"],
    ["3000000000", "indexes go up to"],
    ["1,,2", "is not an index"],
  ])("refuses %j (%s) with GP_INVALID_SPEC", (text, why) => {
    const e = errorOf(() => parseArrayIndexes(text));
    expect(e).toMatch(/^GP_INVALID_SPEC: spec\.array\.indexes: /);
    expect(e).toContain(why);
  });

  it("takes exactly MAX_ARRAY_INDEXES indexes", () => {
    expect(parseArrayIndexes(`0-${MAX_ARRAY_INDEXES - 1}`)).toHaveLength(MAX_ARRAY_INDEXES);
  });
});

describe("packing", () => {
  it("splits the indexes into tasks of `pack`, the last one shorter", () => {
    const idx = parseArrayIndexes("10-16");
    expect(taskCount(idx.length, 3)).toBe(3);
    expect([0, 1, 2].map((t) => taskIndexes(idx, 3, t))).toEqual([[10, 11, 12], [13, 14, 15], [16]]);
    expect(taskCount(1000, 50)).toBe(20);
    expect(taskCount(1000, 1)).toBe(1000);
  });
});

describe("tasksToCreate", () => {
  const t = (task: number, state: JobState): TaskState => ({ task, state });
  it.each<[string, number, TaskState[], number, number[]]>([
    ["nothing yet: the first `parallelism`", 10, [], 3, [0, 1, 2]],
    ["two live, one slot free", 10, [t(0, "Running"), t(1, "Pending"), t(2, "Succeeded")], 3, [3]],
    ["all slots taken", 10, [t(0, "Running"), t(1, "Pending"), t(2, "Preempted")], 3, []],
    ["a gap left by a crash is filled first", 10, [t(0, "Succeeded"), t(2, "Running")], 3, [1, 3]],
    ["the last tasks", 4, [t(0, "Succeeded"), t(1, "Failed"), t(2, "Running")], 3, [3]],
    ["all created", 2, [t(0, "Succeeded"), t(1, "Cancelled")], 3, []],
  ])("%s", (_what, total, existing, parallelism, want) => {
    expect(tasksToCreate(total, existing, parallelism)).toEqual(want);
  });

  it("is idempotent: applying its answer leaves nothing more to create", () => {
    const existing: TaskState[] = [t(0, "Succeeded"), t(3, "Running")];
    const now = tasksToCreate(8, existing, 4);
    const after = [...existing, ...now.map((n) => t(n, "Pending"))];
    expect(tasksToCreate(8, after, 4)).toEqual([]);
  });
});

describe("arrayProgress and arrayStateOf", () => {
  const t = (task: number, state: JobState): TaskState => ({ task, state });
  it("counts indexes, a packed task's with its job's state, the short last task by its size", () => {
    // 7 indexes, pack 3: tasks of 3, 3, 1.
    const p = arrayProgress(7, 3, [t(0, "Succeeded"), t(2, "Running")]);
    expect(p).toEqual({ total: 7, succeeded: 3, failed: 0, running: 1, pending: 3 });
    expect(arrayStateOf(p)).toBe("Running");
  });

  it.each<[TaskState[], string]>([
    [[t(0, "Succeeded"), t(1, "Succeeded")], "Succeeded"],
    [[t(0, "Succeeded"), t(1, "Failed")], "Failed"],
    [[t(0, "Cancelled"), t(1, "Succeeded")], "Failed"],
    [[t(0, "Succeeded"), t(1, "Pending")], "Running"],
    [[t(0, "Succeeded"), t(1, "Preempted")], "Running"],
  ])("%j → %s", (tasks, want) => {
    expect(arrayStateOf(arrayProgress(2, 1, tasks))).toBe(want);
  });
});
