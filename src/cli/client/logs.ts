import { GpupoolError } from "../../core/errors.js";
import { resolveJobs } from "./job-refs.js";
import { type CommonFlags, client, type Io, stdio } from "./jobs.js";
import { streamLogs } from "./wait.js";

/** `logs [-f] [--tail N] [--since WHEN] REF`, like docker logs. */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * --since: a duration back from `now` (`90s`, `10m`, `1h30m`, `2d`), a Unix time in seconds, or a
 * date and time (`2026-12-02T10:00:00Z`; without a zone: local time). GP_INVALID_ARGUMENT otherwise.
 */
export function parseSince(v: string, now = Date.now()): Date {
  const t = v.trim();
  if (/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(t)) {
    let ms = 0;
    for (const m of t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
    return new Date(now - ms);
  }
  if (/^\d+(\.\d+)?$/.test(t)) return new Date(Number(t) * 1000);
  const at = /^\d{4}-\d\d-\d\d/.test(t) ? Date.parse(t) : Number.NaN;
  if (Number.isNaN(at))
    throw new GpupoolError(
      "GP_INVALID_ARGUMENT",
      `--since must be a duration like 10m or 1h30m, a Unix time or a date like 2026-12-02T10:00:00Z, got "${v}"`,
    );
  return new Date(at);
}

/** --tail: a whole number of lines, or `all`. */
export function parseTail(v: string): number | undefined {
  if (v === "all") return undefined;
  if (!/^\d+$/.test(v))
    throw new GpupoolError("GP_INVALID_ARGUMENT", `--tail must be a number of lines or "all", got "${v}"`);
  return Number(v);
}

export interface LogsFlags extends CommonFlags {
  readonly follow?: boolean;
  readonly tail?: string;
  readonly since?: string;
  readonly rank?: string;
}

/**
 * `logs REF`: the job's log lines; a gang's (its name or id): every member's, each line prefixed
 * with the member's rank (`[rank 1] …`), or only rank N's with --rank.
 */
export async function logsCommand(ref: string, f: LogsFlags, io: Io = stdio): Promise<number> {
  const q = new URLSearchParams();
  const tail = f.tail === undefined ? undefined : parseTail(f.tail);
  if (tail !== undefined) q.set("tail", String(tail));
  if (f.since !== undefined) q.set("since", parseSince(f.since).toISOString());
  const rank = f.rank === undefined ? undefined : parseRank(f.rank);
  const api = client(f);
  let jobs = await resolveJobs(api, ref);
  if (rank !== undefined) {
    jobs = jobs.filter((j) => j.rank === rank);
    if (jobs.length === 0) throw new GpupoolError("GP_JOB_NOT_FOUND", `${ref} has no member of rank ${rank}`);
  }
  await streamLogs(api, jobs, io, { follow: f.follow ?? false, query: q });
  return 0;
}

function parseRank(v: string): number {
  if (!/^\d+$/.test(v))
    throw new GpupoolError("GP_INVALID_ARGUMENT", `--rank must be a whole number, got "${v}"`);
  return Number(v);
}
