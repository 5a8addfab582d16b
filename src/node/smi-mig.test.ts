import { describe, expect, it } from "vitest";
import { requireGpuModel } from "../core/catalog.js";
import { gibToMiB, migLayout, parseMigListings } from "./smi-mig.js";
import {
  type ProfileRow,
  renderLci,
  renderLgi,
  renderLgip,
  renderLgipp,
} from "./test-support/mig-listing.js";

/**
 * Inputs are laid out from the figures of real outputs (src/core/catalog-mig.ts names them:
 * [AZ-NVL] H100 NVL, [KF-GH200] GH200, [SL-A30] A30); their text may not be copied.
 */

const row = (
  name: string,
  id: number,
  free: number,
  total: number,
  gib: string,
  sms: number,
  [dec, enc, ce, jpeg, ofa]: number[],
): ProfileRow => ({ name, id, free, total, gib, sms, dec: dec!, enc: enc!, ce: ce!, jpeg: jpeg!, ofa: ofa! });

const HOPPER_ENGINES = [
  [1, 0, 1, 1, 0],
  [1, 0, 1, 1, 1],
  [1, 0, 1, 1, 0],
  [2, 0, 2, 2, 0],
  [3, 0, 3, 3, 0],
  [4, 0, 4, 4, 0],
  [7, 0, 8, 7, 1],
];
const HOPPER_IDS = [19, 20, 15, 14, 9, 5, 0];
const HOPPER_SMS = [16, 16, 26, 32, 60, 64, 132];
const HOPPER_TOTALS = [7, 1, 4, 3, 2, 1, 1];
const hopper = (names: string[], gibs: string[]) =>
  names.map((n, i) =>
    row(
      n,
      HOPPER_IDS[i]!,
      HOPPER_TOTALS[i]!,
      HOPPER_TOTALS[i]!,
      gibs[i]!,
      HOPPER_SMS[i]!,
      HOPPER_ENGINES[i]!,
    ),
  );

const NVL = hopper(
  ["1g.12gb", "1g.12gb+me", "1g.24gb", "2g.24gb", "3g.47gb", "4g.47gb", "7g.94gb"],
  ["10.75", "10.75", "21.62", "21.62", "46.38", "46.38", "93.12"],
);
const GH200 = hopper(
  ["1g.12gb", "1g.12gb+me", "1g.24gb", "2g.24gb", "3g.48gb", "4g.48gb", "7g.96gb"],
  ["11.00", "11.00", "23.00", "23.00", "46.50", "46.50", "93.00"],
);
const A30 = [
  row("1g.6gb", 14, 0, 4, "5.81", 14, [1, 0, 1, 0, 0]),
  row("1g.6gb+me", 21, 0, 1, "5.81", 14, [1, 0, 1, 1, 1]),
  row("2g.12gb", 5, 0, 2, "11.69", 28, [2, 0, 2, 0, 0]),
  row("4g.24gb", 0, 0, 1, "23.50", 56, [4, 0, 4, 1, 1]),
];

describe("nvidia-smi mig -lgip", () => {
  it("GiB with 2 decimals is exact in MiB (sizes are multiples of 64 MiB)", () => {
    expect([9.75, 19.62, 39.5, 79.25, 21.62, 46.38, 93.12, 5.81].map(gibToMiB)).toEqual([
      9984, 20096, 40448, 81152, 22144, 47488, 95360, 5952,
    ]);
  });

  it.each([
    ["H100-NVL", NVL],
    ["GH200", GH200],
    ["A30", A30],
  ] as const)("%s: every profile, size, SM and copy-engine count agrees with the catalog", (model, rows) => {
    const l = parseMigListings(renderLgip(0, rows));
    expect(l.warnings).toEqual([]);
    expect(l.seen).toEqual(["profiles"]);
    const m = requireGpuModel(model);
    // (The A30 listing predates 2g.12gb+me, R525: compare the profiles it lists.)
    expect(l.profiles.map((p) => [p.name, p.memoryMiB, p.sms, p.copyEngines])).toEqual(
      l.profiles.map(({ name }) => {
        const c = m.migProfiles.find((p) => p.name === name)!;
        return [c.name, c.memoryMiB, c.sms, c.copyEngines];
      }),
    );
    expect(l.profiles).toHaveLength(rows.length);
    expect(l.profiles[0]).toMatchObject({ gpu: 0, profileId: rows[0]!.id, p2p: false, free: rows[0]!.free });
  });
});

