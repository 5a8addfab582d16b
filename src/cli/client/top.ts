import {
  type GpuView,
  gpusResponse,
  type JobView,
  jobPageResponse,
  nodesResponse,
} from "../../api/schemas.js";
import { GpupoolError } from "../../core/errors.js";
import { GPU_COLUMNS } from "./cluster.js";
import { type CommonFlags, client, type Io, stdio } from "./common.js";
import { age, type Column, table } from "./output.js";
import { percent } from "./units.js";

/**
 * `gpupool top`: a live view of the server in the terminal, redrawn in place every interval: the
 * GPUs with their slices, owners, memory and health, the busiest running jobs, and how many wait.
 * `q` (or Ctrl-C) quits. Not on a terminal, or with --once, it prints one frame and exits.
 */

export interface TopFlags extends CommonFlags {
  readonly interval?: string;
  readonly once?: boolean;
}

export interface TopTerminal {
  readonly tty: boolean;
  /** Calls `onKey` for each key pressed (raw mode); returns the function that restores the terminal. */
  keys(onKey: (key: string) => void): () => void;
  readonly columns: number;
}

const processTerminal: TopTerminal = {
  tty: process.stdout.isTTY === true && process.stdin.isTTY === true,
  keys(onKey) {
    const stdin = process.stdin;
    stdin.setRawMode(true);
    stdin.resume();
    const listener = (b: Buffer) => onKey(b.toString("utf8"));
    stdin.on("data", listener);
    return () => {
      stdin.off("data", listener);
      stdin.setRawMode(false);
      stdin.pause();
    };
  },
  get columns() {
    return process.stdout.columns ?? 120;
  },
};

/** The GPU table of `nodes`, its owners by job name where the caller sees the job. */
function gpuColumns(names: ReadonlyMap<string, string>): readonly Column<GpuView>[] {
  const who = (id: string) => names.get(id) ?? id;
  return [
    ...GPU_COLUMNS.filter((c) => c.header !== "UUID" && c.header !== "JOBS"),
    {
      header: "OWNERS",
      cell: (g) =>
        (g.migEnabled
          ? g.migInstances.map((m) => `${who(m.job)} ${m.profile}`)
          : g.slices.map((s) => `${who(s.job)} ${percent(s.milli)}`)
        ).join(", ") || "-",
    },
  ];
}

const heldMilli = (j: JobView) => j.gpus.reduce((s, g) => s + g.milli, 0);

const JOB_COLUMNS: readonly Column<JobView>[] = [
  { header: "JOB", cell: (j) => j.id },
  { header: "NAME", cell: (j) => j.name },
  { header: "TENANT", cell: (j) => j.tenant },
  {
    header: "GPU",
    cell: (j) => (j.gpus.length === 0 ? "-" : j.gpus.map((g) => `${g.index}:${percent(g.milli)}`).join(" ")),
  },
  { header: "AGE", cell: (j) => age(j.startedAt) },
];

/** One frame of the view (pure: what the API answered, the time, the width). */
export function topFrame(
  server: string,
  now: Date,
  gpus: readonly GpuView[],
  running: readonly JobView[],
  pending: number,
  pendingMore: boolean,
  columns: number,
): string {
  const busiest = [...running]
    .sort((a, b) => heldMilli(b) - heldMilli(a) || a.id.localeCompare(b.id))
    .slice(0, 15);
  const simulated = gpus.some((g) => g.simulated) ? " SIMULATED" : "";
  const clip = (text: string) =>
    text
      .split("\n")
      .map((l) => (l.length > columns ? `${l.slice(0, columns - 1)}…` : l))
      .join("\n");
  return clip(
    [
      `gpupool top — ${server} — ${now.toLocaleTimeString()} — q quits`,
      `${gpus.length}${simulated} GPU(s); ${running.length} running, ${pending}${pendingMore ? "+" : ""} pending`,
      "",
      table(gpuColumns(new Map(running.map((j) => [j.id, j.name]))), gpus).trimEnd(),
      "",
      busiest.length > 0
        ? `BUSIEST RUNNING JOBS\n${table(JOB_COLUMNS, busiest).trimEnd()}`
        : "no job running",
      "",
    ].join("\n"),
  );
}

export async function topCommand(
  f: TopFlags,
  io: Io = stdio,
  term: TopTerminal = processTerminal,
): Promise<number> {
  const intervalMs = f.interval === undefined ? 2000 : Number(f.interval);
  if (!Number.isInteger(intervalMs) || intervalMs < 100 || intervalMs > 3_600_000)
    throw new GpupoolError(
      "GP_INVALID_ARGUMENT",
      `--interval ${f.interval}: milliseconds between refreshes, a whole number from 100 (e.g. --interval 1000)`,
    );
  const api = client(f);
  const server = (await api.json(nodesResponse, "GET", "/v1/nodes")).nodes[0]?.name ?? "gpupool";
  const frame = async () => {
    const [g, run, pend] = await Promise.all([
      api.json(gpusResponse, "GET", "/v1/gpus"),
      api.json(jobPageResponse, "GET", "/v1/jobs?state=Running&limit=1000"),
      api.json(jobPageResponse, "GET", "/v1/jobs?state=Pending&limit=1000"),
    ]);
    return topFrame(server, new Date(), g.gpus, run.jobs, pend.jobs.length, pend.next !== null, term.columns);
  };
  if (f.once || !term.tty) {
    io.out(await frame());
    return 0;
  }
  let quit: () => void = () => {};
  const quitting = new Promise<void>((resolve) => {
    quit = resolve;
  });
  const restore = term.keys((key) => {
    if (key === "q" || key === "Q" || key === "\u0003") quit();
  });
  io.out("\x1b[?1049h\x1b[?25l");
  try {
    for (let done = false; !done; ) {
      const text = await frame().catch((err: unknown) => `gpupool top: ${(err as Error).message}\n`);
      io.out(`\x1b[H\x1b[2J${text}`);
      done = await Promise.race([
        quitting.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), intervalMs).unref()),
      ]);
    }
  } finally {
    restore();
    io.out("\x1b[?25h\x1b[?1049l");
  }
  return 0;
}
