import type { ContainerEngine } from "../engines/engine.js";
import type { LogArchive } from "./log-archive.js";
import type { Logger } from "../loop/logger.js";

/**
 * Keeps finished attempts' logs and then removes their containers, so finished jobs leave no
 * containers behind. The removal waits a moment (removeDelayMs), so a reader already attached to
 * the container's log stream gets to its end. Without a log archive, containers are kept.
 */
export class Archiver {
  private readonly saving = new Map<string, Promise<boolean>>();
  private readonly removing = new Set<Promise<void>>();
  private closed = false;
  private onClose: () => void = () => {};
  private readonly closing = new Promise<void>((r) => {
    this.onClose = r;
  });

  constructor(
    private readonly engine: ContainerEngine,
    readonly logs: LogArchive | undefined,
    private readonly log: Logger,
    private readonly removeDelayMs = 500,
  ) {}

  /** Archives the container's logs, then (in the background) removes it; resolves once the logs are saved. */
  async archive(jobId: string, containerId: string): Promise<void> {
    const logs = this.logs;
    if (!logs) return;
    const saved = logs.save(this.engine, jobId, containerId).then(
      () => true,
      (err) => {
        this.log.warn({ job: jobId, err: String(err) }, "could not archive the logs");
        return false;
      },
    );
    this.saving.set(jobId, saved);
    const p = (async () => {
      const ok = await saved;
      if (this.saving.get(jobId) === saved) this.saving.delete(jobId);
      if (!ok) return;
      if (!this.closed)
        await Promise.race([new Promise((r) => setTimeout(r, this.removeDelayMs)), this.closing]);
      // Closing: leave the container; the next start archives it again and removes it.
      if (!this.closed) await this.engine.remove(containerId).catch(() => {});
    })();
    this.removing.add(p);
    void p.finally(() => this.removing.delete(p));
    await saved;
  }

  /** Resolves once the logs of a job's just-finished attempt are in the archive (at once when none is being saved). */
  async archived(jobId: string): Promise<void> {
    await this.saving.get(jobId);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.onClose();
    await Promise.allSettled([...this.removing]);
  }

  /** Resolves when no archive or removal is in flight (tests). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.saving.values(), ...this.removing]);
  }
}
