import { describe, expect, it } from "vitest";
import { parseSince, parseTail } from "./logs.js";

describe("logs --since and --tail", () => {
  const now = Date.parse("2026-12-02T12:00:00Z");

  it.each([
    ["90s", "2026-12-02T11:58:30.000Z"],
    ["10m", "2026-12-02T11:50:00.000Z"],
    ["1h30m", "2026-12-02T10:30:00.000Z"],
    ["2d", "2026-11-30T12:00:00.000Z"],
    ["1.5h", "2026-12-02T10:30:00.000Z"],
    ["1764676800", "2025-12-02T12:00:00.000Z"],
    ["2026-12-02T10:00:00Z", "2026-12-02T10:00:00.000Z"],
    ["2026-12-02T10:00:00+01:00", "2026-12-02T09:00:00.000Z"],
  ])("--since %s is %s", (v, iso) => {
    expect(parseSince(v, now).toISOString()).toBe(iso);
  });

  it("a date without a zone is local time", () => {
    expect(parseSince("2026-12-02T10:00:00", now).getTime()).toBe(new Date(2026, 11, 2, 10, 0, 0).getTime());
  });

  it.each(["yesterday", "10 minutes", "-5m", "", "12/02/2026"])("--since %j is refused", (v) => {
    expect(() => parseSince(v, now)).toThrow(expect.objectContaining({ code: "GP_INVALID_ARGUMENT" }));
  });

  it("--tail takes a count or all", () => {
    expect([parseTail("0"), parseTail("20"), parseTail("all")]).toEqual([0, 20, undefined]);
    expect(() => parseTail("-1")).toThrow(expect.objectContaining({ code: "GP_INVALID_ARGUMENT" }));
  });
});
