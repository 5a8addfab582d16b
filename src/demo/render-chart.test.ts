import { describe, expect, it } from "vitest";
import { niceCeil, renderChart } from "./render-chart.js";

describe("the render demo's chart", () => {
  it("rounds axes up to 1, 2 or 5 × 10^k", () => {
    expect([0, 0.3, 1, 3, 7, 10, 11, 1371].map(niceCeil)).toEqual([1, 0.5, 1, 5, 10, 10, 20, 2000]);
  });

  it("draws the three series over time, leaving a gap where no frame finished", () => {
    const svg = renderChart(
      [
        { t: 0, replicas: 0, queue: 0, latencyMs: null },
        { t: 1, replicas: 1, queue: 10, latencyMs: 900 },
        { t: 2, replicas: 5, queue: 10, latencyMs: null },
        { t: 3, replicas: 5, queue: 10, latencyMs: 200 },
      ],
      "farm <test>",
    );
    expect(svg).toContain("farm &lt;test&gt;");
    const paths = [...svg.matchAll(/<path d="([^"]+)"/g)].map((m) => m[1]!);
    expect(paths).toHaveLength(3);
    expect(paths[0]!.split(" ")).toHaveLength(4);
    // Latency: two points, each its own move (no line through the gap).
    expect(paths[2]!.match(/M/g)).toHaveLength(2);
    expect(svg).toContain(">1000 ms<");
  });
});
