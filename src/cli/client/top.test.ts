import { describe, expect, it } from "vitest";
import type { GpuView, JobView } from "../../api/schemas.js";
import { topFrame } from "./top.js";

const gpu = (index: number, slices: GpuView["slices"], unhealthy: string | null = null): GpuView => ({
  index,
  uuid: null,
  model: "A100-80GB",
  memoryMiB: 81920,
  simulated: true,
  usedMilli: slices.reduce((s, x) => s + x.milli, 0),
  usedMemoryMiB: slices.reduce((s, x) => s + x.memoryMiB, 0),
  slices,
  migEnabled: false,
  migInstances: [],
  unhealthy,
});

const job = (id: string, name: string, milli: number, index = 0) =>
  ({
    id,
    name,
    tenant: "team",
    gpus: [{ index, milli, memoryMiB: 0 }],
    startedAt: null,
  }) as unknown as JobView;

describe("one frame of gpupool top", () => {
  it("lists GPUs with owners by name and health, the busiest jobs first, and the pending count", () => {
    const text = topFrame(
      "vm",
      new Date(0),
      [
        gpu(0, [{ job: "j-a", milli: 250, memoryMiB: 10240 }]),
        gpu(1, [{ job: "(another tenant)", milli: 1000, memoryMiB: 0 }], "XID 79: gone"),
      ],
      [job("j-a", "render", 250), job("j-b", "train", 1000, 1)],
      1000,
      true,
      200,
    );
    expect(text).toMatch(
      /^gpupool top — vm — .* — q quits\n2 SIMULATED GPU\(s\); 2 running, 1000\+ pending\n/,
    );
    expect(text).toMatch(/\n0 +A100-80GB \(simulated\) +25% +10\/80 GiB +1 +ok +render 25%\n/);
    expect(text).toMatch(/\n1 .*UNHEALTHY \(XID 79: gone\) +\(another tenant\) 100%\n/);
    expect(text.indexOf("train")).toBeLessThan(text.indexOf("render  "));
  });

  it("clips lines to the terminal's width", () => {
    const text = topFrame("vm", new Date(0), [gpu(0, [])], [], 0, false, 30);
    for (const line of text.split("\n")) expect(line.length).toBeLessThanOrEqual(30);
  });
});