describe("nvidia-smi mig -lgipp", () => {
  it("H100 NVL placements are the catalog's start slices, profile by profile", () => {
    const text = renderLgipp(0, [
      [19, [0, 1, 2, 3, 4, 5, 6], 1],
      [20, [0, 1, 2, 3, 4, 5, 6], 1],
      [15, [0, 2, 4, 6], 2],
      [14, [0, 2, 4], 2],
      [9, [0, 4], 4],
      [5, [0], 4],
      [0, [0], 8],
    ]);
    const l = parseMigListings(text);
    expect(l.placements.map((p) => p.size)).toEqual([1, 1, 2, 2, 4, 4, 8]);
    const m = requireGpuModel("H100-NVL");
    expect(l.placements.map((p) => p.starts)).toEqual(m.migProfiles.map((p) => p.starts));
    expect(l.placements.map((p) => p.size)).toEqual(m.migProfiles.map((p) => p.memorySlices));
  });
});

describe("nvidia-smi mig -lgi / -lci into the node's MIG layout", () => {
  // [SL-A30]: four 1g.6gb GPU instances, GI 3..6 at slices 0..3; `-cgi … -C` gave each its
  // default compute instance spanning it.
  const gis = renderLgi([
    [0, "1g.6gb", 14, 3, 0, 1],
    [0, "1g.6gb", 14, 4, 1, 1],
    [0, "1g.6gb", 14, 5, 2, 1],
    [0, "1g.6gb", 14, 6, 3, 1],
  ]);
  const cis = renderLci([
    [0, 3, "1g.6gb", 0, 0, 0, 1],
    [0, 4, "1g.6gb", 0, 0, 0, 1],
    [0, 5, "1g.6gb", 0, 0, 0, 1],
    [0, 6, "1g.6gb", 0, 0, 0, 1],
  ]);

  it("one saved file with both listings gives GIs with their CIs, by start slice", () => {
    const l = parseMigListings(gis + cis);
    expect(l.warnings).toEqual([]);
    expect([...l.seen].sort()).toEqual(["computeInstances", "gpuInstances"]);
    const layout = migLayout(l).get(0)!;
    expect(
      layout.map((g) => [g.gpuInstanceId, g.profile, g.start, g.size, g.computeInstances.length]),
    ).toEqual([
      [3, "1g.6gb", 0, 1, 1],
      [4, "1g.6gb", 1, 1, 1],
      [5, "1g.6gb", 2, 1, 1],
      [6, "1g.6gb", 3, 1, 1],
    ]);
    expect(layout[0]!.computeInstances[0]).toEqual({
      computeInstanceId: 0,
      profile: "1g.6gb",
      profileId: 0,
      start: 0,
      size: 1,
    });
  });

  it("compute instances that split a GI keep their Nc. profiles (H200 590: GI 2 as 1c + 2c)", () => {
    const l = parseMigListings(
      renderLgi([[0, "3g.71gb", 9, 2, 0, 4]]) +
        renderLci([
          [0, 2, "1c.3g.71gb", 0, 0, 0, 1],
          [0, 2, "2c.3g.71gb", 1, 1, 1, 2],
        ]),
    );
    expect(
      migLayout(l)
        .get(0)![0]!
        .computeInstances.map((c) => [c.computeInstanceId, c.profile]),
    ).toEqual([
      [0, "1c.3g.71gb"],
      [1, "2c.3g.71gb"],
    ]);
  });

  it('"No GPU instances found: Not Found" is an empty listing, not an error', () => {
    const l = parseMigListings("No GPU instances found: Not Found\n");
    expect(l).toMatchObject({ gpuInstances: [], warnings: [], seen: ["gpuInstances"] });
    expect(migLayout(l).size).toBe(0);
  });

  it("one unreadable line is skipped with a warning; the rest of the listing is kept", () => {
    const lines = gis.split("\n");
    lines.splice(7, 0, "|   0  MIG 1g.6gb          14        ?          ?:?     |");
    const l = parseMigListings(lines.join("\n"));
    expect(l.gpuInstances).toHaveLength(4);
    expect(l.warnings).toEqual([
      expect.stringMatching(/skipped a line it could not read: "\| {3}0 {2}MIG 1g\.6gb.*\?:\?/),
    ]);
  });
});
