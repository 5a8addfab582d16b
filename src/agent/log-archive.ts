import { once } from "node:events";
import { createReadStream, createWriteStream, existsSync, type WriteStream } from "node:fs";
import { mkdir, rename, rm, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { GpupoolError } from "../core/errors.js";
import type { ContainerEngine, LogLine } from "../engines/engine.js";

/**
 * Logs of finished attempts, kept under <data>/logs/<job id>.ndjson (one `{stream, text, time}` per
 * line, time ISO-8601 as the engine logged it; files written before times were kept lack it; the
 * job's last attempt) so the container can be removed as soon as the job ends: finished jobs
 * leave no containers behind, and their logs outlive the engine.
 */
/** How much of one attempt's log the archive keeps by default: 16 MiB of its NDJSON file. */
export const DEFAULT_LOG_CAP_BYTES = 16 * 2 ** 20;

/** Up to this much of an attempt's log is held in memory before its file is opened. */
const BUFFERED_BYTES = 64 * 1024;

export class LogArchive {
  private made = false;
  readonly maxBytes: number;

  constructor(
    readonly dir: string,
    opts: { readonly maxBytes?: number } = {},
  ) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_LOG_CAP_BYTES;
  }

  path(jobId: string): string {
    return join(this.dir, `${jobId}.ndjson`);
  }

  has(jobId: string): boolean {
    return existsSync(this.path(jobId));
  }

  /**
   * Copies the container's logs, streamed to a temp file renamed into place (memory stays constant
   * however much the job printed). The first `maxBytes` are kept; the rest is read and counted, and
   * a last stderr line says how much was left out. The caller removes the container.
   */
  async save(engine: ContainerEngine, jobId: string, containerId: string): Promise<void> {
    const tmp = `${this.path(jobId)}.tmp`;
    // The file is opened only once there is more than a little to write: most jobs print a few
    // lines or none, and those cost one write (or no file at all) instead of a stream's open,
    // writes, close and a removal.
    let out: WriteStream | undefined;
    let failed: Promise<never> | undefined;
    let buffered: string[] = [];
    let bufferedBytes = 0;
    const open = async () => {
      await this.ensureDir();
      const stream = createWriteStream(tmp);
      failed = new Promise<never>((_, reject) => stream.once("error", reject));
      failed.catch(() => {});
      return stream;
    };
    const write = async (text: string) => {
      if (!out) {
        buffered.push(text);
        bufferedBytes += text.length;
        if (bufferedBytes < BUFFERED_BYTES) return;
        out = await open();
        text = buffered.join("");
        buffered = [];
      }
      if (!out.write(text)) await Promise.race([once(out, "drain"), failed]);
    };
    let kept = 0;
    let droppedLines = 0;
    let droppedBytes = 0;
    try {
      for await (const l of engine.logs(containerId, { timestamps: true })) {
        const line = `${JSON.stringify({ stream: l.stream, text: l.text, ...(l.time ? { time: l.time.toISOString() } : {}) })}\n`;
        const bytes = Buffer.byteLength(line);
        if (kept + bytes > this.maxBytes) {
          droppedLines++;
          droppedBytes += bytes;
          continue;
        }
        kept += bytes;
        await write(line);
      }
      if (droppedLines > 0)
        await write(
          `${JSON.stringify({
            stream: "stderr",
            text: `[gpupool: log cut at ${this.maxBytes} bytes; ${droppedLines} more line(s), ${droppedBytes} bytes, not kept]`,
          })}\n`,
        );
      const stream = out;
      if (stream)
        await new Promise<void>((resolve, reject) =>
          stream.end((err?: Error | null) => (err ? reject(err) : resolve())),
        );
      else if (buffered.length > 0) {
        await this.ensureDir();
        await writeFile(tmp, buffered.join(""));
      }
    } catch (err) {
      out?.destroy();
      if (out || buffered.length > 0) await rm(tmp, { force: true });
      throw err;
    }
    if (kept === 0 && droppedLines === 0) {
      // Nothing read from a container that is gone or being removed (a removal sent by a gpupool
      // killed meanwhile, its logs already archived) says nothing about its logs: keep the file.
      const state = await engine.inspect(containerId).catch(() => undefined);
      if (!state || state.status === "removing")
        throw new GpupoolError(
          "GP_CONTAINER_NOT_FOUND",
          `container ${containerId} is ${state ? "being removed" : "gone"}: its logs were not read again`,
          { container: containerId },
        );
      // No output, no file (an earlier attempt's file goes): reading then finds nothing, as it should.
      return this.remove(jobId);
    }
    await rename(tmp, this.path(jobId));
  }

  private async ensureDir(): Promise<void> {
    if (this.made) return;
    await mkdir(this.dir, { recursive: true });
    this.made = true;
  }

  async *read(jobId: string): AsyncIterable<LogLine> {
    const lines = createInterface({
      input: createReadStream(this.path(jobId)),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    for await (const line of lines) {
      if (!line) continue;
      const l = JSON.parse(line) as { stream: "stdout" | "stderr"; text: string; time?: string };
      yield l.time
        ? { stream: l.stream, text: l.text, time: new Date(l.time) }
        : { stream: l.stream, text: l.text };
    }
  }

  async remove(jobId: string): Promise<void> {
    if (!this.has(jobId)) return; // the common case (no file), without an error thrown and caught
    await unlink(this.path(jobId)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err;
    });
  }
}
