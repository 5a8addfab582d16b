import type { Interrupts, Io } from "./wait.js";

/** Resolves after `ms`, or at once when `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

export interface WatchOptions {
  readonly interrupts: Interrupts;
  /** Clear the terminal before each redraw (stdout is a TTY); otherwise each change is printed after a blank line. */
  readonly redraw: boolean;
  readonly intervalMs: number;
}

/**
 * `--watch`: polls `next` every intervalMs and prints its text whenever its key changes, until Ctrl-C
 * (then 130, as a shell reports a command ended by SIGINT).
 */
export async function watch(
  next: () => Promise<{ readonly key: string; readonly text: string }>,
  io: Io,
  opts: WatchOptions,
): Promise<number> {
  const stop = new AbortController();
  const off = opts.interrupts(() => stop.abort());
  try {
    let last: string | undefined;
    while (!stop.signal.aborted) {
      const { key, text } = await next();
      if (key !== last) {
        io.out(opts.redraw ? `\x1b[H\x1b[2J${text}` : last === undefined ? text : `\n${text}`);
        last = key;
      }
      await pause(opts.intervalMs, stop.signal);
    }
    return 130;
  } finally {
    off();
  }
}

/**
 * `-f`: calls `poll` every intervalMs (it prints what is new) until Ctrl-C, then 130. A failing
 * poll ends the follow with its error.
 */
export async function follow(poll: () => Promise<void>, opts: Omit<WatchOptions, "redraw">): Promise<number> {
  const stop = new AbortController();
  const off = opts.interrupts(() => stop.abort());
  try {
    while (!stop.signal.aborted) {
      await poll();
      await pause(opts.intervalMs, stop.signal);
    }
    return 130;
  } finally {
    off();
  }
}
