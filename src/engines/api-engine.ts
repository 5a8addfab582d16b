import { GpupoolError } from "../core/errors.js";
import type {
  ContainerEngine,
  ContainerSpec,
  ContainerState,
  ContainerStatus,
  ContainerSummary,
  EngineInfo,
  EngineKind,
  ImageInfo,
  ImportOptions,
  LabelFilter,
  LogLine,
  LogOptions,
} from "./engine.js";
import { type HttpResponse, type Query, type UnixHttpClient, engineError, errorMessage } from "./http.js";
import { demuxLogLines, LOG_TIME } from "./log-frames.js";

/**
 * What Docker's Engine API and Podman's libpod API share: the same resource paths for containers
 * and images, docker-shaped inspect documents and multiplexed logs. Subclasses supply the
 * differences (create body, pull/import endpoints, wait and stop parameters).
 */
export abstract class ApiEngine implements ContainerEngine {
  abstract readonly kind: EngineKind;

  protected constructor(protected readonly http: UnixHttpClient) {}

  abstract info(): Promise<EngineInfo>;
  abstract create(spec: ContainerSpec): Promise<string>;
  abstract wait(id: string, opts?: { readonly signal?: AbortSignal }): Promise<number>;
  protected abstract pull(ref: string): Promise<void>;
  abstract importImage(ref: string, tar: AsyncIterable<Uint8Array>, opts?: ImportOptions): Promise<void>;
  /** Query parameters of POST /containers/{id}/stop for a grace period in seconds. */
  protected abstract stopQuery(graceSeconds: number): Query;

  async ping(): Promise<void> {
    const res = await this.http.send("GET", "/_ping", { headersTimeoutMs: 10_000 });
    const text = await res.body.text();
    if (res.status !== 200) {
      throw new GpupoolError(
        "GP_ENGINE_UNAVAILABLE",
        `${this.kind} at ${this.http.socketPath} answered ping with HTTP ${res.status}: ${text}`,
      );
    }
  }

  async inspectImage(ref: string): Promise<ImageInfo | undefined> {
    const res = await this.http.send("GET", `/images/${encodeURIComponent(ref)}/json`);
    if (res.status === 404) {
      await res.body.dump();
      return undefined;
    }
    if (res.status !== 200) throw await engineError(res, "GET", `/images/${ref}/json`);
    const doc = (await res.body.json()) as ImageDoc;
    return {
      id: doc.Id,
      env: parseEnv(doc.Config?.Env ?? []),
      labels: doc.Config?.Labels ?? doc.Labels ?? {},
      ...(doc.Config?.Cmd ? { cmd: doc.Config.Cmd } : {}),
    };
  }

  async ensureImage(ref: string, opts: { readonly pull?: boolean } = {}): Promise<ImageInfo> {
    const local = await this.inspectImage(ref);
    if (local) return local;
    if (opts.pull ?? true) {
      try {
        await this.pull(ref);
      } catch (err) {
        throw new GpupoolError(
          "GP_IMAGE_NOT_FOUND",
          `image ${ref} is not on this host and pulling it failed: ${(err as Error).message}`,
          {
            image: ref,
          },
        );
      }
      const pulled = await this.inspectImage(ref);
      if (pulled) return pulled;
    }
    throw new GpupoolError("GP_IMAGE_NOT_FOUND", `image ${ref} is not on this host`, { image: ref });
  }

  async start(id: string): Promise<void> {
    const res = await this.http.send("POST", `/containers/${encodeURIComponent(id)}/start`);
    await this.expectNoContent(res, id, "start", [204, 304]);
  }

