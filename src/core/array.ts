import { GpupoolError } from "./errors.js";
import { isFinished, type JobState } from "./job-states.js";

/**
 * Batch arrays: one spec run once per index, like Slurm's job arrays and Kubernetes' Indexed Jobs.
 * The index list is split into tasks of `pack` consecutive indexes (one job, one container, one
 * slice each: the command gets all of them and loops, so many short tasks pay one container start
 * and one CUDA context); at most `parallelism` tasks are live at once. Pure: the store keeps the
 * array, agent/array-reconciler.ts turns it into jobs with these functions.
 */

/** An array as its spec asks for it. */
export interface ArraySpec {
  /** The indexes as written: "0-999", "1,3,5-9", "0-30:10" (a step), as in Slurm's --array. */
  readonly indexes: string;
  /** Tasks live (pending or placed) at once; default: all of them. */
  readonly parallelism: number;
  /** Indexes per task (one container runs them one after another); default 1. */
  readonly pack: number;
}

/** The most indexes one array may hold. */
export const MAX_ARRAY_INDEXES = 100_000;
/** The largest index (as Kubernetes' completion indexes, a non-negative 32-bit integer). */
export const MAX_ARRAY_INDEX = 2 ** 31 - 1;

function bad(text: string, why: string): GpupoolError {
  return new GpupoolError("GP_INVALID_SPEC", `spec.array.indexes: "${text}": ${why}`, {
    path: "spec.array.indexes",
  });
}

/**
 * The indexes `text` names, in the order written, e.g. "0-3,8,10-20:5" → 0 1 2 3 8 10 15 20.
 * GP_INVALID_SPEC for anything else: an empty list, a range running backwards, a repeated index,
 * more than MAX_ARRAY_INDEXES, an index above MAX_ARRAY_INDEX.
 */
export function parseArrayIndexes(text: string): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  const trimmed = text.trim();
  if (trimmed === "") throw bad(text, "no indexes (write e.g. 0-99 or 1,3,5-9)");
  for (const part of trimmed.split(",")) {
    const m = /^\s*(\d+)(?:\s*-\s*(\d+)(?::(\d+))?)?\s*$/.exec(part);
    if (!m) throw bad(text, `"${part}" is not an index, a range A-B or a stepped range A-B:STEP`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    const step = m[3] === undefined ? 1 : Number(m[3]);
    if (to > MAX_ARRAY_INDEX || from > MAX_ARRAY_INDEX)
      throw bad(text, `indexes go up to ${MAX_ARRAY_INDEX}`);
    if (to < from) throw bad(text, `the range ${from}-${to} runs backwards`);
    if (step < 1) throw bad(text, "a step must be at least 1");
    if ((to - from) / step + 1 + out.length > MAX_ARRAY_INDEXES)
      throw bad(text, `more than ${MAX_ARRAY_INDEXES} indexes`);
    for (let i = from; i <= to; i += step) {
      if (seen.has(i)) throw bad(text, `index ${i} is named twice`);
      seen.add(i);
      out.push(i);
    }
  }
  return out;
}

/** The indexes of task `task` (0-based) when `indexes` are packed `pack` to a task. */
export function taskIndexes(indexes: readonly number[], pack: number, task: number): number[] {
  return indexes.slice(task * pack, (task + 1) * pack);
}

/** How many tasks `count` indexes make, `pack` to a task. */
export function taskCount(count: number, pack: number): number {
  return Math.ceil(count / pack);
}

/** One task of an array as the store has it: its number and the state of its job. */
export interface TaskState {
  readonly task: number;
  readonly state: JobState;
}

/**
 * The tasks to create now: the lowest-numbered ones not created yet, as many as keep the live
 * (unfinished) tasks at `parallelism`. Recomputed from what exists, so running it again (after a
 * crash, or twice for one change) creates nothing twice.
 */
export function tasksToCreate(total: number, existing: readonly TaskState[], parallelism: number): number[] {
  const created = new Set(existing.map((t) => t.task));
  const live = existing.filter((t) => !isFinished(t.state)).length;
  const out: number[] = [];
  for (let t = 0; t < total && live + out.length < parallelism; t++) if (!created.has(t)) out.push(t);
  return out;
}

/** An array's progress, counted in indexes (a packed task's indexes share its job's state). */
export interface ArrayProgress {
  readonly total: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly running: number;
  /** Waiting: not created yet, or pending placement (retries in backoff included). */
  readonly pending: number;
}

export type ArrayState = "Running" | "Succeeded" | "Failed" | "Cancelled";

/**
 * Progress from the tasks' states: Succeeded, Failed and Cancelled count as ended (Cancelled as
 * failed: the index did not run to success), Scheduled, Starting and Running as running.
 */
export function arrayProgress(indexCount: number, pack: number, tasks: readonly TaskState[]): ArrayProgress {
  let succeeded = 0;
  let failed = 0;
  let running = 0;
  for (const t of tasks) {
    const n = Math.min(pack, indexCount - t.task * pack);
    if (t.state === "Succeeded") succeeded += n;
    else if (t.state === "Failed" || t.state === "Cancelled") failed += n;
    else if (t.state === "Scheduled" || t.state === "Starting" || t.state === "Running") running += n;
  }
  return {
    total: indexCount,
    succeeded,
    failed,
    running,
    pending: indexCount - succeeded - failed - running,
  };
}

/** The array's state once every index has ended (Succeeded only if all did), else Running. */
export function arrayStateOf(p: ArrayProgress): ArrayState {
  if (p.succeeded + p.failed < p.total) return "Running";
  return p.failed === 0 ? "Succeeded" : "Failed";
}
