import { type ArrayView, arrayResponse, arraysResponse } from "../../api/schemas.js";
import { GpupoolError } from "../../core/errors.js";
import type { ApiClient } from "./http.js";
import { age, type Column } from "./output.js";
import { type ListFlags, listWorkloads, printWorkload } from "./workload-lists.js";
import { type CommonFlags, type Io, stdio } from "./common.js";
import { type Interrupts, processInterrupts } from "./wait.js";

/** Batch arrays from the CLI: `run --array`, `arrays`, and what get/stop/rm do when a reference names one. */

/**
 * `--array 0-999%8`: the indexes, and after `%` the most tasks at once (Slurm's spelling). The
 * indexes themselves are checked by the server (GP_INVALID_SPEC naming spec.array.indexes).
 */
export function parseArrayFlag(text: string): { indexes: string; parallelism?: number } {
  const pct = text.lastIndexOf("%");
  if (pct < 0) return { indexes: text };
  const limit = text.slice(pct + 1);
  if (!/^\d+$/.test(limit) || Number(limit) < 1)
    throw new GpupoolError(
      "GP_INVALID_ARGUMENT",
      `--array ${text}: after % comes the most tasks at once, a whole number from 1 (e.g. 0-999%8)`,
    );
  return { indexes: text.slice(0, pct), parallelism: Number(limit) };
}

/** "412/1000 done, 8 running, 2 failed, 578 pending". */
export function progressText(a: Pick<ArrayView, "progress">): string {
  const p = a.progress;
  return `${p.succeeded}/${p.total} done, ${p.running} running, ${p.failed} failed, ${p.pending} pending`;
}

/** A bar of `width` cells: '#' done, '!' failed, '>' running, '.' the rest. */
export function progressBar(a: Pick<ArrayView, "progress">, width = 30): string {
  const p = a.progress;
  const cells = (n: number) => (p.total === 0 ? 0 : Math.floor((n * width) / p.total));
  let done = cells(p.succeeded);
  let failed = cells(p.failed);
  // Every index ended: the cells rounding left go to what there is, so the bar is full.
  if (p.running + p.pending === 0) {
    if (p.failed > 0) failed = width - done;
    else done = width;
  }
  const running = Math.min(width - done - failed, cells(p.running));
  return `[${"#".repeat(done)}${"!".repeat(failed)}${">".repeat(running)}${".".repeat(width - done - failed - running)}]`;
}

export const ARRAY_COLUMNS: readonly Column<ArrayView>[] = [
  { header: "ID", cell: (a) => a.id },
  { header: "NAME", cell: (a) => a.name },
  { header: "TENANT", cell: (a) => a.tenant, wide: true },
  { header: "STATE", cell: (a) => a.state },
  { header: "INDEXES", cell: (a) => a.indexes, wide: true },
  { header: "TASKS", cell: (a) => `${a.tasks} (pack ${a.pack}, ${a.parallelism} at once)`, wide: true },
  { header: "PROGRESS", cell: (a) => `${progressBar(a, 20)} ${progressText(a)}` },
  { header: "AGE", cell: (a) => age(a.createdAt) },
  { header: "REASON", cell: (a) => a.reason ?? "" },
];

/** `arrays`: your batch arrays (running ones; -a all), with their progress. */
export function arraysCommand(f: ListFlags, io: Io = stdio): Promise<number> {
  return listWorkloads(f, io, "/v1/arrays", arraysResponse, "arrays", ARRAY_COLUMNS);
}

/** `get ARRAY`: the array as YAML by default, its progress included; -o table: one row. */
export function printArray(array: ArrayView, f: CommonFlags, io: Io): number {
  return printWorkload("array", array, ARRAY_COLUMNS, f, io);
}

/** How `run --array --wait` shows progress: redrawn in place on a terminal, else a line per change. */
export interface ArrayWaitOptions {
  readonly interrupts?: Interrupts;
  readonly tty?: boolean;
  readonly intervalMs?: number;
  /** Not a terminal: the least time between two progress lines (default 5000 ms). */
  readonly logEveryMs?: number;
}

/**
 * `run --array --wait`: follows the array until it ends, drawing its progress on stderr; exits 0
 * when every index succeeded, 1 when any failed, 130 after Ctrl-C (which stops the array; a second
 * Ctrl-C detaches at once).
 */
export async function waitForArray(
  api: ApiClient,
  array: ArrayView,
  io: Io,
  opts: ArrayWaitOptions = {},
): Promise<number> {
  const tty = opts.tty ?? process.stderr.isTTY === true;
  const interrupts = opts.interrupts ?? processInterrupts;
  let interrupted = 0;
  let wake: () => void = () => {};
  const off = interrupts(() => {
    interrupted++;
    wake();
  });
  let stopping: Promise<unknown> | undefined;
  let last = "";
  let lastAt = 0;
  // A terminal's line is redrawn at each change; a log (not a terminal) gets a line at most every 5 s.
  const show = (a: ArrayView, final = false) => {
    const line = `${a.name} ${progressBar(a)} ${progressText(a)}`;
    if (!final && (line === last || (!tty && Date.now() - lastAt < (opts.logEveryMs ?? 5000)))) return;
    last = line;
    lastAt = Date.now();
    io.err(tty ? `\r\x1b[2K${line}${final ? "\n" : ""}` : `${line}\n`);
  };
  try {
    io.err(
      `gpupool: array ${array.id} (${array.name}): ${array.tasks} tasks, ${array.parallelism} at once\n`,
    );
    let a = array;
    for (;;) {
      if (interrupted >= 2) {
        if (tty) io.err("\n");
        io.err(`gpupool: detached; follow it with: gpupool get ${a.id}\n`);
        return 130;
      }
      if (interrupted === 1 && !stopping) {
        if (tty) io.err("\n");
        io.err(`gpupool: stopping array ${a.id} (Ctrl-C again to detach)\n`);
        stopping = api.json(arrayResponse, "POST", `/v1/arrays/${encodeURIComponent(a.id)}/stop`, {});
      }
      a = (await api.json(arrayResponse, "GET", `/v1/arrays/${encodeURIComponent(a.id)}`)).array;
      if (a.state !== "Running") {
        await stopping;
        show(a, true);
        io.err(`gpupool: array ${a.id} ${a.state}${a.reason ? `: ${a.reason}` : ""}\n`);
        if (a.state === "Cancelled" && stopping) return 130;
        return a.state === "Succeeded" ? 0 : 1;
      }
      show(a);
      await new Promise<void>((r) => {
        const timer = setTimeout(r, opts.intervalMs ?? 500);
        wake = () => {
          clearTimeout(timer);
          r();
        };
      });
    }
  } finally {
    off();
  }
}
