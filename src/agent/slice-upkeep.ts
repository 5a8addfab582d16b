import { type CdiContainerEdits, cdiSpecForSlices, removeCdiSpec, writeCdiSpec } from "../node/cdi.js";
import type { MpsControl } from "../node/mps-control.js";
import type { Slice } from "../node/slice.js";
import type { Logger } from "../loop/logger.js";

/**
 * What the host keeps for the slices of placed jobs: the CDI spec Podman reads them from (one
 * device per slice, rewritten whenever a slice comes or goes) and the MPS control daemon of each GPU
 * that has MPS shares (started before its first client; left running on close, since running
 * clients need it).
 */
export class SliceUpkeep {
  private readonly slices = new Map<string, Slice>();
  /** The MPS daemon check in flight per GPU UUID: launches on one GPU wait for each other's. */
  private readonly mpsChecks = new Map<string, Promise<void>>();

  constructor(
    private readonly cdi:
      | { readonly kind: string; readonly dir: string; readonly common?: CdiContainerEdits }
      | undefined,
    private readonly mps: MpsControl | undefined,
    private readonly log: Logger,
  ) {}

  /** Adds (or replaces) a job's slice and rewrites the CDI spec; throws when the spec cannot be written. */
  add(jobId: string, slice: Slice): void {
    this.slices.set(jobId, slice);
    this.write();
  }

  /** Registers a slice without writing (recovery adopts many, then calls sync once). */
  adopt(jobId: string, slice: Slice): void {
    this.slices.set(jobId, slice);
  }

  /** Drops a job's slice; a failed rewrite is logged (the stale device only names a finished job). */
  remove(jobId: string): void {
    if (!this.slices.delete(jobId)) return;
    try {
      this.write();
    } catch (err) {
      this.log.warn({ err: String(err) }, "could not rewrite the CDI spec");
    }
  }

  sync(): void {
    this.write();
  }

  /**
   * Makes sure the GPU's MPS control daemon runs (starting it, or restarting one that died). Checks
   * for one GPU run one after another, so two launches never both try to start its daemon.
   */
  mpsReady(gpuUuid: string): Promise<void> {
    const mps = this.mps;
    if (!mps) return Promise.resolve();
    const before = this.mpsChecks.get(gpuUuid) ?? Promise.resolve();
    const check = before
      .catch(() => {})
      .then(async () => {
        const outcome = await mps.ensure(gpuUuid);
        if (outcome !== "running") this.log.info({ gpu: gpuUuid, outcome }, "MPS control daemon");
      });
    this.mpsChecks.set(gpuUuid, check);
    const done = () => {
      if (this.mpsChecks.get(gpuUuid) === check) this.mpsChecks.delete(gpuUuid);
    };
    check.then(done, done);
    return check;
  }

  /** Removes the CDI spec file (on close, when asked). */
  removeSpec(): void {
    if (this.cdi) removeCdiSpec(this.cdi.kind, this.cdi.dir);
  }

  private write(): void {
    const cdi = this.cdi;
    if (!cdi) return;
    writeCdiSpec(cdiSpecForSlices([...this.slices.values()], cdi.kind, cdi.common), cdi.dir);
  }
}
