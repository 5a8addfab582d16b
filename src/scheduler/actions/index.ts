/**
 * Scheduling actions (after KAI-Scheduler): one cycle runs allocate → reclaim → preempt on the
 * scheduler's snapshot inside one Statement and returns what to bind, what to evict and why the rest
 * waits. See cycle.ts (runCycle), allocate.ts (order, queues, gangs), backfill.ts (earmarks),
 * reclaim.ts / preempt.ts (victims via make-room.ts and victims.ts), ledger.ts (queue usage).
 */
export { ACTIONS, type ActionName, type CycleInput, type CycleResult, runCycle } from "./cycle.js";
export type { Earmark, Eviction } from "./context.js";
export type { Held } from "./backfill.js";
export { snapshotViolations } from "./invariants.js";
export { allocationResources, demandOf, QueueLedger, queueOf } from "./ledger.js";
