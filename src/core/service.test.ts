import { describe, expect, it } from "vitest";
import {
  autoscale,
  initialStatus,
  planReplicas,
  type ReplicaState,
  type ServiceSpec,
  type ServiceStatus,
} from "./service.js";

const spec: ServiceSpec = {
  replicas: 0,
  minReplicas: 0,
  maxReplicas: 4,
  autoscale: { metric: "queue", targetPerReplica: 5, cooldownSeconds: 10, idleSeconds: 30 },
  maxSurge: 1,
  maxUnavailable: 0,
};

function status(over: Partial<ServiceStatus>): ServiceStatus {
  return { ...initialStatus(spec, 0), ...over };
}

describe("autoscale", () => {
  it.each([
    // [desired now, value, inflight, ms since last scale, idle since (ms ago, null: busy), want]
    [0, 20, 0, 0, null, 4, "from 0: at once, to what the queue asks"],
    [0, 0, 1, 0, null, 1, "a request waiting at 0 replicas wakes one"],
    [1, 20, 0, 5_000, null, 1, "within the cooldown: no change"],
    [1, 20, 0, 10_000, null, 4, "after the cooldown: ceil(20 / 5)"],
    [2, 100, 0, 60_000, null, 4, "capped at maxReplicas"],
    [4, 6, 0, 60_000, null, 2, "down after the cooldown: ceil(6 / 5)"],
    [4, 0, 0, 60_000, 10_000, 1, "idle less than idleSeconds: down to one, not to 0"],
    [1, 0, 0, 60_000, 30_000, 0, "idle for idleSeconds: to 0"],
    [0, 0, 0, 60_000, 90_000, 0, "stays at 0"],
  ] as const)(
    "desired %i, value %i, inflight %i → %i (%s)",
    (desired, value, inflight, since, idleAgo, want, _why) => {
      const now = 100_000;
      const r = autoscale({
        spec,
        status: status({
          desired,
          lastScaleAt: now - since,
          idleSince: idleAgo === null ? null : now - idleAgo,
        }),
        value,
        inflight,
        now,
      });
      expect(r.desired).toBe(want);
    },
  );

  it("keeps the idle clock: starts it when work stops, clears it when work comes", () => {
    const s = status({ desired: 2, idleSince: null });
    expect(autoscale({ spec, status: s, value: 0, inflight: 0, now: 5 }).idleSince).toBe(5);
    expect(autoscale({ spec, status: { ...s, idleSince: 5 }, value: 0, inflight: 0, now: 9 }).idleSince).toBe(
      5,
    );
    expect(autoscale({ spec, status: { ...s, idleSince: 5 }, value: 0, inflight: 2, now: 9 }).idleSince).toBe(
      null,
    );
  });

  it("stays within minReplicas, and leaves a service without autoscale as it is", () => {
    const min2 = { ...spec, minReplicas: 2 };
    expect(
      autoscale({
        spec: min2,
        status: status({ desired: 3, lastScaleAt: 0 }),
        value: 0,
        inflight: 0,
        now: 1e9,
      }).desired,
    ).toBe(2);
    const { autoscale: _a, ...fixed } = spec;
    expect(
      autoscale({ spec: fixed, status: status({ desired: 3 }), value: 99, inflight: 9, now: 1e9 }).desired,
    ).toBe(3);
  });
});

describe("planReplicas", () => {
  const r = (slot: number, generation: number, ready: boolean): ReplicaState => ({
    jobId: `j${slot}`,
    slot,
    generation,
    ready,
  });

  it("scales up and down: not-ready and newest replicas go first", () => {
    expect(planReplicas([r(0, 1, true)], 3, 1, spec)).toEqual({ create: 2, retire: [] });
    expect(planReplicas([r(0, 1, true), r(1, 1, true), r(2, 1, false)], 1, 1, spec)).toEqual({
      create: 0,
      retire: ["j2", "j1"],
    });
    expect(planReplicas([r(0, 1, true), r(1, 1, true)], 0, 1, spec).retire).toEqual(["j1", "j0"]);
  });

  it("retires an old replica that serves nothing at once", () => {
    expect(planReplicas([r(0, 1, false), r(1, 2, true)], 1, 2, spec)).toEqual({ create: 0, retire: ["j0"] });
  });

  /** A world where a made replica is ready one step later and a retired one is gone at once. */
  function rollOut(desired: number, surge: number, unavailable: number) {
    let world: ReplicaState[] = Array.from({ length: desired }, (_, i) => r(i, 1, true));
    let next = desired;
    let leastReady = desired;
    for (let step = 0; step < 50; step++) {
      const plan = planReplicas(world, desired, 2, { maxSurge: surge, maxUnavailable: unavailable });
      const settled = world.every((x) => x.ready);
      if (plan.create === 0 && plan.retire.length === 0 && settled) break;
      world = world.filter((x) => !plan.retire.includes(x.jobId));
      leastReady = Math.min(leastReady, world.filter((x) => x.ready).length);
      world = world.map((x) => ({ ...x, ready: true }));
      for (let i = 0; i < plan.create; i++) world.push(r(next++, 2, false));
    }
    return { world, leastReady, made: next - desired };
  }

  it.each([
    [3, 1, 0],
    [3, 1, 1],
    [3, 0, 1],
    [5, 2, 1],
  ])(
    "rolls %i replicas over to a new spec (surge %i, unavailable %i), never below desired − unavailable",
    (d, s, u) => {
      const { world, leastReady, made } = rollOut(d, s, u);
      expect(world).toHaveLength(d);
      expect(world.every((x) => x.generation === 2 && x.ready)).toBe(true);
      expect(leastReady).toBeGreaterThanOrEqual(d - u);
      expect(made).toBe(d);
    },
  );

  it("never surges past desired + maxSurge while old replicas remain", () => {
    const world = [r(0, 1, true), r(1, 1, true), r(2, 1, true)];
    const plan = planReplicas(world, 3, 2, { maxSurge: 1, maxUnavailable: 0 });
    expect(plan).toEqual({ create: 1, retire: [] });
    const stuck = planReplicas([...world, r(3, 2, false)], 3, 2, { maxSurge: 1, maxUnavailable: 0 });
    expect(stuck).toEqual({ create: 0, retire: [] });
  });
});
