import { describe, expect, it } from "vitest";
import { envList, normaliseStatus, parseEnv, splitTimestamp } from "./api-engine.js";

describe("engine document helpers", () => {
  it("splits an RFC 3339 nanosecond timestamp off a log line", () => {
    expect(splitTimestamp({ stream: "stdout", text: "2026-11-30T05:21:14.740324570Z hello world" })).toEqual({
      stream: "stdout",
      text: "hello world",
      time: new Date("2026-11-30T05:21:14.740Z"),
    });
    expect(
      splitTimestamp({ stream: "stderr", text: "2026-11-30T05:21:14+01:00 x" }).time?.toISOString(),
    ).toBe("2026-11-30T04:21:14.000Z");
    expect(splitTimestamp({ stream: "stdout", text: "no time here" })).toEqual({
      stream: "stdout",
      text: "no time here",
    });
  });

  it("maps both engines' status words onto ContainerStatus", () => {
    expect(
      ["created", "configured", "initialized", "running", "stopped", "exited", "paused", "dead"].map(
        normaliseStatus,
      ),
    ).toEqual(["created", "created", "created", "running", "exited", "exited", "paused", "dead"]);
  });

  it("round-trips env between KEY=VALUE lists and records, keeping '=' in values", () => {
    expect(parseEnv(["PATH=/bin", "A=b=c", "EMPTY=", "BARE"])).toEqual({
      PATH: "/bin",
      A: "b=c",
      EMPTY: "",
      BARE: "",
    });
    expect(envList({ A: "b=c" })).toEqual(["A=b=c"]);
  });
});
