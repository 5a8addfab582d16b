import type { LogLine } from "./engine.js";

/**
 * Docker's (and libpod's) log stream for a container without a TTY is multiplexed: each frame is
 * an 8-byte header [stream, 0, 0, 0, size as uint32 big-endian] followed by `size` bytes of
 * payload; stream 1 = stdout, 2 = stderr (0 = stdin, reported as stdout). With a TTY the stream is
 * raw stdout. Frames do not align with lines or with UTF-8 characters; this splits them back into
 * lines per stream.
 */
export async function* demuxLogLines(
  chunks: AsyncIterable<Uint8Array>,
  multiplexed = true,
  timestamps = false,
): AsyncGenerator<LogLine> {
  const splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() };
  let pending: Uint8Array = new Uint8Array(0);
  for await (const chunk of chunks) {
    if (!multiplexed) {
      yield* splitters.stdout.push(chunk, "stdout");
      continue;
    }
    pending = pending.length === 0 ? chunk : concat(pending, chunk);
    let offset = 0;
    while (pending.length - offset >= 8) {
      const view = new DataView(pending.buffer, pending.byteOffset + offset, 8);
      const size = view.getUint32(4, false);
      if (pending.length - offset - 8 < size) break;
      const stream = pending[offset] === 2 ? "stderr" : "stdout";
      let payload = pending.subarray(offset + 8, offset + 8 + size);
      offset += 8 + size;
      // With timestamps every frame starts with its entry's time, a frame that continues a line
      // (an engine's partial entry, e.g. Podman's for a write longer than its buffer) too: it is
      // taken off each frame, not each line, and a line keeps its first frame's time.
      let time: Date | undefined;
      if (timestamps) {
        const t = frameTime(payload);
        if (t) {
          time = t.time;
          payload = payload.subarray(t.length);
        }
      }
      yield* splitters[stream].push(payload, stream, time);
    }
    pending = pending.subarray(offset);
  }
  yield* splitters.stdout.end("stdout");
  yield* splitters.stderr.end("stderr");
}

/** Accumulates bytes of one stream and yields complete lines (without "\n" and a trailing "\r"). */
class LineSplitter {
  private readonly decoder = new TextDecoder("utf-8");
  private partial = "";
  /** The time of the frame the partial line began in. */
  private partialTime: Date | undefined;

  *push(bytes: Uint8Array, stream: LogLine["stream"], time?: Date): Generator<LogLine> {
    const started = this.partial.length > 0 ? this.partialTime : time;
    const text = this.partial + this.decoder.decode(bytes, { stream: true });
    const lines = text.split("\n");
    this.partial = lines.pop() ?? "";
    for (const [i, line] of lines.entries()) yield line_(stream, stripCr(line), i === 0 ? started : time);
    this.partialTime = lines.length === 0 ? started : time;
  }

  *end(stream: LogLine["stream"]): Generator<LogLine> {
    const rest = this.partial + this.decoder.decode();
    this.partial = "";
    if (rest.length > 0) yield line_(stream, stripCr(rest), this.partialTime);
  }
}

function line_(stream: LogLine["stream"], text: string, time: Date | undefined): LogLine {
  return time ? { stream, text, time } : { stream, text };
}

/** An RFC 3339 time at the start of a log line or frame, as engines write it with timestamps=true. */
export const LOG_TIME = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) ?/;

/** The time a frame starts with and its length in bytes (the space after it included), if it has one. */
function frameTime(payload: Uint8Array): { time: Date; length: number } | undefined {
  const head = new TextDecoder().decode(payload.subarray(0, 48));
  const m = LOG_TIME.exec(head);
  if (!m) return undefined;
  const time = new Date(m[1] as string);
  return Number.isNaN(time.getTime()) ? undefined : { time, length: m[0].length };
}

function stripCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Encodes one frame (for tests and the fake engine). */
export function encodeLogFrame(stream: "stdout" | "stderr", payload: string | Uint8Array): Uint8Array {
  const body = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
  const out = new Uint8Array(8 + body.length);
  out[0] = stream === "stderr" ? 2 : 1;
  new DataView(out.buffer).setUint32(4, body.length, false);
  out.set(body, 8);
  return out;
}
