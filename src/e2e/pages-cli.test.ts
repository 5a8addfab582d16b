import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { usageResponse } from "../api/schemas.js";
import { ApiClient } from "../cli/client/http.js";
import { allJobs, allUsage } from "../cli/client/pages.js";
import { ADMIN, type TestServer, testJob, testServer } from "../server/test-support/server.js";

/** `ps` and `usage` follow the list routes' pages (`next` → `after`) to show everything. */
describe("CLI: following pages", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await testServer();
  });
  afterAll(async () => {
    await t?.close();
  });

  it("allJobs and allUsage gather every page, in order, once", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      // 20 ms each: a job that ends in the millisecond it started meters nothing, and its tenant has no usage.
      ids.push((await t.submit(testJob(`p${i}`, { gpu: 0.25, command: ["sleep", "0.02"] })))[0]!.id);
    for (const id of ids) await t.until(id, (j) => j.state === "Succeeded");
    const api = new ApiClient({ server: t.server.url, token: ADMIN });
    expect((await allJobs(api, new URLSearchParams(), 2)).map((j) => j.id)).toEqual(ids);
    expect((await allJobs(api, new URLSearchParams({ state: "Running" }), 2)).length).toBe(0);
    const usage = await allUsage(api, 2);
    const onePage = await api.json(usageResponse, "GET", "/v1/usage?limit=100");
    expect(usage.jobs).toEqual(onePage.jobs);
    expect(usage.tenants.map((x) => x.tenant)).toEqual(["admin"]);
  });
});
