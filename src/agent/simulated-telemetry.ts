import type { ContainerEngine } from "../engines/engine.js";
import type { AttributedApp } from "../node/overuse.js";
import type { Logger } from "../loop/logger.js";

/**
 * GPU memory use of containers on SIMULATED GPUs, where no nvidia-smi can measure it: a container
 * reports its own by printing `GPUPOOL_SIMULATED_GPU_MEMORY_MIB=N` (the last such line counts),
 * which this source reads from its log stream as it comes. It exists so that the overuse monitor,
 * the API and /metrics run here; everything it reports is labelled simulated.
 */
export const SIMULATED_MEMORY_LINE = /GPUPOOL_SIMULATED_GPU_MEMORY_MIB=(\d+)/;

export class SimulatedTelemetry {
  private readonly tracked = new Map<
    string,
    { gpuUuid: string; usedMiB: number | null; stop: AbortController }
  >();

  constructor(
    private readonly engine: ContainerEngine,
    private readonly log: Logger,
  ) {}

  /** Follows a container's log (once) from now on. */
  track(containerId: string, gpuUuid: string): void {
    if (this.tracked.has(containerId)) return;
    const entry = { gpuUuid, usedMiB: null as number | null, stop: new AbortController() };
    this.tracked.set(containerId, entry);
    void (async () => {
      try {
        for await (const line of this.engine.logs(containerId, { follow: true, signal: entry.stop.signal })) {
          const m = SIMULATED_MEMORY_LINE.exec(line.text);
          if (m) entry.usedMiB = Number(m[1]);
        }
      } catch (err) {
        this.log.warn(
          { container: containerId, err: (err as Error).message },
          "simulated telemetry: log stream ended",
        );
      }
    })();
  }

  /** Stops following containers not in `keep`. */
  retain(keep: ReadonlySet<string>): void {
    for (const [id, e] of this.tracked)
      if (!keep.has(id)) {
        e.stop.abort();
        this.tracked.delete(id);
      }
  }

  /** What the tracked containers last reported, as compute apps (pid 0: there is no process to name). */
  sample(): AttributedApp[] {
    return [...this.tracked].flatMap(([containerId, e]) =>
      e.usedMiB === null
        ? []
        : [
            {
              pid: 0,
              gpuUuid: e.gpuUuid,
              gpuBusId: null,
              processName: "simulated",
              usedMemoryMiB: e.usedMiB,
              containerId,
            },
          ],
    );
  }

  close(): void {
    this.retain(new Set());
  }
}
