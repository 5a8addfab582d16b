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
      const payload = pending.subarray(offset + 8, offset + 8 + size);
      offset += 8 + size;
      yield* splitters[stream].push(payload, stream);
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

  *push(bytes: Uint8Array, stream: LogLine["stream"]): Generator<LogLine> {
    const text = this.partial + this.decoder.decode(bytes, { stream: true });
    const lines = text.split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) yield { stream, text: stripCr(line) };
  }

  *end(stream: LogLine["stream"]): Generator<LogLine> {
    const rest = this.partial + this.decoder.decode();
    this.partial = "";
    if (rest.length > 0) yield { stream, text: stripCr(rest) };
  }
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
