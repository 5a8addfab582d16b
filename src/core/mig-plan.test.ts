import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { requireGpuModel } from "./catalog.js";
import { GpupoolError } from "./errors.js";
import { checkMigLayout, planMig, requireMigPlan } from "./mig-plan.js";

const A100 = requireGpuModel("A100-40GB");
const H100 = requireGpuModel("H100-80GB");
const H200 = requireGpuModel("H200");

type PlanRow = [model: typeof A100, requested: string[], ok: boolean, why: string | RegExp];

const PLANS: PlanRow[] = [
  // A100-40GB
  [A100, ["7g.40gb"], true, "one whole-GPU instance"],
  [A100, ["4g.20gb", "3g.20gb"], true, "a 4g and a 3g coexist (GPU-FACTS)"],
  [A100, Array(7).fill("1g.5gb"), true, "seven 1g.5gb"],
  [A100, ["3g.20gb", "2g.10gb", "2g.10gb"], true, "3g + 2 × 2g = 7 compute slices"],
  [A100, ["1g.10gb", "1g.10gb", "1g.10gb", "1g.10gb"], true, "four 1g.10gb fill all 8 memory slices"],
  [A100, ["4g.20gb", "4g.20gb"], false, /2 × 4g\.20gb exceeds its maximum of 1/],
  [A100, ["7g.40gb", "1g.5gb"], false, /compute slices add up to 8/],
  [A100, Array(8).fill("1g.5gb"), false, /8 × 1g\.5gb exceeds its maximum of 7/],
  [A100, ["3g.20gb", "3g.20gb", "1g.5gb"], false, /no placement/],
  [A100, Array(5).fill("1g.10gb"), false, /5 × 1g\.10gb exceeds its maximum of 4/],
  [A100, ["1g.10gb", "1g.10gb", "1g.10gb", "1g.10gb", "1g.5gb"], false, /no placement/],
  // H100-80GB
  [H100, ["3g.40gb", "2g.20gb", "1g.10gb", "1g.10gb"], true, "the layout in the H100 -L fixtures"],
  [H100, ["4g.40gb", "3g.40gb"], true, "4g + 3g"],
  [H100, ["1g.10gb+me", "1g.10gb", "1g.10gb"], true, "one media-extension instance"],
  [H100, ["4g.40gb", "4g.40gb"], false, /exceeds its maximum of 1/],
  [H100, ["1g.10gb+me", "1g.10gb+me"], false, /2 × 1g\.10gb\+me exceeds its maximum of 1/],
  [H100, ["7g.80gb", "1g.10gb"], false, /compute slices add up to 8/],
  // H200
  [H200, ["3g.71gb", "3g.71gb"], true, "two 3g.71gb"],
  [H200, Array(7).fill("1g.18gb"), true, "seven 1g.18gb"],
  [H200, ["2g.35gb", "2g.35gb", "2g.35gb", "1g.18gb"], true, "3 × 2g + 1g"],
  [H200, ["7g.141gb", "1g.18gb"], false, /compute slices add up to 8/],
  [H200, Array(5).fill("1g.35gb"), false, /5 × 1g\.35gb exceeds its maximum of 4/],
  [H200, ["4g.71gb", "4g.71gb"], false, /exceeds its maximum of 1/],
];

