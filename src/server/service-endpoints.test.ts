import { describe, expect, it } from "vitest";
import { parseQueue } from "./service-endpoints.js";

describe("a replica's queue answer (autoscale.queuePath)", () => {
  it.each([
    ["12", 12],
    [" 3.5\n", 3.5],
    ['{"queue": 7}', 7],
    ['{"queue": -1}', undefined],
    ['{"depth": 7}', undefined],
    ["twelve", undefined],
    ["", undefined],
    ["<html>404</html>", undefined],
  ])("%j → %s", (text, n) => {
    expect(parseQueue(text)).toBe(n);
  });
});
