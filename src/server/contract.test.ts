import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { openApiDocument } from "../api/openapi.js";
import { fastifyPath, ROUTES, type Route } from "../api/routes.js";
import { errorBodySchema, logLineSchema } from "../api/schemas.js";
import { registeredRoutes } from "./route-list.js";
import { freePort } from "./test-support/free-port.js";
import { ADMIN, type TestServer, testJob, testServer } from "./test-support/server.js";

/**
 * The contract (api/) against the server: every route the Fastify app registers is in the OpenAPI
 * document with its path parameters, and real answers of the in-process app parse with the
 * contract's response schemas, field for field (a field the schema does not know fails).
 */

type Params = readonly { in: string; name: string }[];
// biome-ignore lint/suspicious/noExplicitAny: the test reads the parsed answers as JSON
type AnyJson = any;

describe("the API contract against the running app", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await testServer();
  });
  afterAll(async () => {
    await t?.close();
  });

  it("documents every route the app registers, with its path parameters, and no route it lacks", () => {
    const routes = registeredRoutes(t.server.app);
    expect(routes.length).toBeGreaterThan(0);
    const paths = openApiDocument().paths ?? {};
    const documented = new Set<string>();
    for (const [path, item] of Object.entries(paths))
      for (const m of ["get", "post", "put", "delete"] as const)
        if (item[m]) documented.add(`${m.toUpperCase()} ${fastifyPath(path)}`);
    for (const r of routes) {
      const path = r.url.replace(/:(\w+)/g, "{$1}");
      const op = paths[path]?.[r.method.toLowerCase() as "get"] as { parameters?: Params } | undefined;
      expect(op, `${r.method} ${r.url} is not in /openapi.json`).toBeDefined();
      const declared = [...((paths[path]?.parameters ?? []) as Params), ...(op?.parameters ?? [])]
        .filter((p) => p.in === "path")
        .map((p) => p.name)
        .sort();
      const inUrl = [...r.url.matchAll(/:(\w+)/g)].map((m) => m[1]).sort();
      expect(declared, `${r.method} ${r.url}: its path parameters`).toEqual(inUrl);
    }
    expect([...documented].sort()).toEqual(routes.map((r) => `${r.method} ${r.url}`).sort());
  });

  it("answers what the contract's response schemas describe, on every route", async () => {
    const seen = new Set<Route>();
    const routeOf = (method: string, url: string): Route => {
      const path = url.split("?")[0]!;
      const r = ROUTES.find(
        (x) =>
          x.method === method &&
          new RegExp(`^${x.path.replace(/\{\w+\}/g, "[^/]+").replace(/\./g, "\\.")}$`).test(path),
      );
      if (!r) throw new Error(`${method} ${url}: no such route in api/routes.ts`);
      return r;
    };
    /** Injects, then parses the answer with the route's schema for its status; returns the parsed body. */
    const call = async (
      method: Route["method"],
      url: string,
      body?: unknown,
      token = ADMIN,
    ): Promise<AnyJson> => {
      const route = routeOf(method, url);
      const res = await t.server.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${token}` },
        ...(body === undefined ? {} : { payload: body as object }),
      });
      const answer = route.responses[res.statusCode];
      const where = `${method} ${url} → ${res.statusCode} ${res.body.slice(0, 300)}`;
      if (res.statusCode >= 400) {
        expect(
          (route.errors as readonly number[]).includes(res.statusCode) || res.statusCode >= 500,
          `${where}: an undocumented error status`,
        ).toBe(true);
        const parsed = errorBodySchema.parse(JSON.parse(res.body));
        expect(parsed, where).toEqual(JSON.parse(res.body));
        return parsed;
      }
      expect(answer, `${where}: an undocumented status`).toBeDefined();
      seen.add(route);
      const type = answer!.contentType ?? "application/json";
      expect(res.headers["content-type"], where).toContain(type.split(";")[0]);
      const check = (schema: z.ZodType, value: unknown) => {
        const r = schema.safeParse(value);
        expect(r.success ? [] : r.error.issues, where).toEqual([]);
        expect(r.data, `${where}: fields the contract does not name`).toEqual(value);
        return r.data;
      };
      if (type === "application/x-ndjson")
        return res.body
          .split("\n")
          .filter(Boolean)
          .map((l) => check(logLineSchema, JSON.parse(l)));
      return check(answer!.schema, type === "application/json" ? JSON.parse(res.body) : res.body);
    };

    await call("GET", "/healthz");
    await call("GET", "/openapi.json");
    await call("GET", "/metrics");
    await call("GET", "/v1/info");

    const created = await call("POST", "/v1/tenants", {
      name: "contract",
      quotas: { gpuMilli: 1000, memoryMiB: 4096, guarantee: { gpuMilli: 250 }, weight: 2, activeJobs: 10 },
    });
    const token: string = created.token;
    const ci = await call("POST", "/v1/tenants/contract/tokens", { name: "ci" });
    await call("GET", "/v1/tenants/contract/tokens");
    const rotated = await call("POST", `/v1/tenants/contract/tokens/${ci.id}/rotate`);
    await call("DELETE", `/v1/tenants/contract/tokens/${rotated.id}`);
    expect((await call("DELETE", "/v1/tenants/contract/tokens/nope")).code).toBe("GP_TOKEN_NOT_FOUND");
    await call("PUT", "/v1/tenants/contract/quotas", {
      gpuMilli: 1000,
      gpuSeconds: 1000,
      maxPriority: "high",
    });
    await call("GET", "/v1/tenants");
    await call("GET", "/v1/tenants", undefined, token);

    const running = (
      await call("POST", "/v1/jobs", testJob("c-run", { gpu: 0.5, command: ["sleep", "30"] }), token)
    ).jobs[0];
    const gang = testJob("c-gang", { replicas: 2, command: ["true"], clientRequestId: "c-gang" });
    await call("POST", "/v1/jobs", gang, token);
    const replay = await call("POST", "/v1/jobs", gang, token);
    expect(replay.jobs.map((j: { rank: number }) => j.rank)).toEqual([0, 1]);
    const done = (
      await call("POST", "/v1/jobs", testJob("c-done", { command: ["sh", "-c", "echo hi"] }), token)
    ).jobs[0];
    await t.until(running.id, (j) => j.state === "Running", 10_000, token);
    await t.until(done.id, (j) => j.state === "Succeeded", 10_000, token);

    await call("GET", "/v1/jobs", undefined, token);
    const page = await call("GET", "/v1/jobs?limit=1", undefined, token);
    expect(page.next).toEqual(expect.any(String));
    await call("GET", `/v1/jobs?limit=1&after=${page.next}`, undefined, token);
    await call("GET", "/v1/jobs?all=true&state=Running,Succeeded&limit=50");
    const one = await call("GET", `/v1/jobs/${running.id}`, undefined, token);
    expect(one.job.gpus).toEqual([expect.objectContaining({ milli: 500 })]);
    await call("GET", `/v1/jobs/${done.id}/events`, undefined, token);
    expect(await call("GET", `/v1/jobs/${done.id}/logs`, undefined, token)).toEqual([
      { stream: "stdout", text: "hi" },
    ]);
    expect(
      await call("GET", `/v1/jobs/${done.id}/logs?tail=1&since=2020-01-01T00:00:00Z`, undefined, token),
    ).toEqual([{ stream: "stdout", text: "hi" }]);
    expect(await call("GET", `/v1/jobs/${done.id}/logs?tail=0`, undefined, token)).toEqual([]);
    await call("GET", "/v1/events?after=0&limit=100", undefined, token);
    await call("GET", "/v1/nodes", undefined, token);
    const gpus = await call("GET", "/v1/gpus", undefined, token);
    expect(gpus.gpus[0].slices.length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 20));
    const usage = await call("GET", "/v1/usage", undefined, token);
    expect(usage.jobs.length).toBeGreaterThan(0);
    await call("GET", "/v1/usage?limit=1", undefined, token);
    expect(
      (await call("GET", "/v1/job-refs/c-run", undefined, token)).jobs.map((j: { id: string }) => j.id),
    ).toEqual([running.id]);
    expect((await call("GET", "/v1/job-refs/c-gang", undefined, token)).jobs).toHaveLength(2);
    await call("POST", `/v1/jobs/${running.id}/stop`, {}, token);
    await call("DELETE", `/v1/jobs/${running.id}`, undefined, token);
    const live = (await call("POST", "/v1/jobs", testJob("c-live", { command: ["sleep", "30"] }), token))
      .jobs[0];
    await call("DELETE", `/v1/jobs/${live.id}?force=true`, undefined, token);
    const arr = (
      await call(
        "POST",
        "/v1/jobs",
        testJob("c-arr", { command: ["sleep", "30"], array: { indexes: "0-3", parallelism: 2 } }),
        token,
      )
    ).array;
    await call("GET", "/v1/arrays", undefined, token);
    await call("GET", "/v1/arrays?all=true&running=true");
    await call("GET", `/v1/arrays/${arr.id}`, undefined, token);
    expect((await call("GET", "/v1/job-refs/c-arr", undefined, token)).array.id).toBe(arr.id);
    expect((await call("DELETE", `/v1/arrays/${arr.id}`, undefined, token)).code).toBe("GP_JOB_NOT_FINISHED");
    await call("POST", `/v1/arrays/${arr.id}/stop`, {}, token);
    await call("DELETE", `/v1/arrays/${arr.id}`, undefined, token);
    expect((await call("GET", `/v1/arrays/${arr.id}`, undefined, token)).code).toBe("GP_ARRAY_NOT_FOUND");
    const port = await freePort();
    const svcSpec = testJob("c-svc", { command: ["sleep", "30"], service: { replicas: 1, port } });
    const svc = (await call("POST", "/v1/jobs", svcSpec, token)).service;
    await call("GET", "/v1/services", undefined, token);
    await call("GET", "/v1/services?all=true&running=true");
    await call("GET", `/v1/services/${svc.id}`, undefined, token);
    await call("POST", `/v1/services/c-svc/scale`, { replicas: 2 }, token);
    await call("POST", `/v1/services/c-svc/metrics`, { queue: 3 }, token);
    await call("PUT", `/v1/services/c-svc`, { ...svcSpec, env: { V: "2" } }, token);
    expect((await call("DELETE", `/v1/services/${svc.id}`, undefined, token)).code).toBe(
      "GP_JOB_NOT_FINISHED",
    );
    await call("POST", `/v1/services/${svc.id}/stop`, undefined, token);
    await call("DELETE", `/v1/services/${svc.id}`, undefined, token);
    expect((await call("GET", `/v1/services/${svc.id}`, undefined, token)).code).toBe("GP_SERVICE_NOT_FOUND");

    // Error answers are ErrorBodies with a status the route documents.
    await call("GET", "/v1/jobs?limit=0");
    await call("GET", "/v1/jobs", undefined, "gp_wrong");
    await call("POST", "/v1/tenants", { name: "nope" }, token);
    await call("GET", "/v1/jobs/nope", undefined, token);
    await call("POST", `/v1/jobs/${done.id}/stop`, {}, token);
    expect((await call("GET", "/v1/job-refs/j-", undefined, token)).code).toBe("GP_AMBIGUOUS_JOB_REF");
    expect((await call("GET", "/v1/job-refs/nope", undefined, token)).code).toBe("GP_JOB_NOT_FOUND");
    const live2 = (await call("POST", "/v1/jobs", testJob("c-live2", { command: ["sleep", "30"] }), token))
      .jobs[0];
    expect((await call("DELETE", `/v1/jobs/${live2.id}`, undefined, token)).code).toBe("GP_JOB_NOT_FINISHED");
    expect((await call("POST", "/v1/jobs", testJob("c-live2"), token)).code).toBe("GP_NAME_IN_USE");
    expect((await call("DELETE", "/v1/tenants/contract")).code).toBe("GP_TENANT_HAS_LIVE_JOBS");
    await call("POST", `/v1/jobs/${live2.id}/stop`, {}, token);
    for (const j of (await call("GET", "/v1/jobs?all=true&state=Pending,Scheduled,Starting,Running")).jobs)
      if (j.tenant === "contract") await call("POST", `/v1/jobs/${j.id}/stop`, {});
    expect((await call("DELETE", "/v1/tenants/contract")).tenant.name).toBe("contract");
    expect((await call("GET", "/v1/jobs", undefined, token)).code).toBe("GP_UNAUTHORIZED");
    expect((await call("DELETE", "/v1/tenants/admin")).code).toBe("GP_INVALID_ARGUMENT");

    expect(
      ROUTES.filter((r) => !seen.has(r)).map((r) => `${r.method} ${r.path}`),
      "routes without a real answer checked",
    ).toEqual([]);
  });
});
