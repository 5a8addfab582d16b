import type { ContainerEngine } from "../engines/engine.js";
import type { MpsControl } from "../node/mps-control.js";
import type { Store } from "../store/index.js";
import type { Archiver } from "./archiver.js";
import type { Clock } from "../loop/clock.js";
import type { ContainerHost } from "./container-spec.js";
import type { FaultPoint } from "./faults.js";
import type { Logger } from "../loop/logger.js";
import type { SliceUpkeep } from "./slice-upkeep.js";

/** What a JobRunner (job-runner.ts) works with. */
export interface RunnerOptions {
  readonly store: Store;
  readonly engine: ContainerEngine;
  readonly host: ContainerHost;
  readonly upkeep: SliceUpkeep;
  readonly archiver: Archiver;
  readonly mps?: MpsControl;
  readonly clock: Clock;
  readonly log: Logger;
  /** Told when a retry becomes due (ms since the epoch), so scheduling can wake for it. */
  readonly onRetryDue?: (at: number) => void;
  /**
   * Fault injection for crash tests: called at each named point; throwing there abandons the flow
   * as a kill -9 would at that instant (the test then closes this runner and recovers with another).
   */
  readonly faults?: (point: FaultPoint) => void;
}
