import {
  type ArrayView,
  arraysResponse,
  eventsResponse,
  type JobEventView,
  type JobView,
} from "../../api/schemas.js";
import { LIVE_STATES } from "../../core/job-states.js";
import type { ApiClient } from "./http.js";
import { ARRAY_COLUMNS, printArray } from "./arrays.js";
import { printService } from "./services.js";
import { resolveJobs, resolveRef } from "./job-refs.js";
import { allJobs } from "./pages.js";
import { type CommonFlags, client, type Io, stdio } from "./jobs.js";
import { type Interrupts, processInterrupts } from "./wait.js";
import {
  age,
  type Column,
  emit,
  formatted,
  type OutputFormat,
  outputFormat,
  streamed,
  TableStream,
  table,
} from "./output.js";
import { follow, watch } from "./poll.js";
import { cpus, gpus, localTime, memory, percent } from "./units.js";

/** `ps`, `get` and `events`: looking at jobs, once or (ps --watch, events -f) as they change. */

function gpuRequest(j: JobView): string {
  return gpuRequestText(j.spec.gpu);
}

/** What a job or pod asks of GPUs: "1 GPU", "25% 10 GiB", "1g.10gb", "-". */
export function gpuRequestText(g: JobView["spec"]["gpu"]): string {
  switch (g.kind) {
    case "none":
      return "-";
    case "whole":
      return gpus(g.count * 1000);
    case "share":
      return `${percent(g.milli)}${g.memoryMiB ? ` ${memory(g.memoryMiB)}` : ""}`;
    case "mig":
      return g.profile;
  }
}

function allocation(j: JobView): string {
  return heldGpusText(j.gpus);
}

/** What a placed job or pod holds: "GPU 0 25%", "GPU 0, GPU 1", "GPU 0 1g.10gb"; "-" when nothing. */
export function heldGpusText(
  held: readonly { readonly index: number; readonly milli: number; readonly mig?: string | null }[],
): string {
  if (held.length === 0) return "-";
  return held
    .map((g) => `GPU ${g.index}${g.mig ? ` ${g.mig}` : g.milli < 1000 ? ` ${percent(g.milli)}` : ""}`)
    .join(", ");
}

export const JOB_COLUMNS: readonly Column<JobView>[] = [
  { header: "ID", cell: (j) => j.id },
  { header: "NAME", cell: (j) => j.name },
  { header: "TENANT", cell: (j) => j.tenant },
  { header: "STATE", cell: (j) => j.state },
  { header: "GPU", cell: gpuRequest },
  { header: "PRIO", cell: (j) => String(j.priority) },
  { header: "NODE", cell: (j) => j.node ?? "-", wide: true },
  { header: "ALLOCATION", cell: allocation, wide: true },
  { header: "CPU", cell: (j) => (j.spec.cpuMilli ? cpus(j.spec.cpuMilli) : "-"), wide: true },
  { header: "MEMORY", cell: (j) => (j.spec.memoryMiB ? memory(j.spec.memoryMiB) : "-"), wide: true },
  { header: "IMAGE", cell: (j) => j.spec.image, wide: true },
  { header: "EXIT", cell: (j) => (j.exitCode === null ? "-" : String(j.exitCode)), wide: true },
  { header: "CREATED", cell: (j) => localTime(j.createdAt), wide: true },
  { header: "AGE", cell: (j) => age(j.createdAt) },
  { header: "REASON", cell: (j) => j.reason ?? "" },
];

export const EVENT_COLUMNS: readonly Column<JobEventView>[] = [
  { header: "SEQ", cell: (e) => String(e.seq), wide: true },
  { header: "TIME", cell: (e) => localTime(e.at) },
  { header: "JOB", cell: (e) => e.jobId },
  { header: "TYPE", cell: (e) => e.type },
  { header: "FROM", cell: (e) => e.from ?? "-" },
  { header: "TO", cell: (e) => e.to ?? "-" },
  { header: "REASON", cell: (e) => e.reason ?? "" },
];

/** How `ps --watch` and `events -f` poll and end; the defaults are the terminal's. */
export interface Polling {
  readonly interrupts: Interrupts;
  readonly redraw: boolean;
  readonly intervalMs: number;
}

const terminal = (): Polling => ({
  interrupts: processInterrupts,
  redraw: process.stdout.isTTY === true,
  intervalMs: 1000,
});

export interface PsFlags extends CommonFlags {
  readonly all?: boolean;
  readonly allTenants?: boolean;
  readonly state?: string;
  readonly watch?: boolean;
}

/**
 * `ps`: your live jobs (not Succeeded, Failed or Cancelled); `-a` all of them, `--state` those
 * states; `-A` (admin) every tenant's. `--watch` prints the list again whenever it changes (on a
 * terminal: redrawn in place) until Ctrl-C.
 */