  logs(id: string, opts: LogOptions = {}): AsyncIterable<LogLine> {
    const http = this.http;
    const notFound = (message: string) => containerNotFound(id, message);
    return {
      async *[Symbol.asyncIterator]() {
        const query = {
          stdout: true,
          stderr: true,
          follow: opts.follow ?? false,
          timestamps: opts.timestamps ?? false,
        };
        const res = await http
          .send("GET", `/containers/${encodeURIComponent(id)}/logs`, {
            query,
            signal: opts.signal,
            headersTimeoutMs: 0,
          })
          .catch((err: unknown) => {
            if (opts.signal?.aborted) return undefined;
            throw err;
          });
        if (!res) return;
        if (res.status === 404) throw notFound(await errorMessage(res));
        if (res.status !== 200) throw await engineError(res, "GET", `/containers/${id}/logs`);
        // API 1.42+ says which framing it uses; earlier ones multiplex whenever the container has no TTY (ours never do).
        const contentType = String(res.headers["content-type"] ?? "");
        const multiplexed = !contentType.includes("application/vnd.docker.raw-stream");
        try {
          // Multiplexed frames carry their times (taken off per frame); a raw stream's are per line.
          const lines = demuxLogLines(res.body, multiplexed, opts.timestamps === true && multiplexed);
          if (!opts.timestamps || multiplexed) yield* lines;
          else for await (const line of lines) yield splitTimestamp(line);
        } catch (err) {
          if (opts.signal?.aborted) return;
          throw err;
        }
      },
    };
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    const res = await this.http.send("POST", `/containers/${encodeURIComponent(id)}/stop`, {
      query: this.stopQuery(Math.max(0, Math.round(graceSeconds))),
      headersTimeoutMs: 0,
    });
    await this.expectNoContent(res, id, "stop", [204, 304]);
  }

  async remove(id: string): Promise<void> {
    const res = await this.http.send("DELETE", `/containers/${encodeURIComponent(id)}`, {
      query: { force: true, v: true },
      headersTimeoutMs: 0,
    });
    if (res.status === 404) {
      await res.body.dump();
      return;
    }
    await this.expectNoContent(res, id, "remove", [200, 204]);
  }