describe("planMig: valid and invalid layouts for A100-40GB, H100-80GB and H200", () => {
  for (const [model, requested, ok, why] of PLANS) {
    it(`${model.name}: ${requested.join(" + ")} → ${ok ? "fits" : "rejected"} (${why})`, () => {
      const plan = planMig(model, requested);
      expect(plan.ok).toBe(ok);
      if (plan.ok) {
        expect(plan.added.map((p) => p.profile).sort()).toEqual([...requested].sort());
        expect(checkMigLayout(model, plan.layout)).toEqual({ ok: true });
      } else {
        expect(plan.reason).toMatch(why);
      }
    });
  }

  it("places next to existing instances, or explains why not", () => {
    const existing = [{ profile: "3g.40gb", start: 0 }];
    expect(planMig(H100, ["3g.40gb"], existing)).toMatchObject({
      ok: true,
      added: [{ profile: "3g.40gb", start: 4 }],
    });
    const no = planMig(H100, ["4g.40gb"], existing);
    expect(no.ok).toBe(false);
    expect(!no.ok && no.reason).toMatch(/next to 3g\.40gb@0/);
  });

  it("keeps the GPU least fragmented: a lone 1g goes to the last slot, a 3g next to it leaves the 4g free", () => {
    expect(planMig(H100, ["1g.10gb"])).toMatchObject({ ok: true, added: [{ profile: "1g.10gb", start: 6 }] });
    // With a 1g at 6, a 3g cannot start at 4 (slices 4–7 hold the 1g): the only valid spot is 0.
    expect(planMig(H100, ["3g.40gb"], [{ profile: "1g.10gb", start: 6 }])).toMatchObject({
      ok: true,
      added: [{ start: 0 }],
    });
    // On an empty GPU a 3g goes to 4, keeping 4g@0 possible.
    expect(planMig(H100, ["3g.40gb"])).toMatchObject({ ok: true, added: [{ start: 4 }] });
  });

  it("requireMigPlan throws GP_MIG_LAYOUT_INVALID; unknown profiles and non-MIG models are rejected", () => {
    expect(() => requireMigPlan(A100, ["4g.20gb", "4g.20gb"])).toThrow(GpupoolError);
    expect(() => planMig(A100, ["1g.10gb+me"])).toThrow(/no MIG profile "1g.10gb\+me"/);
    expect(checkMigLayout(requireGpuModel("T4"), [])).toEqual({
      ok: false,
      reasons: ["T4 does not support MIG"],
    });
  });
});

describe("checkMigLayout: explicit placements", () => {
  const cases: [typeof A100, { profile: string; start: number }[], RegExp | null][] = [
    [
      A100,
      [
        { profile: "4g.20gb", start: 0 },
        { profile: "3g.20gb", start: 4 },
      ],
      null,
    ],
    [A100, [{ profile: "3g.20gb", start: 2 }], /cannot start at memory slice 2 \(allowed: 0, 4\)/],
    [
      A100,
      [
        { profile: "2g.10gb", start: 0 },
        { profile: "1g.5gb", start: 1 },
      ],
      /overlaps/,
    ],
    [
      H100,
      [
        { profile: "4g.40gb", start: 0 },
        { profile: "3g.40gb", start: 0 },
      ],
      /overlaps/,
    ],
    [
      H200,
      [
        { profile: "1g.35gb", start: 6 },
        { profile: "3g.71gb", start: 0 },
      ],
      null,
    ],
    [
      H200,
      [
        { profile: "7g.141gb", start: 0 },
        { profile: "1g.18gb", start: 6 },
      ],
      /compute slices add up to 8/,
    ],
  ];
  for (const [model, layout, problem] of cases) {
    it(`${model.name} ${layout.map((l) => `${l.profile}@${l.start}`).join(" ")} → ${problem ?? "valid"}`, () => {
      const r = checkMigLayout(model, layout);
      if (problem === null) expect(r).toEqual({ ok: true });
      else expect(!r.ok && r.reasons.join("; ")).toMatch(problem);
    });
  }
});

describe("planMig properties", () => {
  it("every plan it returns passes checkMigLayout, and it finds one whenever brute force does", () => {
    for (const model of [A100, H100, H200]) {
      const names = model.migProfiles.map((p) => p.name);
      fc.assert(
        fc.property(fc.array(fc.constantFrom(...names), { maxLength: 5 }), (requested) => {
          const plan = planMig(model, requested);
          if (plan.ok) {
            expect(checkMigLayout(model, plan.layout)).toEqual({ ok: true });
            return;
          }
          // Brute force over every start combination: none may be valid.
          const profiles = requested.map((n) => model.migProfiles.find((p) => p.name === n)!);
          const combos = (i: number, acc: { profile: string; start: number }[]): boolean => {
            if (i === profiles.length) return checkMigLayout(model, acc).ok;
            return profiles[i]!.starts.some((s) =>
              combos(i + 1, [...acc, { profile: profiles[i]!.name, start: s }]),
            );
          };
          expect(combos(0, [])).toBe(false);
        }),
        { numRuns: 150 },
      );
    }
  });
});
