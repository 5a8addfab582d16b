import { describe, expect, it } from "vitest";
import type { LogLine } from "./engine.js";
import { demuxLogLines, encodeLogFrame } from "./log-frames.js";

async function collect(chunks: Uint8Array[], multiplexed = true): Promise<LogLine[]> {
  async function* gen() {
    for (const c of chunks) yield c;
  }
  const out: LogLine[] = [];
  for await (const line of demuxLogLines(gen(), multiplexed)) out.push(line);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Cuts bytes into pieces of the given sizes (cycled), to split headers, payloads and characters. */
function cut(bytes: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let o = 0;
  for (let i = 0; o < bytes.length; i++) {
    const n = sizes[i % sizes.length] as number;
    out.push(bytes.slice(o, o + n));
    o += n;
  }
  return out;
}

describe("demuxLogLines", () => {
  it("splits stdout and stderr frames into tagged lines", async () => {
    const stream = concat([
      encodeLogFrame("stdout", "a\nb\n"),
      encodeLogFrame("stderr", "oops\n"),
      encodeLogFrame("stdout", "c\n"),
    ]);
    expect(await collect([stream])).toEqual([
      { stream: "stdout", text: "a" },
      { stream: "stdout", text: "b" },
      { stream: "stderr", text: "oops" },
      { stream: "stdout", text: "c" },
    ]);
  });

  it("joins a line that spans frames and chunks, headers and UTF-8 characters cut anywhere", async () => {
    const stream = concat([
      encodeLogFrame("stdout", "héllo "),
      encodeLogFrame("stderr", "e1\n"),
      encodeLogFrame("stdout", "wörld ✓\nlast"),
    ]);
    for (const sizes of [[1], [3], [5, 2], [7, 11, 1]]) {
      expect(await collect(cut(stream, sizes)), `chunks ${sizes}`).toEqual([
        { stream: "stderr", text: "e1" },
        { stream: "stdout", text: "héllo wörld ✓" },
        { stream: "stdout", text: "last" },
      ]);
    }
  });

  it("reads a raw (TTY) stream as stdout and drops \\r before \\n", async () => {
    const raw = new TextEncoder().encode("x\r\ny\n");
    expect(await collect(cut(raw, [2]), false)).toEqual([
      { stream: "stdout", text: "x" },
      { stream: "stdout", text: "y" },
    ]);
  });

  it("ignores a truncated trailing frame header", async () => {
    const stream = concat([encodeLogFrame("stdout", "ok\n"), new Uint8Array([1, 0, 0])]);
    expect(await collect([stream])).toEqual([{ stream: "stdout", text: "ok" }]);
  });
});

describe("demuxLogLines (property)", () => {
  it("recovers every stream's lines whatever the frame sizes and chunk boundaries", async () => {
    const fc = (await import("fast-check")).default;
    const line = fc.string({ unit: fc.constantFrom("a", "é", "✓", "💡", " ", "\r"), maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ stream: fc.constantFrom("stdout" as const, "stderr" as const), text: line }), {
          maxLength: 12,
        }),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 13 }), { minLength: 1, maxLength: 5 }),
        async (lines, frameSizes, chunkSizes) => {
          // Each stream's bytes, cut into frames of arbitrary size, interleaved in line order.
          const frames: Uint8Array[] = [];
          let f = 0;
          for (const l of lines) {
            const bytes = new TextEncoder().encode(`${l.text}\n`);
            for (let o = 0; o < bytes.length; ) {
              const n = frameSizes[f++ % frameSizes.length] as number;
              frames.push(encodeLogFrame(l.stream, bytes.slice(o, o + n)));
              o += n;
            }
          }
          const got = await collect(cut(concat(frames), chunkSizes));
          const expected = lines.map((l) => ({
            stream: l.stream,
            text: l.text.endsWith("\r") ? l.text.slice(0, -1) : l.text,
          }));
          // Lines of one stream keep their order; the two streams interleave as their frames did.
          for (const stream of ["stdout", "stderr"] as const) {
            expect(got.filter((g) => g.stream === stream)).toEqual(
              expected.filter((e) => e.stream === stream),
            );
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("with timestamps takes each frame's time off, a frame that continues a line too (Podman's partial entries)", async () => {
    const stream = concat([
      encodeLogFrame("stdout", "2026-12-03T11:46:02.000000001Z 0123456789abcdefghijklmnop"),
      encodeLogFrame("stdout", "2026-12-03T11:46:02.000000002Z qrstuvwxyz\n"),
      encodeLogFrame("stdout", "2026-12-03T11:46:03Z two\nthree\n"),
      encodeLogFrame("stderr", "2026-12-03T11:46:04+00:00 err"),
    ]);
    const out: LogLine[] = [];
    async function* gen() {
      for (const c of cut(stream, [5, 13, 1, 64])) yield c;
    }
    for await (const line of demuxLogLines(gen(), true, true)) out.push(line);
    expect(out.map((l) => [l.stream, l.text, l.time?.toISOString()])).toEqual([
      ["stdout", "0123456789abcdefghijklmnopqrstuvwxyz", "2026-12-03T11:46:02.000Z"],
      ["stdout", "two", "2026-12-03T11:46:03.000Z"],
      ["stdout", "three", "2026-12-03T11:46:03.000Z"],
      ["stderr", "err", "2026-12-03T11:46:04.000Z"],
    ]);
  });
});
