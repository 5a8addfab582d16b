import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestServer, testJob, testServer } from "./test-support/server.js";

/** DELETE /v1/tenants/{name}: refused while live jobs run; otherwise the tenant goes with everything it had. */
describe("deleting a tenant", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await testServer();
  });
  afterAll(async () => {
    await t?.close();
  });

  it("refuses while a job is live, naming it; then deletes finished jobs, logs, tokens and usage", async () => {
    const token = await t.tenant("doomed");
    const [done] = await t.submit(testJob("d-done", { gpu: 0.25, command: ["sh", "-c", "echo bye"] }), token);
    const [live] = await t.submit(testJob("d-live", { command: ["sleep", "30"] }), token);
    await t.until(done!.id, (j) => j.state === "Succeeded", 10_000, token);
    await t.until(live!.id, (j) => j.state === "Running", 10_000, token);

    const refused = await t.call("DELETE", "/v1/tenants/doomed");
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: "GP_TENANT_HAS_LIVE_JOBS" });
    expect(refused.body.message).toContain(live!.id);
    // Nothing went: the tenant still works.
    expect((await t.call("GET", "/v1/jobs", undefined, token)).status).toBe(200);

    await t.call("POST", `/v1/jobs/${live!.id}/stop`, {}, token);
    const archive = join(t.dir, "logs", `${done!.id}.ndjson`);
    expect(existsSync(archive)).toBe(true);
    const gone = await t.call("DELETE", "/v1/tenants/doomed");
    expect(gone.status).toBe(200);
    expect(gone.body.tenant.name).toBe("doomed");
    expect(existsSync(archive)).toBe(false);
    expect((await t.call("GET", `/v1/jobs/${done!.id}`)).status).toBe(404);
    expect((await t.call("GET", "/v1/jobs", undefined, token)).body.code).toBe("GP_UNAUTHORIZED");
    const usage = (await t.call("GET", "/v1/usage")).body;
    expect(usage.tenants.map((u: { tenant: string }) => u.tenant)).not.toContain("doomed");
    expect((await t.call("DELETE", "/v1/tenants/doomed")).body.code).toBe("GP_TENANT_NOT_FOUND");
    // The name is free again, with a fresh start.
    const again = await t.tenant("doomed");
    expect((await t.call("GET", "/v1/jobs", undefined, again)).body.jobs).toEqual([]);
  });

  it("needs the admin token, and the admin tenant itself stays", async () => {
    const token = await t.tenant("plain");
    expect((await t.call("DELETE", "/v1/tenants/plain", undefined, token)).body.code).toBe("GP_FORBIDDEN");
    expect((await t.call("DELETE", "/v1/tenants/admin")).body.code).toBe("GP_INVALID_ARGUMENT");
  });
});
