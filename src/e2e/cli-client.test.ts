import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, type TestServer, testServer } from "../server/test-support/server.js";
import { usageCommand } from "../cli/client/cluster.js";
import { psCommand } from "../cli/client/job-views.js";
import { quotasFromFlags, tenantsCommand } from "../cli/client/tenants.js";
import { resolveClientConfig } from "../cli/client/config.js";
import { applyCommand, runCommand, specFromFlags, stopCommand } from "../cli/client/jobs.js";
import { capture } from "./test-support/cli-io.js";

/** The CLI's job commands against a real server on loopback (fake engine). */

describe("CLI over HTTP", () => {
  let t: TestServer;
  let dir: string;
  let flags: { server: string; token: string; config: string };
  beforeAll(async () => {
    t = await testServer();
    dir = await mkdtemp(join(tmpdir(), "gp-cli-"));
    await writeFile(join(dir, "empty.yaml"), "");
    flags = { server: t.server.url, token: ADMIN, config: join(dir, "empty.yaml") };
  });
  afterAll(async () => {
    await t?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("run --wait streams the logs and exits with the job's exit code", async () => {
    const io = capture();
    const code = await runCommand(
      "localhost/busybox:latest",
      ["sh", "-c", "echo out-line; echo err-line >&2; exit 7"],
      { ...flags, wait: true, gpu: "0.25", cpu: "100m", memory: "64Mi" },
      io,
    );
    expect(code).toBe(7);
    expect(io.stdout()).toContain("out-line");
    expect(io.stderr()).toContain("err-line");
    expect(io.stderr()).toMatch(/Failed: exit code 7/);
    const ok = capture();
    expect(
      await runCommand(
        "localhost/busybox:latest",
        ["true"],
        { ...flags, wait: true, cpu: "100m", memory: "64Mi" },
        ok,
      ),
    ).toBe(0);
  });

  it("apply -f submits YAML specs; ps lists them as a table or JSON", async () => {
    const file = join(dir, "jobs.yaml");
    await writeFile(
      file,
      "name: from-yaml\nimage: localhost/busybox:latest\ncpu: 100m\nmemory: 64Mi\ncommand: [sleep, '30']\nstopGraceSeconds: 1\n---\nname: second\nimage: localhost/busybox:latest\ncpu: 100m\nmemory: 64Mi\ncommand: ['true']\n",
    );
    const io = capture();
    expect(await applyCommand(file, { ...flags, output: "json" }, io)).toBe(0);
    const applied = JSON.parse(io.stdout()).jobs as { id: string; name: string }[];
    expect(applied.map((j) => j.name)).toEqual(["from-yaml", "second"]);
    const table = capture();
    await psCommand(flags, table);
    expect(table.stdout().split("\n")[0]).toMatch(/^ID\s+NAME\s+TENANT\s+STATE\s+GPU/);
    expect(table.stdout()).toContain("from-yaml");
    const stopped = capture();
    await stopCommand([applied[0]!.id], flags, stopped);
    expect(stopped.stdout()).toContain(`${applied[0]!.id} Cancelled`);
  });

  it("bad input is one GpupoolError; an unreachable server is GP_SERVER_UNREACHABLE", async () => {
    await expect(runCommand("img", [], { ...flags, gpu: "lots" }, capture())).rejects.toMatchObject({
      code: "GP_INVALID_QUANTITY",
    });
    await expect(psCommand({ ...flags, token: "gp_wrong" }, capture())).rejects.toMatchObject({
      code: "GP_UNAUTHORIZED",
    });
    await expect(psCommand({ ...flags, server: "http://127.0.0.1:1" }, capture())).rejects.toMatchObject({
      code: "GP_SERVER_UNREACHABLE",
    });
    await expect(applyCommand(join(dir, "missing.yaml"), flags, capture())).rejects.toMatchObject({
      code: "GP_INVALID_ARGUMENT",
    });
  });

  it("answers are parsed with the contract's schemas: one that does not match is GP_SERVER_ERROR", async () => {
    const answers: Record<string, [number, unknown]> = {
      "/v1/jobs": [200, { jobs: [{ id: 1, name: "x" }] }],
      "/v1/usage": [404, { code: "GP_NOT_FOUND", message: "gone", error: "Not Found", statusCode: 404 }],
      "/v1/tenants": [500, { code: "GP_NOT_A_CODE", message: "odd" }],
    };
    const fake = createServer((req, res) => {
      const [status, body] = answers[(req.url ?? "").split("?")[0]!] ?? [404, {}];
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    });
    await new Promise<void>((r) => fake.listen(0, "127.0.0.1", r));
    const at = { ...flags, server: `http://127.0.0.1:${(fake.address() as AddressInfo).port}` };
    try {
      await expect(psCommand(at, capture())).rejects.toMatchObject({
        code: "GP_SERVER_ERROR",
        message: expect.stringMatching(
          /GET \/v1\/jobs\?state=\S+: the answer does not match the API contract \(jobs\.0\.id: /,
        ),
      });
      await expect(usageCommand(at, capture())).rejects.toMatchObject({
        code: "GP_NOT_FOUND",
        message: "gone",
      });
      await expect(tenantsCommand(undefined, undefined, at, capture())).rejects.toMatchObject({
        code: "GP_SERVER_ERROR",
        message: "HTTP 500: odd",
      });
    } finally {
      await new Promise((r) => fake.close(r));
    }
  });

  it("tenants create prints a token that works; usage answers", async () => {
    const io = capture();
    await tenantsCommand("create", "cli-team", { ...flags, gpuLimit: "0.5", output: "json" }, io);
    const { token } = JSON.parse(io.stdout()) as { token: string };
    const ps = capture();
    await psCommand({ ...flags, token, output: "json" }, ps);
    expect(JSON.parse(ps.stdout()).jobs).toEqual([]);
    const usage = capture();
    expect(await usageCommand(flags, usage)).toBe(0);
    expect(usage.stdout()).toMatch(/^TENANT\s+GPU-SECONDS/);
  });

  it("tenants quota sets memory limits and guarantees from quantities; the server stores them", async () => {
    await tenantsCommand("create", "cli-mem", { ...flags, memoryLimit: "8Gi", output: "json" }, capture());
    const io = capture();
    const code = await tenantsCommand(
      "quota",
      "cli-mem",
      {
        ...flags,
        gpuLimit: "1",
        gpuMemoryLimit: "40Gi",
        cpuLimit: "4",
        memoryLimit: "8Gi",
        cpuGuarantee: "0.5",
        memoryGuarantee: "512Mi",
        output: "json",
      },
      io,
    );
    expect(code).toBe(0);
    expect(JSON.parse(io.stdout()).tenant.quotas).toEqual({
      gpuMilli: 1000,
      gpuMemoryMiB: 40_960,
      cpuMilli: 4000,
      memoryMiB: 8192,
      guarantee: { cpuMilli: 500, memoryMiB: 512 },
    });
    // A guarantee above its limit is the server's to refuse, naming the field.
    await expect(
      tenantsCommand("quota", "cli-mem", { ...flags, memoryLimit: "1Gi", memoryGuarantee: "2Gi" }, capture()),
    ).rejects.toMatchObject({ code: "GP_INVALID_SPEC", message: expect.stringContaining("limit.memoryMiB") });
  });

  it("tenants quota flags: memory quantities parse; bad values are GP_INVALID_ARGUMENT naming the flag", () => {
    expect(
      quotasFromFlags({ memoryLimit: "1.5Gi", gpuMemoryGuarantee: "20Gi", gpuGuarantee: "0.5" }),
    ).toEqual({
      memoryMiB: 1536,
      guarantee: { gpuMilli: 500, gpuMemoryMiB: 20_480 },
    });
    expect(quotasFromFlags({ memoryLimit: "1G" })).toEqual({ memoryMiB: 954 });
    for (const [f, flag] of [
      [{ memoryLimit: "8GB" }, "--memory-limit"],
      [{ memoryLimit: "-1Gi" }, "--memory-limit"],
      [{ gpuMemoryLimit: "lots" }, "--gpu-memory-limit"],
      [{ memoryGuarantee: "0.5Ki" }, "--memory-guarantee"],
      [{ cpuGuarantee: "two" }, "--cpu-guarantee"],
      [{ cpuGuarantee: "" }, "--cpu-guarantee"],
    ] as const) {
      let err: unknown;
      try {
        quotasFromFlags(f);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(f)).toMatchObject({
        code: "GP_INVALID_ARGUMENT",
        message: expect.stringContaining(flag),
      });
    }
  });

  it("flags beat GPUPOOL_SERVER/GPUPOOL_TOKEN, which beat the config file", async () => {
    const cfg = join(dir, "config.yaml");
    await writeFile(cfg, "server: http://file:1\ntoken: from-file\n");
    expect(resolveClientConfig({ config: cfg }, {})).toEqual({ server: "http://file:1", token: "from-file" });
    expect(
      resolveClientConfig({ config: cfg }, { GPUPOOL_SERVER: "http://env:2", GPUPOOL_TOKEN: "from-env" }),
    ).toEqual({ server: "http://env:2", token: "from-env" });
    expect(
      resolveClientConfig(
        { config: cfg, server: "http://flag:3/", token: "t" },
        { GPUPOOL_SERVER: "http://env:2" },
      ),
    ).toEqual({ server: "http://flag:3", token: "t" });
    expect(() => resolveClientConfig({ config: cfg, server: "ftp://x" }, {})).toThrow(/--server/);
  });

  it("run flags become a job spec", () => {
    expect(
      specFromFlags("localhost/busybox:latest", ["sh"], {
        name: "x",
        gpu: "0.5",
        gpuMemory: "10Gi",
        env: ["A=1"],
        priority: "-5",
        replicas: "2",
        restart: "on-failure",
      }),
    ).toEqual({
      name: "x",
      image: "localhost/busybox:latest",
      command: ["sh"],
      env: { A: "1" },
      gpu: "0.5",
      gpuMemory: "10Gi",
      priority: -5,
      replicas: 2,
      restartPolicy: "OnFailure",
    });
  });
});
