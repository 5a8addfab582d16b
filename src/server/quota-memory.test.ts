import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestServer, testJob, testServer } from "./test-support/server.js";

/** Tenant quotas on every queue resource over the API (fake engine): host memory limits, guarantees. */

const spec = testJob;

describe("tenant quotas: host memory and guarantees", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await testServer();
  });
  afterAll(async () => {
    await t?.close();
  });

  it("a host memory limit holds: the job that would break it waits, naming memory, and runs once room is made", async () => {
    const tok = await t.tenant("mem-small", { memoryMiB: 100 });
    const [first] = await t.submit(spec("m1", { command: ["sleep", "30"] }), tok);
    await t.until(first!.id, (j) => j.state === "Running", 10_000, tok);
    const [second] = await t.submit(spec("m2", { command: ["sleep", "30"] }), tok);
    const waiting = await t.until(
      second!.id,
      (j) => j.state === "Pending" && (j.reason ?? "").includes("over quota"),
      10_000,
      tok,
    );
    expect(waiting.reason).toBe("over quota: queue mem-small limit memory 100Mi (uses 64, asks 64)");
    await t.call("POST", `/v1/jobs/${first!.id}/stop`, {}, tok);
    await t.until(second!.id, (j) => j.state === "Running", 10_000, tok);
    await t.call("POST", `/v1/jobs/${second!.id}/stop`, {}, tok);
  });

  it("accepts limits and guarantees on every resource and stores them", async () => {
    await t.tenant("mem-all");
    const quotas = {
      gpuMilli: 1000,
      gpuMemoryMiB: 40_960,
      cpuMilli: 4000,
      memoryMiB: 8192,
      guarantee: { gpuMilli: 500, gpuMemoryMiB: 20_480, cpuMilli: 1000, memoryMiB: 4096 },
    };
    const r = await t.call("PUT", "/v1/tenants/mem-all/quotas", quotas);
    expect(r.status).toBe(200);
    expect(r.body.tenant.quotas).toEqual(quotas);
    const q = t.server.agent.cluster.queues().find((x) => x.name === "mem-all");
    expect(q?.limit).toEqual({ gpuMilli: 1000, gpuMemoryMiB: 40_960, cpuMilli: 4000, memoryMiB: 8192 });
    expect(q?.guarantee).toEqual(quotas.guarantee);
  });

  it.each([
    ["memoryMiB", { memoryMiB: 100, guarantee: { memoryMiB: 200 } }],
    ["cpuMilli", { cpuMilli: 1000, guarantee: { cpuMilli: 2000 } }],
    ["gpuMemoryMiB", { gpuMemoryMiB: 1024, guarantee: { gpuMemoryMiB: 2048 } }],
  ])("refuses a %s guarantee above its limit and changes nothing", async (key, quotas) => {
    const name = `guard-${key.toLowerCase()}`;
    await t.tenant(name, { memoryMiB: 4096 });
    const put = await t.call("PUT", `/v1/tenants/${name}/quotas`, quotas);
    expect([put.status, put.body.code]).toEqual([400, "GP_INVALID_SPEC"]);
    expect(put.body.message).toContain(`limit.${key}`);
    const created = await t.call("POST", "/v1/tenants", { name: `${name}-new`, quotas });
    expect([created.status, created.body.code]).toEqual([400, "GP_INVALID_SPEC"]);
    const names = (await t.call("GET", "/v1/tenants")).body.tenants as { name: string; quotas: unknown }[];
    expect(names.map((x) => x.name)).not.toContain(`${name}-new`);
    expect(names.find((x) => x.name === name)?.quotas).toEqual({ memoryMiB: 4096 });
  });

  it("refuses unknown or malformed quota fields with GP_INVALID_ARGUMENT", async () => {
    await t.tenant("mem-bad");
    for (const body of [{ memoryMiB: -1 }, { memoryMiB: 1.5 }, { guarantee: { memory: 1 } }]) {
      const r = await t.call("PUT", "/v1/tenants/mem-bad/quotas", body);
      expect([r.status, r.body.code]).toEqual([400, "GP_INVALID_ARGUMENT"]);
    }
  });
});
