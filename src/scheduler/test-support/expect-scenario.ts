import { expect } from "vitest";
import { expected, observed, runScenario, type Scenario } from "./scenario.js";

/** Test support: runs a scenario and checks every step's expectations, naming the step that differs. */
export function expectScenario(sc: Scenario): void {
  const outcomes = runScenario(sc);
  sc.steps.forEach((step, i) => {
    expect(observed(step, outcomes[i]!), `${sc.name}, step ${i + 1}`).toEqual(expected(step));
  });
}
