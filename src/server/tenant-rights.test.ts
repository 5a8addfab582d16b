import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestServer, testJob, testServer } from "./test-support/server.js";

/**
 * What a tenant may not do on its own (issue 10, acceptance 2): submit a priority above its ceiling
 * (the admin's to set, default normal), and keep using a token the admin revoked or rotated.
 */

describe("priority ceiling", () => {
  let t: TestServer;
  let acme: string;
  beforeAll(async () => {
    t = await testServer();
    acme = await t.tenant("acme");
  });
  afterAll(async () => {
    await t?.close();
  });

  it("a tenant without the right gets 403 GP_PRIORITY_FORBIDDEN for system-critical (and high); normal and below pass; nothing is stored", async () => {
    for (const priority of ["system-critical", "high", 1]) {
      const r = await t.call("POST", "/v1/jobs", testJob(`p-${priority}`, { priority }), acme);
      expect(r.status, JSON.stringify(r.body)).toBe(403);
      expect(r.body).toMatchObject({ code: "GP_PRIORITY_FORBIDDEN", statusCode: 403 });
      expect(r.body.message).toMatch(/tenant acme may submit priorities up to 0 \(normal\), the default/);
    }
    const gang = await t.call("POST", "/v1/jobs", testJob("p-gang", { priority: "high", replicas: 2 }), acme);
    expect(gang.body.code).toBe("GP_PRIORITY_FORBIDDEN");
    expect(
      (await t.call("GET", "/v1/jobs?state=Pending,Running,Succeeded", undefined, acme)).body.jobs,
    ).toEqual([]);
    for (const priority of ["normal", "low", -5])
      expect(
        (await t.call("POST", "/v1/jobs", testJob(`ok-${priority}`, { priority, command: ["true"] }), acme))
          .status,
      ).toBe(201);
  });

  it("the admin raises the ceiling in the tenant's quotas (a class or an integer, stored as the integer); the admin itself has none", async () => {
    const set = await t.call("PUT", "/v1/tenants/acme/quotas", { activeJobs: 50, maxPriority: "high" });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body.tenant.quotas).toEqual({ activeJobs: 50, maxPriority: 1000 });
    expect(
      (await t.call("POST", "/v1/jobs", testJob("hi", { priority: "high", command: ["true"] }), acme)).status,
    ).toBe(201);
    const sc = await t.call("POST", "/v1/jobs", testJob("sc", { priority: "system-critical" }), acme);
    expect([sc.status, sc.body.code]).toEqual([403, "GP_PRIORITY_FORBIDDEN"]);
    expect(sc.body.message).toMatch(/up to 1000 \(high\); this job asks 1000000 \(system-critical\)/);
    expect(
      (
        await t.call(
          "POST",
          "/v1/jobs",
          testJob("admin-sc", { priority: "system-critical", command: ["true"] }),
        )
      ).status,
    ).toBe(201);

    const bad = await t.call("PUT", "/v1/tenants/acme/quotas", { maxPriority: "urgent" });
    expect([bad.status, bad.body.code]).toEqual([400, "GP_UNKNOWN_PRIORITY_CLASS"]);
    expect(bad.body.message).toMatch(/^maxPriority: /);
    const self = await t.call("PUT", "/v1/tenants/acme/quotas", { maxPriority: "system-critical" }, acme);
    expect([self.status, self.body.code]).toEqual([403, "GP_FORBIDDEN"]);
    // Replacing the quotas without it puts the default back.
    await t.call("PUT", "/v1/tenants/acme/quotas", { activeJobs: 50 });
    expect((await t.call("POST", "/v1/jobs", testJob("hi2", { priority: "high" }), acme)).status).toBe(403);
  });
});

describe("token revocation and rotation", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await testServer();
  });
  afterAll(async () => {
    await t?.close();
  });

  it("a revoked token gets 401 on its very next request (also one just remembered as valid)", async () => {
    const token = await t.tenant("acme");
    expect((await t.call("GET", "/v1/jobs", undefined, token)).status).toBe(200); // now remembered
    const list = await t.call("GET", "/v1/tenants/acme/tokens");
    expect(list.status).toBe(200);
    expect(list.body.tokens).toEqual([
      expect.objectContaining({
        tenant: "acme",
        prefix: token.slice(0, 10),
        revokedAt: null,
        lastUsedAt: expect.any(String),
      }),
    ]);
    const id: string = list.body.tokens[0].id;
    const r = await t.call("DELETE", `/v1/tenants/acme/tokens/${id}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.revoked).toMatchObject({ id, revokedAt: expect.any(String) });
    const after = await t.call("GET", "/v1/jobs", undefined, token);
    expect([after.status, after.body.code]).toEqual([401, "GP_UNAUTHORIZED"]);
    // Revoking again changes nothing; an unknown id or another tenant's is 404.
    expect((await t.call("DELETE", `/v1/tenants/acme/tokens/${id}`)).body.revoked.revokedAt).toBe(
      r.body.revoked.revokedAt,
    );
    expect((await t.call("DELETE", "/v1/tenants/acme/tokens/nope")).body.code).toBe("GP_TOKEN_NOT_FOUND");
    await t.tenant("globex");
    expect((await t.call("DELETE", `/v1/tenants/globex/tokens/${id}`)).status).toBe(404);
  });

  it("rotation issues a new token of the same name and revokes the old one at once; only the admin may", async () => {
    const first = await t.tenant("rota");
    const issued = await t.call("POST", "/v1/tenants/rota/tokens", { name: "ci" });
    const old: string = issued.body.token;
    expect((await t.call("GET", "/v1/info", undefined, old)).body.tenant).toBe("rota");
    const forbidden = await t.call(
      "POST",
      `/v1/tenants/rota/tokens/${issued.body.id}/rotate`,
      undefined,
      old,
    );
    expect([forbidden.status, forbidden.body.code]).toEqual([403, "GP_FORBIDDEN"]);
    expect((await t.call("GET", "/v1/tenants/rota/tokens", undefined, first)).status).toBe(403);

    const r = await t.call("POST", `/v1/tenants/rota/tokens/${issued.body.id}/rotate`);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({
      token: expect.stringMatching(/^gp_/),
      revoked: { id: issued.body.id, name: "ci" },
    });
    expect(r.body.token).not.toBe(old);
    expect((await t.call("GET", "/v1/info", undefined, old)).status).toBe(401);
    expect((await t.call("GET", "/v1/info", undefined, r.body.token)).body.tenant).toBe("rota");
    expect((await t.call("GET", "/v1/info", undefined, first)).status).toBe(200); // the tenant's other token
    const names = (await t.call("GET", "/v1/tenants/rota/tokens")).body.tokens.map(
      (x: { name: string; revokedAt: string | null }) => [x.name, x.revokedAt === null],
    );
    expect(names).toEqual([
      ["created with the tenant", true],
      ["ci", false],
      ["ci", true],
    ]);
    const again = await t.call("POST", `/v1/tenants/rota/tokens/${issued.body.id}/rotate`);
    expect([again.status, again.body.code]).toEqual([404, "GP_TOKEN_NOT_FOUND"]);
  });
});
