/**
 * Fault injection for crash tests: the job runner calls its hook at each named point; a hook that
 * throws cuts the flow there, as a kill -9 would at that instant (exactly-once.test.ts).
 */

/** Where a crash test can cut a runner's flow. */
export type FaultPoint =
  | "launch:created" // the container exists, not started
  | "launch:started" // the container runs, Running not recorded
  | "stop:intent-recorded" // the stop's intent is in the store, the container not signalled
  | "stop:signalled" // SIGTERM sent and the stop under way (grace period running)
  | "finish:before-record"; // the exit is seen, its end not recorded

/** A flow cut by fault injection: nothing more is done, as after a kill -9 at that point. */
export class Abandoned extends Error {}

export const unlessAbandoned = (err: unknown): void => {
  if (!(err instanceof Abandoned)) throw err;
};