export async function psCommand(f: PsFlags, io: Io = stdio, polling: Polling = terminal()): Promise<number> {
  const format = outputFormat(f);
  const q = new URLSearchParams();
  if (f.allTenants) q.set("all", "true");
  const states = f.state ?? (f.all ? undefined : LIVE_STATES.join(","));
  if (states) q.set("state", states);
  const api = client(f);
  const list = () => allJobs(api, q);
  // The table ends with the batch arrays (running ones; -a: all) and their progress; -o json|yaml
  // print the jobs only (`gpupool arrays -o json` prints the arrays).
  const aq = new URLSearchParams();
  if (f.allTenants) aq.set("all", "true");
  if (!f.all) aq.set("running", "true");
  const arrays = async () =>
    format === "table" ? (await api.json(arraysResponse, "GET", `/v1/arrays?${aq}`)).arrays : [];
  const render = (jobs: readonly JobView[], arr: readonly ArrayView[]) => (wide: boolean) =>
    table(JOB_COLUMNS, jobs, wide) + (arr.length > 0 ? `\n${table(ARRAY_COLUMNS, arr, wide)}` : "");
  if (!f.watch) {
    const [jobs, arr] = await Promise.all([list(), arrays()]);
    emit(format, { jobs }, render(jobs, arr), io.out);
    return 0;
  }
  return watch(
    async () => {
      const [jobs, arr] = await Promise.all([list(), arrays()]);
      // The documents, not the text: AGE changes every second, the jobs do not.
      return { key: JSON.stringify([jobs, arr]), text: formatted(format, { jobs }, render(jobs, arr)) };
    },
    io,
    polling,
  );
}

/** `get REF`: the job as YAML by default (a gang's name: its members, as `jobs`); -o table: one row each. */
export async function getCommand(ref: string, f: CommonFlags, io: Io = stdio): Promise<number> {
  const format = outputFormat(f, "yaml");
  const { jobs, array, service } = await resolveRef(client(f), ref);
  if (array) return printArray(array, f, io);
  if (service) return printService(service, f, io);
  const doc = jobs.length === 1 ? { job: jobs[0] } : { jobs };
  emit(format, doc, (wide) => table(JOB_COLUMNS, jobs, wide), io.out);
  return 0;
}

/** Every event after `after` (the API answers up to 1000 at a time). */
async function eventsAfter(api: ApiClient, path: string, after: number): Promise<JobEventView[]> {
  const all: JobEventView[] = [];
  for (;;) {
    const sep = path.includes("?") ? "&" : "?";
    const { events } = await api.json(eventsResponse, "GET", `${path}${sep}after=${after}&limit=1000`);
    all.push(...events);
    if (events.length < 1000) return all;
    after = events[events.length - 1]!.seq;
  }
}

/**
 * `events [REF]`: all your jobs' events, or one job's (a gang's name: its members', in order).
 * `-f` keeps printing new ones until Ctrl-C: a table's rows, one JSON object per line (-o json) or
 * one YAML document each (-o yaml).
 */
export async function eventsCommand(
  ref: string | undefined,
  f: CommonFlags & { follow?: boolean },
  io: Io = stdio,
  polling: Polling = terminal(),
): Promise<number> {
  const format = outputFormat(f);
  const api = client(f);
  const jobIds = ref === undefined ? undefined : (await resolveJobs(api, ref)).map((j) => j.id);
  let last = 0;
  const newEvents = async (): Promise<JobEventView[]> => {
    let events: JobEventView[];
    if (jobIds === undefined) events = await eventsAfter(api, "/v1/events", last);
    else {
      events = [];
      for (const id of jobIds)
        events.push(
          ...(await api.json(eventsResponse, "GET", `/v1/jobs/${encodeURIComponent(id)}/events`)).events,
        );
      events = events.filter((e) => e.seq > last).sort((a, b) => a.seq - b.seq);
    }
    if (events.length > 0) last = events[events.length - 1]!.seq;
    return events;
  };
  if (!f.follow) {
    const events = await newEvents();
    emit(format, { events }, (wide) => table(EVENT_COLUMNS, events, wide), io.out);
    return 0;
  }
  const print = eventPrinter(format, io);
  print(await newEvents(), true);
  return follow(async () => print(await newEvents(), false), polling);
}

function eventPrinter(format: OutputFormat, io: Io) {
  const rows = new TableStream(EVENT_COLUMNS, format === "wide");
  return (events: readonly JobEventView[], first: boolean) => {
    if (format === "json" || format === "yaml") {
      for (const e of events) io.out(streamed(format, e));
    } else if (events.length > 0 || first) io.out(rows.rows(events));
  };
}
