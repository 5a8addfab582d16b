import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { podmanUnavailable } from "../engines/test-support/availability.js";
import { runRenderDemo } from "./render.js";

/**
 * Issue 13, acceptance 6: `gpupool demo render` on real Podman. The farm goes 0 → 1 → 5 replicas
 * as the queue grows and back to 0 when idle, no frame fails, the chart is written, and under the
 * peak load the mean frame latency at 5 replicas is at least 3.4× lower than at 1 (the figure the
 * field quotes: 120 ms → 35 ms when render nodes scale out).
 */

const why = podmanUnavailable();
if (why && process.env.CI) throw new Error(`Podman is required in CI: ${why}`);
if (why) console.warn(`skipping the render demo on Podman: ${why}`);

describe.skipIf(why !== undefined)("gpupool demo render (real Podman)", () => {
  let dir = "";
  afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

  it("scales 0 → 5 → 0 with the queue; peak latency falls ≥ 3.4× from 1 replica to 5; chart written", async () => {
    dir = await mkdtemp(join(tmpdir(), "gp-render-test-"));
    const lines: string[] = [];
    const chart = join(dir, "farm.svg");
    const r = await runRenderDemo({
      engine: "podman",
      chart,
      out: (l) => {
        lines.push(l);
        console.log(l);
      },
    });
    expect(r.failed).toBe(0);
    expect(r.scaledToZero).toBe(true);
    expect(r.maxReady).toBe(5);
    expect(r.peak.find((p) => p.replicas === 1)?.frames).toBeGreaterThan(5);
    expect(r.peak.find((p) => p.replicas === 5)?.frames).toBeGreaterThan(50);
    expect(r.ratio).toBeGreaterThanOrEqual(3.4);
    expect(lines.join("\n")).toMatch(/latency falls \d+\.\d\d× from 1 replica to 5/);
    expect(lines.some((l) => /replicas 5\/5 {2}queue 10/.test(l))).toBe(true);
    const svg = await readFile(chart, "utf8");
    expect(svg).toMatch(/^<svg /);
    expect(svg.match(/<path /g)).toHaveLength(3);
  }, 180_000);
});
