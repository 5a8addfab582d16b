import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "./test-support/free-port.js";
import { ADMIN, type TestServer, testJob, testServer } from "./test-support/server.js";

/**
 * Issue 11, acceptance 4: a real Prometheus (Debian's package, started here on loopback) scrapes a
 * running gpupool with the admin token; PromQL over its HTTP API returns a running job's GPU memory
 * and its tenant's quota use, limit and guarantee with the right values. Without a token /metrics
 * has no tenant or job names; a tenant's token is refused.
 */

const found = spawnSync("prometheus", ["--version"], { encoding: "utf8" });
const why = found.status === 0 ? undefined : "prometheus is not installed (apt-get install prometheus)";
if (why && process.env.CI) throw new Error(`Prometheus is required in CI: ${why}`);
if (why) console.warn(`skipping the Prometheus test: ${why}`);

describe.skipIf(why !== undefined)("a real Prometheus scrapes gpupool", () => {
  const dir = mkdtempSync(join(tmpdir(), "gp-prom-"));
  let t: TestServer | undefined;
  let prom: ChildProcess | undefined;
  let log = "";
  afterAll(async () => {
    prom?.kill("SIGTERM");
    if (prom && prom.exitCode === null) await new Promise((r) => prom!.once("exit", r));
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("PromQL answers a running job's GPU memory and its tenant's quota use, limit and guarantee", async () => {
    t = await testServer({ simulate: "1xA100-80GB" });
    const team = await t.tenant("team", { gpuMilli: 1000 });
    await t.call("PUT", "/v1/tenants/team/quotas", { gpuMilli: 1000, guarantee: { gpuMilli: 500 } });
    const [job] = await t.submit(
      testJob("render", { command: ["sleep", "600"], gpu: "0.25", gpuMemory: "10Gi" }),
      team,
    );
    await t.until(job!.id, (j) => j.state === "Running", 30_000, team);
    // A second job over the tenant's 1-GPU limit waits, with a reason.
    const [waits] = await t.submit(testJob("waits", { command: ["sleep", "600"], gpus: 1 }), team);
    await t.until(waits!.id, (j) => j.state === "Pending" && j.reason !== null, 30_000, team);

    // The open scrape names no tenant or job; a tenant's token may not see them.
    const open = await fetch(`${t.server.url}/metrics`);
    expect(open.status).toBe(200);
    const text = await open.text();
    expect(text).toContain("gpupool_gpu_used_milli");
    expect(text).not.toMatch(/tenant=|job_id=/);
    const tenantScrape = await fetch(`${t.server.url}/metrics`, {
      headers: { authorization: `Bearer ${team}` },
    });
    expect(tenantScrape.status).toBe(403);

    const port = await freePort();
    const target = new URL(t.server.url).host;
    writeFileSync(
      join(dir, "prometheus.yml"),
      [
        "global: {scrape_interval: 1s, evaluation_interval: 1s}",
        "scrape_configs:",
        "  - job_name: gpupool",
        `    static_configs: [{targets: ["${target}"]}]`,
        `    authorization: {type: Bearer, credentials: "${ADMIN}"}`,
        "",
      ].join("\n"),
    );
    prom = spawn(
      "prometheus",
      [
        `--config.file=${join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    prom.stdout!.on("data", (b: Buffer) => (log += b.toString()));
    prom.stderr!.on("data", (b: Buffer) => (log += b.toString()));
    const query = async (q: string): Promise<number | undefined> => {
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`).catch(
        () => undefined,
      );
      if (!res?.ok) return undefined;
      const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
      const v = body.data.result[0]?.value[1];
      return v === undefined ? undefined : Number(v);
    };
    const until = async (q: string): Promise<number> => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const v = await query(q);
        if (v !== undefined) return v;
        if (Date.now() > deadline || prom!.exitCode !== null) throw new Error(`no answer to ${q}:\n${log}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    const memory = await until(`gpupool_job_gpu_memory_limit_bytes{job_id="${job!.id}",tenant="team"}`);
    const compute = await until(`gpupool_job_gpu_compute_milli{job_id="${job!.id}"}`);
    const used = await until(`gpupool_tenant_quota_used{tenant="team",resource="gpu_milli"}`);
    const limit = await until(`gpupool_tenant_quota_limit{tenant="team",resource="gpu_milli"}`);
    const guaranteed = await until(`gpupool_tenant_quota_guaranteed{tenant="team",resource="gpu_milli"}`);
    const running = await until(`gpupool_tenant_jobs{tenant="team",state="Running"}`);

    const share = await until(
      `gpupool_tenant_quota_used{tenant="team",resource="gpu_milli"} / gpupool_tenant_quota_limit{tenant="team",resource="gpu_milli"}`,
    );
    const pending = await until('sum(gpupool_pending_jobs{tenant="team"})');
    console.log(
      `prometheus: job memory ${memory} B, compute ${compute} m; team quota used ${used} / limit ${limit} (guaranteed ${guaranteed}) = ${share}; running ${running}, pending ${pending}`,
    );
    expect(memory).toBe(10 * 1024 ** 3);
    expect(compute).toBe(250);
    expect([used, limit, guaranteed, running]).toEqual([250, 1000, 500, 1]);
    expect(share).toBe(0.25);
    expect(pending).toBe(1);
  }, 120_000);
});
