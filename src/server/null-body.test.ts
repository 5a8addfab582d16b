import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, type TestServer, testJob, testServer } from "./test-support/server.js";

/** Bad input is a 4xx that changes nothing (issue 10): a JSON null body, input the engine would refuse. */
describe("null bodies and input the engine would refuse", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await testServer();
    await t.tenant("acme", { activeJobs: 5, gpuMilli: 1000 });
  });
  afterAll(async () => {
    await t?.close();
  });

  const raw = (method: "PUT" | "POST", url: string, payload: string) =>
    t.server.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      payload,
    });

  it("PUT …/quotas with null is 400 and keeps every quota (it used to answer 200 and delete them all)", async () => {
    const r = await raw("PUT", "/v1/tenants/acme/quotas", "null");
    expect(r.statusCode).toBe(400);
    expect(JSON.parse(r.body)).toMatchObject({
      code: "GP_INVALID_ARGUMENT",
      message: expect.stringMatching(/^body: /),
    });
    const tenants = (await t.call("GET", "/v1/tenants")).body.tenants as { name: string; quotas: object }[];
    expect(tenants.find((x) => x.name === "acme")?.quotas).toEqual({ activeJobs: 5, gpuMilli: 1000 });
  });

  it("null is refused on every route that takes a body; an absent optional body still counts as {}", async () => {
    for (const [method, url] of [
      ["POST", "/v1/tenants"],
      ["POST", "/v1/tenants/acme/tokens"],
      ["POST", "/v1/jobs"],
    ] as const) {
      const r = await raw(method, url, "null");
      expect(r.statusCode, `${method} ${url}`).toBe(400);
    }
    const [job] = await t.submit(testJob("held", { command: ["sleep", "30"] }));
    const stop = await raw("POST", `/v1/jobs/${job!.id}/stop`, "null");
    expect(stop.statusCode).toBe(400);
    expect((await t.job(job!.id)).state).not.toBe("Cancelled");
    const ok = await t.server.app.inject({
      method: "POST",
      url: "/v1/tenants/acme/tokens",
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(ok.statusCode).toBe(201);
    await t.call("POST", `/v1/jobs/${job!.id}/stop`, {});
  });

  it("a NUL in env or image, or an invalid image reference, is 400 GP_INVALID_SPEC at submission", async () => {
    for (const [extra, field] of [
      [{ env: { A: "x\u0000" } }, "spec.env.A"],
      [{ image: "busybox\u0000" }, "spec.image"],
      [{ image: "localhost/BusyBox:latest" }, "spec.image"],
      [{ image: "localhost/../busybox" }, "spec.image"],
      [{ image: "localhost/bü:1" }, "spec.image"],
    ] as const) {
      const r = await t.call("POST", "/v1/jobs", testJob("bad", extra));
      expect([r.status, r.body.code], JSON.stringify(extra)).toEqual([400, "GP_INVALID_SPEC"]);
      expect(r.body.message.startsWith(`${field}: `), r.body.message).toBe(true);
    }
    expect((await t.call("GET", "/v1/jobs?all=true")).body.jobs.map((j: { name: string }) => j.name)).toEqual(
      ["held"],
    );
  });
});
