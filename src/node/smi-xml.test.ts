import { describe, expect, it } from "vitest";
import { parseSmiXml, SmiParseError } from "./smi-xml.js";
import { fixtureFiles, readFixture } from "./test-support/fixtures.js";

/**
 * Field-level expectations for every `-q -x` fixture (fixtures/nvidia-smi/q-x), one row per document,
 * one entry per GPU model and driver generation. Values were read off the XML by hand.
 */
interface Expect {
  driver: string;
  cuda: string;
  attached: number;
  gpus: {
    uuid: string;
    name: string;
    model: string;
    memoryMiB: number;
    usedMemoryMiB: number | null;
    migMode: "enabled" | "disabled" | "unsupported";
    migPendingMode: "enabled" | "disabled" | "unsupported" | null;
    migDevices: number;
    processes: [pid: number, usedMiB: number | null, type: string][];
    util: number | null;
    tempC: number | null;
    powerW: number | null;
    pciBusId: string;
    minor: number;
  }[];
}

const V100 = (
  uuid: string,
  bus: string,
  minor: number,
  used: number,
  procMiB: number,
  util: number,
  temp: number,
  power: number,
) => ({
  uuid,
  name: "Tesla V100S-PCIE-32GB",
  model: "V100-32GB",
  memoryMiB: 32510,
  usedMemoryMiB: used,
  migMode: "unsupported" as const,
  migPendingMode: "unsupported" as const,
  migDevices: 0,
  processes: [[37305, procMiB, "C"]] as [number, number, string][],
  util,
  tempC: temp,
  powerW: power,
  pciBusId: `00000000:00:${bus}.0`,
  minor,
});

