import { GpupoolError } from "../core/errors.js";
import { ApiEngine } from "./api-engine.js";
import { dockerCreateBody } from "./docker-body.js";
import type { ContainerSpec, EngineInfo, ImportOptions } from "./engine.js";
import { type Query, UnixHttpClient, engineError } from "./http.js";

export const DOCKER_API_VERSION = "1.41";

/** Docker Engine API v1.41 over a unix socket (dockerd 20.10+; also Podman's compatible API, minus GPUs). */
export class DockerEngine extends ApiEngine {
  readonly kind = "docker" as const;

  constructor(readonly socketPath: string) {
    super(new UnixHttpClient(socketPath, `/v${DOCKER_API_VERSION}`));
  }

  async info(): Promise<EngineInfo> {
    const [version, info] = await Promise.all([
      this.http.json<{ Version: string; ApiVersion: string }>("GET", "/version"),
      this.http.json<{ Runtimes?: Record<string, unknown>; CgroupVersion?: string; DefaultRuntime?: string }>(
        "GET",
        "/info",
      ),
    ]);
    return {
      kind: "docker",
      version: version.Version,
      apiVersion: DOCKER_API_VERSION,
      runtimes: Object.keys(info.Runtimes ?? {}).sort(),
      cdi: false,
      ...(info.CgroupVersion ? { cgroupVersion: info.CgroupVersion } : {}),
    };
  }

  async create(spec: ContainerSpec): Promise<string> {
    const body = dockerCreateBody(spec);
    const res = await this.http.send("POST", "/containers/create", { query: { name: spec.name }, body });
    if (res.status !== 201) throw await this.createError(res, spec);
    const doc = (await res.body.json()) as { Id: string };
    return doc.Id;
  }

  async wait(id: string, opts: { readonly signal?: AbortSignal } = {}): Promise<number> {
    const path = `/containers/${encodeURIComponent(id)}/wait`;
    const res = await this.http.send("POST", path, {
      query: { condition: "not-running" },
      signal: opts.signal,
      headersTimeoutMs: 0,
    });
    if (res.status !== 200) {
      await this.expectNoContent(res, id, "wait for", []);
    }
    const doc = (await res.body.json()) as { StatusCode: number; Error?: { Message?: string } | null };
    if (doc.Error?.Message)
      throw new GpupoolError("GP_ENGINE_ERROR", `waiting for ${id}: ${doc.Error.Message}`);
    return doc.StatusCode;
  }

  protected stopQuery(graceSeconds: number): Query {
    return { t: graceSeconds };
  }

  protected async pull(ref: string): Promise<void> {
    const res = await this.http.send("POST", "/images/create", {
      query: { fromImage: ref },
      headersTimeoutMs: 0,
    });
    await this.consumeProgress(res, `pull ${ref}`);
  }

  async importImage(ref: string, tar: AsyncIterable<Uint8Array>, opts: ImportOptions = {}): Promise<void> {
    const { repo, tag } = splitRef(ref);
    const res = await this.http.send("POST", "/images/create", {
      query: { fromSrc: "-", repo, tag, changes: importChanges(opts) },
      body: tar,
      headersTimeoutMs: 0,
    });
    if (res.status !== 200) throw await engineError(res, "POST", "/images/create?fromSrc=-");
    await this.consumeProgress(res, `import ${ref}`);
  }
}

/** Dockerfile instructions for an import: CMD as JSON, one ENV per variable. */
export function importChanges(opts: ImportOptions): string[] {
  const changes: string[] = [];
  if (opts.cmd) changes.push(`CMD ${JSON.stringify(opts.cmd)}`);
  for (const kv of opts.env ?? []) {
    const eq = kv.indexOf("=");
    changes.push(`ENV ${kv.slice(0, eq)}=${kv.slice(eq + 1)}`);
  }
  return changes;
}

/** "localhost/busybox:latest" → { repo: "localhost/busybox", tag: "latest" } (a registry port is not a tag). */
export function splitRef(ref: string): { repo: string; tag: string } {
  const slash = ref.lastIndexOf("/");
  const colon = ref.lastIndexOf(":");
  if (colon > slash) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref, tag: "latest" };
}
