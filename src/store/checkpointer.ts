import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/**
 * Copies the WAL back into the database file from a worker thread, so that the server's event loop
 * does not. SQLite's automatic checkpoint (every 1,000 WAL pages) runs inside whichever COMMIT
 * crosses the mark, with its fsyncs: measured in `gpupool up`, about one commit in a hundred took
 * 5–17 ms that way, and those commits were the p99 of every request and scheduling cycle behind them.
 * A second connection in a worker running `wal_checkpoint(PASSIVE)` every `intervalMs` keeps the WAL
 * short, so the automatic checkpoint (left on as a safety net) is rarely reached. PASSIVE never
 * waits for or blocks the writer: it copies what no reader still needs and returns.
 */
export interface Checkpointer {
  /**
   * Asks the worker to finish its current checkpoint, close its connection and exit. Returns at once;
   * the promise settles once the worker has exited (then it holds no file of the store open).
   */
  stop(): Promise<void>;
  /** Checkpoints done so far (for tests). */
  readonly done: () => number;
}

// The worker is plain CommonJS evaluated from this string, so it runs the same from the TypeScript sources (tests) and
// from dist/; better-sqlite3 is resolved here and handed over by path.
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
// fileMustExist: a worker that starts late never creates a store where one was just removed.
const db = new Database(workerData.path, { timeout: 0, fileMustExist: true });
let stopping = false;
const tick = () => {
  if (stopping) return;
  try { db.pragma("wal_checkpoint(PASSIVE)"); parentPort.postMessage("done"); }
  catch (err) { parentPort.postMessage({ error: String(err && err.message || err) }); }
  timer = setTimeout(tick, workerData.intervalMs);
};
let timer = setTimeout(tick, workerData.intervalMs);
parentPort.on("message", (m) => {
  if (m !== "stop") return;
  stopping = true;
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
`;

export function startCheckpointer(
  path: string,
  opts: { intervalMs?: number; onError?: (message: string) => void } = {},
): Checkpointer {
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { path, driver, intervalMs: opts.intervalMs ?? 50 },
  });
  worker.unref();
  let done = 0;
  worker.on("message", (m: unknown) => {
    if (m === "done") done++;
    // SQLITE_BUSY (another checkpoint running) is harmless: the next tick tries again.
    else if (typeof m === "object" && m && "error" in m && !/busy|locked/i.test(String(m.error)))
      opts.onError?.(String(m.error));
  });
  worker.on("error", (err) => opts.onError?.(err.message));
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  let stopped = false;
  return {
    stop() {
      if (!stopped) {
        stopped = true;
        // Unref'd while it runs; whoever awaits its exit must keep the process alive until then
        // (else a failed start, awaiting this in its cleanup, exits 0 before it reports its error).
        worker.ref();
        worker.postMessage("stop");
      }
      return exited;
    },
    done: () => done,
  };
}
