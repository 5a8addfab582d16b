import { describe, expect, it } from "vitest";
import { gpuInstanceProfile, parseSmiList } from "./smi-list.js";
import { fixtureFiles, readFixture } from "./test-support/fixtures.js";

const TABLE: Record<
  string,
  { name: string; uuid: string; mig: [index: number, profile: string, uuid: string][] }
> = {
  "a100-sxm4-40gb-mig-r450-legacy-uuid-L.txt": {
    name: "A100-SXM4-40GB",
    uuid: "GPU-4200ccc0-2667-d4cb-9137-f932c716232a",
    mig: [0, 1, 2, 3, 4, 5, 6].map((i) => [
      i,
      "1g.5gb",
      `MIG-GPU-4200ccc0-2667-d4cb-9137-f932c716232a/${i + 7}/0`,
    ]),
  },
  "h100-80gb-hbm3-mig-590.48.01-L.txt": {
    name: "NVIDIA H100 80GB HBM3",
    uuid: "GPU-00000000-0000-0000-0000-000000000000",
    mig: [
      [0, "3g.40gb", "MIG-00000000-0000-0000-0000-000000000000"],
      [1, "2g.20gb", "MIG-00000001-0000-0000-0000-000000000001"],
      [2, "1g.10gb", "MIG-00000002-0000-0000-0000-000000000002"],
      [3, "1g.10gb", "MIG-00000003-0000-0000-0000-000000000003"],
    ],
  },
  "h100-80gb-hbm3-mig-mixed-L-crlf.txt": {
    name: "NVIDIA H100 80GB HBM3",
    uuid: "GPU-b4895dbf-9350-2524-a89b-98161ddd9fe4",
    mig: [
      [0, "3g.40gb", "MIG-7089d0f3-293f-58c9-8f8c-5ea666eedbde"],
      [1, "2g.20gb", "MIG-56c30729-347f-5dd6-8da0-c3cc59e969e0"],
      [2, "1g.10gb", "MIG-9d14fb21-4ae1-546f-a636-011582899c39"],
      [3, "1g.10gb", "MIG-0f709664-740c-52b0-ae79-3e4c9ede6d3b"],
    ],
  },
  "h200-mig-590.48.01-L.txt": {
    name: "NVIDIA H200",
    uuid: "GPU-00000000-0000-0000-0000-000000000000",
    mig: [
      [0, "1c.3g.71gb", "MIG-00000000-0000-0000-0000-000000000000"],
      [1, "2c.3g.71gb", "MIG-00000001-0000-0000-0000-000000000001"],
      [2, "2g.35gb", "MIG-00000002-0000-0000-0000-000000000002"],
      [3, "1g.18gb", "MIG-00000003-0000-0000-0000-000000000003"],
      [4, "1g.18gb", "MIG-00000004-0000-0000-0000-000000000004"],
    ],
  },
};

describe("parseSmiList on every real -L fixture", () => {
  it("covers every file in fixtures/nvidia-smi/list", () => {
    expect(Object.keys(TABLE).sort()).toEqual(fixtureFiles("list"));
  });
  for (const [file, want] of Object.entries(TABLE)) {
    it(file, () => {
      const gpus = parseSmiList(readFixture(`list/${file}`));
      expect(gpus).toHaveLength(1);
      expect([gpus[0]!.index, gpus[0]!.name, gpus[0]!.uuid]).toEqual([0, want.name, want.uuid]);
      expect(gpus[0]!.migDevices.map((d) => [d.index, d.profile, d.uuid])).toEqual(want.mig);
    });
  }

  it("rejects lines it does not understand instead of dropping them", () => {
    expect(() => parseSmiList("No devices were found\n")).toThrow(/unrecognised/);
  });

  it.each([
    ["1c.3g.71gb", "3g.71gb"],
    ["2c.3g.71gb", "3g.71gb"],
    ["1g.10gb", "1g.10gb"],
    ["1g.10gb+me", "1g.10gb+me"],
  ])("gpuInstanceProfile(%s) = %s", (input, out) => {
    expect(gpuInstanceProfile(input)).toBe(out);
  });
});
