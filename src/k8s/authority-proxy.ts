import net from "node:net";
import hpack from "hpack.js";

/**
 * The kubelet's `:authority` quirk, mended in front of the device plugin's gRPC server. Kubelets
 * before ~1.26 dial the plugin's unix socket with the socket's path as the HTTP/2 `:authority`
 * ("/var/lib/kubelet/device-plugins/gpupool.sock"); Node's HTTP/2 server refuses such a header and
 * resets every stream (PROTOCOL_ERROR), so a grpc-js plugin never answers. This proxy accepts on
 * the socket the kubelet dials and relays each connection to the real server, rewriting the header
 * blocks the client sends (HEADERS + CONTINUATION, HPACK-decoded with the client's dynamic table and
 * re-encoded with the proxy's own) with `:authority: localhost`. Every other frame, and everything
 * the server sends, passes through unchanged. Nothing extra runs on the node.
 */
const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
const HEADERS = 0x1;
const CONTINUATION = 0x9;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;
const MAX_FRAME = 16_384; // SETTINGS_MAX_FRAME_SIZE's default; the server keeps it

export function startAuthorityProxy(listenSocket: string, upstreamSocket: string): Promise<net.Server> {
  const server = net.createServer((client) => {
    const upstream = net.connect(upstreamSocket);
    const rewrite = new HeaderRewriter((chunk) => upstream.write(chunk));
    client.on("data", (d) => {
      try {
        rewrite.push(d);
      } catch {
        client.destroy();
        upstream.destroy();
      }
    });
    upstream.on("data", (d) => client.write(d));
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("close", close);
    upstream.on("close", close);
    client.on("error", close);
    upstream.on("error", close);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(listenSocket, () => resolve(server));
  });
}

/** The client → server half of one connection: frames in, frames out, header blocks rewritten. */
export class HeaderRewriter {
  private buf: Buffer = Buffer.alloc(0);
  private prefaceSeen = false;
  private readonly decoder = hpack.decompressor.create({ table: { size: 4096 } });
  private readonly encoder = hpack.compressor.create({ table: { size: 4096 } });
  /** A header block being collected: its stream, flags and priority bytes, and its fragments. */
  private block: { stream: number; flags: number; priority: Buffer | null; parts: Buffer[] } | null = null;

  constructor(private readonly out: (chunk: Buffer) => void) {}

  push(data: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : data;
    if (!this.prefaceSeen) {
      if (this.buf.length < PREFACE.length) return;
      if (!this.buf.subarray(0, PREFACE.length).equals(PREFACE)) throw new Error("not an HTTP/2 connection");
      this.out(this.buf.subarray(0, PREFACE.length));
      this.buf = this.buf.subarray(PREFACE.length);
      this.prefaceSeen = true;
    }
    while (this.buf.length >= 9) {
      const length = this.buf.readUIntBE(0, 3);
      if (this.buf.length < 9 + length) return;
      const frame = this.buf.subarray(0, 9 + length);
      this.buf = this.buf.subarray(9 + length);
      this.frame(frame);
    }
  }

  private frame(frame: Buffer): void {
    const type = frame[3]!;
    const flags = frame[4]!;
    const stream = frame.readUInt32BE(5) & 0x7fffffff;
    let payload = frame.subarray(9);
    if (type === HEADERS) {
      let priority: Buffer | null = null;
      if (flags & PADDED) {
        const pad = payload[0]!;
        payload = payload.subarray(1, payload.length - pad);
      }
      if (flags & PRIORITY) {
        priority = Buffer.from(payload.subarray(0, 5));
        payload = payload.subarray(5);
      }
      this.block = { stream, flags, priority, parts: [Buffer.from(payload)] };
    } else if (type === CONTINUATION && this.block) {
      this.block.parts.push(Buffer.from(payload));
    } else {
      this.out(frame);
      return;
    }
    if (!(flags & END_HEADERS)) return;
    const b = this.block!;
    this.block = null;
    this.decoder.write(Buffer.concat(b.parts));
    this.decoder.execute();
    const headers = [];
    for (let h = this.decoder.read(); h; h = this.decoder.read())
      headers.push(
        h.name === ":authority" ? { name: h.name, value: "localhost" } : { name: h.name, value: h.value },
      );
    this.encoder.write(headers);
    const chunks: Buffer[] = [];
    for (let c = this.encoder.read(); c; c = this.encoder.read()) chunks.push(c);
    const encoded = Buffer.concat(chunks);
    const first = b.priority ? Buffer.concat([b.priority, encoded]) : encoded;
    const head = first.subarray(0, MAX_FRAME);
    const rest = first.subarray(head.length);
    const headFlags =
      (b.flags & END_STREAM) | (b.priority ? PRIORITY : 0) | (rest.length === 0 ? END_HEADERS : 0);
    this.out(frameOf(HEADERS, headFlags, b.stream, head));
    for (let at = 0; at < rest.length; at += MAX_FRAME) {
      const part = rest.subarray(at, at + MAX_FRAME);
      this.out(frameOf(CONTINUATION, at + MAX_FRAME >= rest.length ? END_HEADERS : 0, b.stream, part));
    }
  }
}

function frameOf(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream & 0x7fffffff, 5);
  return Buffer.concat([h, payload]);
}