  async list(labels: LabelFilter): Promise<ContainerSummary[]> {
    const label = Object.entries(labels).map(([k, v]) => (v === true ? k : `${k}=${v}`));
    const docs = await this.http.json<ListDoc[]>("GET", "/containers/json", {
      query: { all: true, filters: JSON.stringify({ label }) },
    });
    return (docs ?? []).map((d) => ({
      id: d.Id,
      name: (d.Names?.[0] ?? "").replace(/^\//, ""),
      image: d.Image ?? "",
      status: normaliseStatus(d.State ?? ""),
      labels: d.Labels ?? {},
    }));
  }

  async inspect(id: string): Promise<ContainerState | undefined> {
    const res = await this.http.send("GET", `/containers/${encodeURIComponent(id)}/json`);
    if (res.status === 404) {
      await res.body.dump();
      return undefined;
    }
    if (res.status !== 200) throw await engineError(res, "GET", `/containers/${id}/json`);
    const doc = (await res.body.json()) as InspectDoc;
    const status = normaliseStatus(doc.State?.Status ?? "");
    const startedAt = parseTime(doc.State?.StartedAt);
    const finishedAt = parseTime(doc.State?.FinishedAt);
    return {
      id: doc.Id,
      name: (doc.Name ?? "").replace(/^\//, ""),
      image: doc.ImageName ?? doc.Config?.Image ?? "",
      status,
      exitCode: status === "exited" || status === "dead" ? (doc.State?.ExitCode ?? null) : null,
      oomKilled: doc.State?.OOMKilled ?? false,
      labels: doc.Config?.Labels ?? {},
      ...(startedAt ? { startedAt } : {}),
      ...(finishedAt && (status === "exited" || status === "dead") ? { finishedAt } : {}),
    };
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  /** Accepts the listed statuses; 404 → GP_CONTAINER_NOT_FOUND; anything else → GP_ENGINE_ERROR. */
  protected async expectNoContent(
    res: HttpResponse,
    id: string,
    what: string,
    ok: readonly number[],
  ): Promise<void> {
    if (ok.includes(res.status)) {
      await res.body.dump();
      return;
    }
    if (res.status === 404) throw containerNotFound(id, await errorMessage(res));
    const message = await errorMessage(res);
    throw new GpupoolError(
      "GP_ENGINE_ERROR",
      `${this.kind} could not ${what} container ${id}: HTTP ${res.status}: ${message}`,
      {
        status: res.status,
        engineMessage: message,
      },
    );
  }

  /** Maps a failed create to the error a caller can act on. */
  protected async createError(res: HttpResponse, spec: ContainerSpec): Promise<GpupoolError> {
    const message = await errorMessage(res);
    if (res.status === 404 || /no such image|image not known|not found in local storage/i.test(message)) {
      return new GpupoolError(
        "GP_IMAGE_NOT_FOUND",
        `image ${spec.image} is not on this host (${this.kind}: ${message})`,
        {
          image: spec.image,
        },
      );
    }
    if (res.status === 409 || /already in use/i.test(message)) {
      return new GpupoolError(
        "GP_CONTAINER_EXISTS",
        `a container named ${spec.name} already exists (${this.kind}: ${message})`,
        {
          name: spec.name,
        },
      );
    }
    if (/runtime/i.test(message) && spec.runtime) {
      return new GpupoolError(
        "GP_RUNTIME_UNAVAILABLE",
        `${this.kind} cannot use OCI runtime ${spec.runtime}: ${message}`,
        {
          runtime: spec.runtime,
        },
      );
    }
    return new GpupoolError(
      "GP_ENGINE_ERROR",
      `${this.kind} refused to create ${spec.name}: HTTP ${res.status}: ${message}`,
      {
        status: res.status,
        engineMessage: message,
      },
    );
  }

  /** Reads a JSON progress stream (pull/import) and throws on an {error} entry. */
  protected async consumeProgress(res: HttpResponse, what: string): Promise<void> {
    if (res.status !== 200) throw await engineError(res, "POST", what);
    const text = await res.body.text();
    for (const line of text.split("\n")) {
      if (!line.trim()) continue;
      let entry: { error?: string; errorDetail?: { message?: string } };
      try {
        entry = JSON.parse(line);
      } catch {
        continue;
      }
      const error = entry.error ?? entry.errorDetail?.message;
      if (error) throw new GpupoolError("GP_ENGINE_ERROR", `${what}: ${error}`);
    }
  }
}

/** "2026-11-30T05:21:14.740324570Z text" → { time, text }; a line without a timestamp is left as is. */
export function splitTimestamp(line: LogLine): LogLine {
  const m = LOG_TIME.exec(line.text);
  if (!m) return line;
  const time = new Date(m[1] as string);
  if (Number.isNaN(time.getTime())) return line;
  return { stream: line.stream, text: line.text.slice(m[0].length), time };
}

export function containerNotFound(id: string, message: string): GpupoolError {
  return new GpupoolError("GP_CONTAINER_NOT_FOUND", `no container ${id}${message ? ` (${message})` : ""}`, {
    container: id,
  });
}

export function parseEnv(list: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of list) {
    const eq = entry.indexOf("=");
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
    else if (entry.length > 0) env[entry] = "";
  }
  return env;
}

export function envList(env: Readonly<Record<string, string>> | undefined): string[] {
  return Object.entries(env ?? {}).map(([k, v]) => `${k}=${v}`);
}

/** Maps Docker's and Podman's status words onto ContainerStatus. */
export function normaliseStatus(raw: string): ContainerStatus {
  switch (raw.toLowerCase()) {
    case "running":
    // podman: SIGTERM sent, the grace period running; the process still runs (not "never started").
    case "stopping":
      return "running";
    case "paused":
      return "paused";
    case "restarting":
      return "restarting";
    case "removing":
      return "removing";
    case "exited":
    case "stopped":
      return "exited";
    case "dead":
      return "dead";
    default:
      // "created", podman's "configured" and "initialized", and anything unknown: not started yet.
      return "created";
  }
}

function parseTime(s: string | undefined): Date | undefined {
  if (!s || s.startsWith("0001-01-01")) return undefined;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

interface ImageDoc {
  Id: string;
  Config?: { Env?: string[]; Labels?: Record<string, string> | null; Cmd?: string[] | null };
  Labels?: Record<string, string>;
}

interface ListDoc {
  Id: string;
  Names?: string[];
  Image?: string;
  State?: string;
  Labels?: Record<string, string> | null;
}

interface InspectDoc {
  Id: string;
  Name?: string;
  ImageName?: string;
  Config?: { Image?: string; Labels?: Record<string, string> | null };
  State?: {
    Status?: string;
    ExitCode?: number;
    OOMKilled?: boolean;
    StartedAt?: string;
    FinishedAt?: string;
  };
}