const TABLE: Record<string, Expect> = {
  "telegraf-a100-sxm4-80gb-mig-535.54.03.xml": {
    driver: "535.54.03",
    cuda: "12.2",
    attached: 4,
    gpus: [
      {
        uuid: "GPU-513536b6-7d19-9063-b049-1e69664bb298",
        name: "NVIDIA A100-SXM4-80GB",
        model: "A100-80GB",
        memoryMiB: 81920,
        usedMemoryMiB: 50,
        migMode: "enabled",
        migPendingMode: "enabled",
        migDevices: 4,
        processes: [],
        util: null,
        tempC: 27,
        powerW: 67.03,
        pciBusId: "00000000:01:00.0",
        minor: 1,
      },
    ],
  },
  "telegraf-tesla-t4-515.105.01.xml": {
    driver: "515.105.01",
    cuda: "11.7",
    attached: 1,
    gpus: [
      {
        uuid: "GPU-d37e67a5-91dd-3774-a5cb-99096249601a",
        name: "Tesla T4",
        model: "T4",
        memoryMiB: 15360,
        usedMemoryMiB: 1032,
        migMode: "unsupported",
        migPendingMode: "unsupported",
        migDevices: 0,
        processes: [
          [675, 22, "G"],
          [5762, 1005, "C"],
        ],
        util: 0,
        tempC: 40,
        powerW: 26.78,
        pciBusId: "00000000:00:1E.0",
        minor: 0,
      },
    ],
  },
  "telegraf-a10g-515.105.01.xml": {
    driver: "515.105.01",
    cuda: "11.7",
    attached: 1,
    gpus: [
      {
        uuid: "GPU-9a9a6c50-2a47-2f51-a902-b82c3b127e94",
        name: "NVIDIA A10G",
        model: "A10G",
        memoryMiB: 23028,
        usedMemoryMiB: 22,
        migMode: "unsupported",
        migPendingMode: "unsupported",
        migDevices: 0,
        processes: [[725, 22, "G"]],
        util: 0,
        tempC: 17,
        powerW: 25.58,
        pciBusId: "00000000:00:1E.0",
        minor: 0,
      },
    ],
  },
  "datakit-8x-tesla-v100s-pcie-32gb-460.73.01.xml": {
    driver: "460.73.01",
    cuda: "11.2",
    attached: 8,
    gpus: [
      V100("GPU-76098dc1-d3bc-9a1b-7ea6-f7b48837829e", "0D", 0, 31689, 31683, 97, 66, 232.8),
      V100("GPU-bbf7a241-bf9a-eb90-b2fb-d213294faf48", "0E", 1, 29545, 29539, 75, 58, 152.03),
      V100("GPU-8f75e71c-23dd-a060-d997-4caf592954db", "0F", 2, 29539, 29533, 80, 57, 67.57),
      V100("GPU-3181eb56-505c-8214-ba05-c132f68f89b8", "10", 3, 32099, 32093, 23, 61, 198.41),
      V100("GPU-2aa87d54-d4ff-2900-812b-1a4b7e119583", "11", 4, 29517, 29511, 98, 59, 117.99),
      V100("GPU-39c3a168-9034-0b5a-223a-1042f30a9242", "12", 5, 32141, 32135, 98, 64, 85.8),
      V100("GPU-d2446f91-171e-1b54-515d-9d9b03484ddf", "13", 6, 32157, 32151, 91, 61, 68.14),
      V100("GPU-1d955959-c95b-4f40-2cac-100d3006ffe2", "14", 7, 29501, 29495, 99, 57, 61.47),
    ],
  },
  "telegraf-rtx-3090-525.147.05.xml": {
    driver: "525.147.05",
    cuda: "12.0",
    attached: 1,
    gpus: [
      {
        uuid: "GPU-12345678-aaaa-bbbb-cccc-0123456789ab",
        name: "NVIDIA GeForce RTX 3090",
        model: "RTX-3090",
        memoryMiB: 24576,
        usedMemoryMiB: 1,
        migMode: "unsupported",
        migPendingMode: "unsupported",
        migDevices: 0,
        processes: [],
        util: 0,
        tempC: 37,
        powerW: 27.23,
        pciBusId: "00000000:00:10.0",
        minor: 0,
      },
    ],
  },
  "telegraf-rtx-3080-595.58.03.xml": {
    driver: "595.58.03",
    cuda: "13.2",
    attached: 1,
    gpus: [
      {
        uuid: "GPU-19d6d965-2acc-f646-00f8-4c76979aabb4",
        name: "NVIDIA GeForce RTX 3080",
        model: "RTX-3080",
        memoryMiB: 10240,
        usedMemoryMiB: 9184,
        migMode: "unsupported",
        migPendingMode: "unsupported",
        migDevices: 0,
        processes: [],
        util: 65,
        tempC: 27,
        // v13 has no power_draw: the average_power_draw is taken.
        powerW: 139.62,
        pciBusId: "00000000:0C:00.0",
        minor: 0,
      },
    ],
  },
  "telegraf-rtx-pro-6000-blackwell-maxq-590.44.01.xml": {
    driver: "590.44.01",
    cuda: "13.1",
    attached: 1,
    gpus: [
      {
        uuid: "GPU-12345678-aaaa-bbbb-cccc-0123456789ab",
        name: "NVIDIA RTX PRO 6000 Blackwell Max-Q Workstation Edition",
        model: "RTX-PRO-6000-Blackwell",
        memoryMiB: 97887,
        usedMemoryMiB: 65720,
        migMode: "unsupported",
        migPendingMode: "unsupported",
        migDevices: 0,
        processes: [[116860, 65710, "C"]],
        util: 0,
        tempC: 24,
        powerW: 3.97,
        pciBusId: "00000000:61:00.0",
        minor: 0,
      },
    ],
  },
  "telegraf-2x-rtx-a5000-590.44.01.xml": {
    driver: "590.44.01",
    cuda: "13.1",
    attached: 2,
    gpus: [
      {
        uuid: "GPU-12345678-aaaa-bbbb-cccc-0123456789ab",
        name: "NVIDIA RTX A5000",
        model: "RTX-A5000",
        memoryMiB: 24564,
        usedMemoryMiB: 22437,
        migMode: "unsupported",
        migPendingMode: "unsupported",
        migDevices: 0,
        processes: [[100477, 22430, "C"]],
        util: 0,
        tempC: 13,
        powerW: 6.41,
        pciBusId: "00000000:81:00.0",
        // Index follows PCI order; the device minor does not.
        minor: 1,
      },
      {
        uuid: "GPU-12345678-aaaa-bbbb-cccc-0123456789cd",
        name: "NVIDIA RTX A5000",
        model: "RTX-A5000",
        memoryMiB: 24564,
        usedMemoryMiB: 17253,
        migMode: "unsupported",
        migPendingMode: "unsupported",
        migDevices: 0,
        processes: [[100477, 17246, "C"]],
        util: 0,
        tempC: 15,
        powerW: 13.6,
        pciBusId: "00000000:C1:00.0",
        minor: 0,
      },
    ],
  },
  "telegraf-gtx-1660-ti-418.43.xml": {
    driver: "418.43",
    cuda: "10.1",
    attached: 1,
    gpus: [
      {
        uuid: "GPU-304a277d-3545-63b8-3a36-dfde3c992989",
        // An unknown part: the driver calls it "Graphics Device"; the model stays that label.
        name: "Graphics Device",
        model: "Graphics Device",
        memoryMiB: 5912,
        usedMemoryMiB: 0,
        migMode: "unsupported",
        migPendingMode: null,
        migDevices: 0,
        processes: [],
        util: 0,
        tempC: 40,
        powerW: 8.93,
        pciBusId: "00000000:43:00.0",
        minor: 0,
      },
    ],
  },
};

