import { createReadStream, existsSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { ContainerEngine, LogLine } from "../engines/engine.js";

/**
 * Logs of finished attempts, kept under <data>/logs/<job id>.ndjson (one `{stream, text, time}` per
 * line, time ISO-8601 as the engine logged it; files written before times were kept lack it; the
 * job's last attempt) so the container can be removed as soon as the job ends: finished jobs
 * leave no containers behind, and their logs outlive the engine.
 */
export class LogArchive {
  private made = false;

  constructor(readonly dir: string) {}

  path(jobId: string): string {
    return join(this.dir, `${jobId}.ndjson`);
  }

  has(jobId: string): boolean {
    return existsSync(this.path(jobId));
  }

  /** Copies the container's logs (written whole: a temp file renamed into place). The caller removes the container. */
  async save(engine: ContainerEngine, jobId: string, containerId: string): Promise<void> {
    let text = "";
    for await (const l of engine.logs(containerId, { timestamps: true }))
      text += `${JSON.stringify({ stream: l.stream, text: l.text, ...(l.time ? { time: l.time.toISOString() } : {}) })}\n`;
    // No output, no file (an earlier attempt's file goes): reading then finds nothing, as it should.
    if (text === "") return this.remove(jobId);
    if (!this.made) {
      await mkdir(this.dir, { recursive: true });
      this.made = true;
    }
    const tmp = `${this.path(jobId)}.tmp`;
    await writeFile(tmp, text);
    await rename(tmp, this.path(jobId));
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
    if (this.has(jobId)) await rm(this.path(jobId), { force: true });
  }
}
