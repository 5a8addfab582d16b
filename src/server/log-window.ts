import type { LogLine } from "../engines/engine.js";

/**
 * Which of a job's log lines `GET /v1/jobs/{id}/logs` answers (`gpupool logs --tail N --since T`),
 * like `docker logs`: the lines logged at or after `since` (a line without a time — from an archive
 * written before lines had times — always passes), of those the last `tail` there are now, and with
 * `follow` every new one after them.
 */
export interface LogWindow {
  readonly follow: boolean;
  readonly tail?: number;
  readonly since?: Date;
}

/** Reads the job's log from its start; `follow`: then the new lines until the container exits. */
export type LogSource = (follow: boolean) => AsyncIterable<LogLine>;

export async function* windowed(read: LogSource, w: LogWindow): AsyncIterable<LogLine> {
  const since = w.since?.getTime();
  const keep = (l: LogLine) => since === undefined || l.time === undefined || l.time.getTime() >= since;
  if (w.tail === undefined) {
    for await (const l of read(w.follow)) if (keep(l)) yield l;
    return;
  }
  if (!w.follow) {
    const last: LogLine[] = [];
    for await (const l of read(false)) {
      if (!keep(l)) continue;
      last.push(l);
      if (last.length > w.tail) last.shift();
    }
    yield* last;
    return;
  }
  // A log only grows: count what is there now, then skip all but the last `tail` of them in the follow.
  let count = 0;
  for await (const l of read(false)) if (keep(l)) count++;
  let skip = Math.max(0, count - w.tail);
  for await (const l of read(true)) {
    if (!keep(l)) continue;
    if (skip > 0) skip--;
    else yield l;
  }
}
