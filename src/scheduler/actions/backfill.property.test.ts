import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { makeNode, makeScheduler, type PodOpts } from "../test-support/builders.js";
import { type JobGen, World } from "../test-support/test-world.js";

/**
 * No starvation: a big job at the head of the order, a random stream of smaller jobs of equal or
 * lower priority and random finishes. While the head waits, its earmark keeps the same node and its
 * blocker set only shrinks (backfill never adds to it); once its blockers have finished, it runs.
 */

const smallShape: fc.Arbitrary<PodOpts> = fc.oneof(
  fc.constant({}),
  fc.record({ share: fc.integer({ min: 1, max: 10 }).map((x) => x * 100) }),
  fc.record({ gpus: fc.integer({ min: 1, max: 2 }) }),
);

const smallJob: fc.Arbitrary<JobGen> = fc.record({
  shape: smallShape,
  cpuMilli: fc.integer({ min: 1, max: 6 }).map((x) => x * 500),
  memoryMiB: fc.constant(1024),
  priority: fc.constantFrom(-100, 0),
  queue: fc.constant("default"),
  preemptible: fc.constant(true),
  gangSize: fc.constant(1),
  cuda: fc.constant(undefined),
});

const step = fc.oneof(
  { weight: 3, arbitrary: smallJob.map((job) => ({ kind: "submit" as const, job })) },
  { weight: 2, arbitrary: fc.nat().map((pick) => ({ kind: "finish" as const, pick })) },
);

describe("backfill without starvation", () => {
  it("the head's blockers only shrink while it waits, and it runs once they are gone", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 2, max: 4 }), { minLength: 1, maxLength: 3 }),
        fc.array(smallJob, { minLength: 2, maxLength: 8 }),
        fc.array(step, { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        (gpus, initial, stream, gangHead) => {
          const nodes = gpus.map((n, i) => makeNode(`n${i}`, { gpus: n, cpuMilli: 8000, nvlink: "all" }));
          const world = new World(makeScheduler(nodes));
          for (const j of initial) world.submit(j);
          world.cycle();
          world.pending.clear(); // what did not fit is withdrawn: the big job below is the head
          // The head: one job as big as the biggest node, or a gang of two as big as the smallest.
          const gang = gangHead && gpus.length >= 2;
          world.submit({
            shape: { gpus: gang ? Math.min(...gpus) : Math.max(...gpus) },
            cpuMilli: 1000,
            memoryMiB: 1024,
            priority: 0,
            queue: "default",
            preemptible: true,
            gangSize: gang ? 2 : 1,
            cuda: undefined,
          });
          const member = [...world.pending.keys()][0]!;
          const head = world.pending.get(member)!.gang?.id ?? member;
          let prev: readonly string[] | null = null;
          let heldNodes: readonly string[] | null = null;
          const waitingCheck = () => {
            if (world.scheduler.snapshot.placement(member)) return true;
            const held = world.held;
            expect(held?.head, "a waiting head is earmarked").toBe(head);
            if (heldNodes !== null)
              for (const n of held!.nodes) expect(heldNodes, `the earmark moved to ${n}`).toContain(n);
            if (prev !== null)
              for (const b of held!.blockers)
                expect(prev, `blocker ${b} was not a blocker before`).toContain(b);
            heldNodes = held!.nodes;
            prev = held!.blockers;
            return false;
          };
          world.cycle();
          if (waitingCheck()) return;
          for (const op of stream) {
            if (op.kind === "submit") world.submit(op.job);
            else {
              const running = world.scheduler.snapshot.placedWorkloads().length;
              if (running > 0) world.finish(op.pick);
            }
            world.cycle();
            if (waitingCheck()) return;
          }
          // Now the blockers finish, one per cycle: the head must run by the time the last is gone.
          const blockers = [...(prev ?? [])];
          for (const b of blockers) {
            const stmt = world.scheduler.statement();
            if (world.scheduler.snapshot.placement(b)) stmt.evict(b);
            stmt.commit();
            world.cycle();
            if (waitingCheck()) return;
          }
          expect(
            world.scheduler.snapshot.placement(member),
            "head placed after its blockers finished",
          ).toBeDefined();
        },
      ),
      { numRuns: 150, seed: 4242 },
    );
  });
});