describe("parseSmiXml on every real -q -x fixture", () => {
  it("has an expectation row for every fixture file (a new fixture must get one)", () => {
    expect(Object.keys(TABLE).sort()).toEqual(fixtureFiles("q-x"));
  });

  for (const [file, want] of Object.entries(TABLE)) {
    it(file, () => {
      const report = parseSmiXml(readFixture(`q-x/${file}`));
      expect(report.driverVersion).toBe(want.driver);
      expect(report.cudaVersion).toBe(want.cuda);
      expect(report.attachedGpus).toBe(want.attached);
      expect(report.gpus).toHaveLength(want.gpus.length);
      want.gpus.forEach((w, i) => {
        const g = report.gpus[i]!;
        expect(g.index).toBe(i);
        expect({
          uuid: g.uuid,
          name: g.name,
          model: g.model,
          memoryMiB: g.memoryMiB,
          usedMemoryMiB: g.usedMemoryMiB,
          migMode: g.migMode,
          migPendingMode: g.migPendingMode,
          migDevices: g.migDevices.length,
          processes: g.processes.map((p) => [p.pid, p.usedMemoryMiB, p.type]),
          util: g.utilizationPercent,
          tempC: g.temperatureC,
          powerW: g.powerDrawW,
          pciBusId: g.pciBusId,
          minor: g.minorNumber,
        }).toEqual(w);
        expect(g.driverVersion).toBe(want.driver);
        expect(g.computeMode).toBe("Default");
        expect(g.simulated).toBe(false);
      });
    });
  }

  it("reads the A100 MIG devices: GI 3..6, 14 SMs, 19968 MiB each, inferred as 1g.20gb", () => {
    const [gpu] = parseSmiXml(readFixture("q-x/telegraf-a100-sxm4-80gb-mig-535.54.03.xml")).gpus;
    expect(
      gpu!.migDevices.map((d) => [
        d.index,
        d.gpuInstanceId,
        d.computeInstanceId,
        d.memoryMiB,
        d.multiprocessors,
      ]),
    ).toEqual([
      [0, 3, 0, 19968, 14],
      [1, 4, 0, 19968, 14],
      [2, 5, 0, 19968, 14],
      [3, 6, 0, 19968, 14],
    ]);
    expect(gpu!.migDevices.every((d) => d.profile === "1g.20gb" && d.profileSource === "inferred")).toBe(
      true,
    );
    // 535 prints no MIG UUID in -q -x.
    expect(gpu!.migDevices.every((d) => d.uuid === null)).toBe(true);
  });
});

describe("parseSmiXml rejects what is not an nvidia-smi document", () => {
  const cases: [string, string, RegExp][] = [
    [
      "not XML",
      "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
      /not valid XML|root/,
    ],
    ["wrong root", "<html><body/></html>", /expected <nvidia_smi_log>/],
    ["truncated", "<nvidia_smi_log><gpu id='x'><uuid>GPU-1</uuid>", /not valid XML: unclosed/],
    [
      "gpu without memory",
      "<nvidia_smi_log><gpu id='x'><uuid>GPU-1</uuid></gpu></nvidia_smi_log>",
      /fb_memory_usage/,
    ],
    [
      "gpu without uuid",
      "<nvidia_smi_log><gpu id='x'><product_name>X</product_name></gpu></nvidia_smi_log>",
      /no <uuid>/,
    ],
  ];
  for (const [what, input, message] of cases) {
    it(what, () => {
      expect(() => parseSmiXml(input)).toThrow(SmiParseError);
      expect(() => parseSmiXml(input)).toThrow(message);
    });
  }

  it("decodes entities and a renamed (610) driver version field", () => {
    const doc = `<?xml version="1.0"?><nvidia_smi_log><driver_version>610.57.04 [Deprecated; use KMD Version]</driver_version>
      <cuda_version>N/A</cuda_version><cuda_umd_version>13.3</cuda_umd_version>
      <gpu id="0"><product_name>A &amp; B</product_name><uuid>GPU-1</uuid><fb_memory_usage><total>100 MiB</total><used>N/A</used></fb_memory_usage></gpu></nvidia_smi_log>`;
    const r = parseSmiXml(doc);
    expect([r.driverVersion, r.cudaVersion, r.gpus[0]!.name, r.gpus[0]!.usedMemoryMiB]).toEqual([
      "610.57.04",
      "13.3",
      "A & B",
      null,
    ]);
  });
});
