export { ACTIONS, type ActionName, type CycleInput, type CycleResult, runCycle } from "./cycle.js";
export type { Eviction } from "./context.js";
export type { Earmark, Held } from "./backfill.js";
export { allocationResources, demandOf, QueueLedger, queueOf } from "./ledger.js";
