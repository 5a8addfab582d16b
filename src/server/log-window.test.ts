import { describe, expect, it } from "vitest";
import type { LogLine } from "../engines/engine.js";
import { type LogSource, windowed } from "./log-window.js";

const at = (s: number) => new Date(Date.UTC(2026, 11, 2, 10, 0, s));
const line = (text: string, s?: number): LogLine =>
  s === undefined ? { stream: "stdout", text } : { stream: "stdout", text, time: at(s) };

/** A log of `now` lines that, followed, gets `later` too. */
function source(now: LogLine[], later: LogLine[] = []): LogSource {
  return async function* (follow) {
    yield* now;
    if (follow) yield* later;
  };
}

async function texts(it: AsyncIterable<LogLine>): Promise<string[]> {
  const out: string[] = [];
  for await (const l of it) out.push(l.text);
  return out;
}

describe("log windows (logs --tail/--since)", () => {
  const now = [line("a", 1), line("b", 2), line("c", 3), line("d", 4)];
  const later = [line("e", 5), line("f", 6)];

  it("everything without a window; followed, the new lines too", async () => {
    expect(await texts(windowed(source(now, later), { follow: false }))).toEqual(["a", "b", "c", "d"]);
    expect(await texts(windowed(source(now, later), { follow: true }))).toEqual([
      "a",
      "b",
      "c",
      "d",
      "e",
      "f",
    ]);
  });

  it("tail: the last N lines there are now, then (followed) each new one", async () => {
    expect(await texts(windowed(source(now, later), { follow: false, tail: 2 }))).toEqual(["c", "d"]);
    expect(await texts(windowed(source(now, later), { follow: true, tail: 1 }))).toEqual(["d", "e", "f"]);
    expect(await texts(windowed(source(now, later), { follow: true, tail: 0 }))).toEqual(["e", "f"]);
    expect(await texts(windowed(source(now), { follow: false, tail: 10 }))).toEqual(["a", "b", "c", "d"]);
  });

  it("since: lines at or after the time; lines without a time pass", async () => {
    expect(await texts(windowed(source(now, later), { follow: true, since: at(3) }))).toEqual([
      "c",
      "d",
      "e",
      "f",
    ]);
    expect(await texts(windowed(source([line("old"), ...now]), { follow: false, since: at(4) }))).toEqual([
      "old",
      "d",
    ]);
  });

  it("tail applies to the lines since", async () => {
    expect(await texts(windowed(source(now), { follow: false, since: at(2), tail: 5 }))).toEqual([
      "b",
      "c",
      "d",
    ]);
    expect(await texts(windowed(source(now, later), { follow: true, since: at(2), tail: 1 }))).toEqual([
      "d",
      "e",
      "f",
    ]);
  });
});
