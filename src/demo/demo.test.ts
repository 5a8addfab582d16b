import { describe, expect, it } from "vitest";
import { runDemo } from "./demo.js";

describe("gpupool demo", () => {
  it("labels the GPUs simulated and walks through sharing, quota, gang, preemption and requeue", () => {
    const lines: string[] = [];
    runDemo({ simulate: "8xA100-80GB", out: (l) => lines.push(l) });
    const text = lines.join("\n");
    expect(lines[0]).toMatch(/8 SIMULATED GPUs/);
    expect(text).toMatch(/step 1[^\n]*\n(\s+started nb-[1-4]\s+on GPU0×0\.25\n){4}\n/);
    expect(text).toMatch(/pending nb-5\s+over quota: queue interns/);
    expect(text).toMatch(
      /started train-0 .*\n.*started train-1|started train-1[\s\S]*started train-0|started train-0[\s\S]*started train-1/,
    );
    expect(text).toMatch(/preempted batch-\d for urgent/);
    expect(text).toMatch(/started urgent\s+on GPU\d, GPU\d/);
    expect(text).toMatch(/finished nb-1\n\s+started nb-5/);
    expect(text).not.toMatch(/preempted (nb|infer|train)/);
  });
});
