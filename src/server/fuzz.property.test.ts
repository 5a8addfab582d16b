import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, type TestServer, testServer } from "./test-support/server.js";

/**
 * Acceptance 7: thousands of malformed requests — corrupted job specs, garbage bodies, bad paths,
 * queries and tokens — never get a 5xx, always get the ErrorBody shape, and change nothing in the store.
 */

const VALID = {
  name: "ok",
  image: "localhost/busybox:latest",
  cpu: "100m",
  memory: "64Mi",
  gpu: 0.25,
  command: ["true"],
};

/** A value of the wrong type or an out-of-range value for each field: the spec is invalid whatever else holds. */
const BAD_FIELD: Record<string, fc.Arbitrary<unknown>> = {
  name: fc.oneof(
    fc.constant(""),
    fc.constant("UPPER"),
    fc.constant("-x"),
    fc.integer(),
    fc.string({ minLength: 64, maxLength: 80 }).map((s) => `a${s}`),
    fc.constant(null),
  ),
  image: fc.oneof(
    fc.constant(""),
    fc.constant("has space"),
    fc.integer(),
    fc.array(fc.string()),
    fc.constant(null),
  ),
  cpu: fc.oneof(
    fc.constant("-1"),
    fc.constant("1.0001"),
    fc.constant("abc"),
    fc.constant("1e9999"),
    fc.constant({}),
    fc.constant(null),
    fc.constant(true),
  ),
  memory: fc.oneof(
    fc.constant("12Q"),
    fc.constant("-5Mi"),
    fc.constant("0.3Ki"),
    fc.constant([]),
    fc.constant(null),
  ),
  gpu: fc.oneof(
    fc.constant(0),
    fc.constant(-0.5),
    fc.constant(1.5),
    fc.constant("0.0001"),
    fc.constant("x"),
    fc.constant(Number.NaN),
    fc.constant(null),
  ),
  gpus: fc.oneof(fc.constant(0), fc.constant(1.5), fc.constant(65), fc.constant("2"), fc.constant(-1)),
  command: fc.oneof(fc.string(), fc.integer(), fc.array(fc.integer(), { minLength: 1 }), fc.constant({})),
  env: fc.oneof(fc.constant({ "1BAD": "x" }), fc.constant({ A: 1 }), fc.constant([]), fc.string()),
  priority: fc.oneof(fc.constant("urgent"), fc.constant(1.5), fc.constant([]), fc.constant({})),
  isolation: fc.oneof(fc.constant("chroot"), fc.integer(), fc.constant("")),
  replicas: fc.oneof(fc.constant(0), fc.constant(65), fc.constant(2.5), fc.constant("2")),
  timeoutSeconds: fc.oneof(fc.constant(0), fc.constant(-1), fc.constant("10")),
  gpuModels: fc.oneof(fc.constant(["NoSuchGPU"]), fc.constant("A100-80GB"), fc.constant([1])),
  mig: fc.oneof(fc.constant("7g.999gb"), fc.constant("big"), fc.integer()),
  restartPolicy: fc.oneof(fc.constant("Always"), fc.constant(1)),
  queue: fc.oneof(fc.constant("someone-else"), fc.integer()),
};

const corruptedSpec = fc
  .tuple(
    fc.constantFrom(...Object.keys(BAD_FIELD)),
    fc.nat(),
    fc.dictionary(
      fc.string({ maxLength: 8 }).filter((k) => !(k in VALID) && !(k in BAD_FIELD) && k !== "__proto__"),
      fc.anything(),
      { maxKeys: 2 },
    ),
  )
  .chain(([field, seed, extra]) =>
    BAD_FIELD[field]!.map((bad) => {
      const s: Record<string, unknown> = { ...VALID, [field]: bad };
      // Sometimes also add unknown keys (rejected by the strict schema on their own).
      if (seed % 3 === 0) Object.assign(s, extra);
      if (field === "gpus") delete s.gpu;
      return s;
    }),
  );

const garbageBody = fc.oneof(
  fc.string().map((s) => ({ raw: s })),
  fc
    .json()
    .filter((j) => !j.trim().startsWith("{"))
    .map((j) => ({ raw: j })),
  fc.constantFrom("{", "[", '{"name":', "\u0000", "null", '{"__proto__":{"x":1}}').map((raw) => ({ raw })),
  fc
    .anything()
    .filter((v) => typeof v !== "object" || v === null || Array.isArray(v))
    .map((v) => ({ json: v })),
);

const badRequest = fc.oneof(
  {
    weight: 5,
    arbitrary: corruptedSpec.map((body) => ({ method: "POST" as const, url: "/v1/jobs", json: body })),
  },
  { weight: 2, arbitrary: garbageBody.map((b) => ({ method: "POST" as const, url: "/v1/jobs", ...b })) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom("GET", "POST", "DELETE", "PUT"),
        fc.constantFrom(
          "/v1/jobs/",
          "/v1/jobs/nope",
          "/v1/jobs/../../etc",
          "/v1/x",
          "/v1/jobs/%00",
          "/v1/tenants/BAD NAME/tokens",
          "/v1/tenants",
          "/v1/events",
        ),
        fc.string({ maxLength: 20 }),
      )
      .map(([method, path, q]) => ({
        method: method as "GET" | "POST" | "DELETE" | "PUT",
        url: `${path}?${new URLSearchParams({ limit: q, state: q, after: q }).toString()}`,
        json: method === "GET" || method === "DELETE" ? undefined : { name: q, quotas: { gpuMilli: q } },
      })),
  },
  {
    weight: 1,
    arbitrary: fc
      .string({ maxLength: 40 })
      .map((tok) => ({ method: "POST" as const, url: "/v1/jobs", json: VALID, token: tok })),
  },
);

describe("malformed requests (fast-check)", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await testServer();
  });
  afterAll(async () => {
    await t?.close();
  });

  function counts(): Record<string, number> {
    const db = t.server.store.db;
    const n = (table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    return {
      jobs: n("jobs"),
      events: n("job_events"),
      tenants: n("tenants"),
      tokens: n("api_tokens"),
      usage: n("usage"),
    };
  }

  it("never answers 5xx, always with {error, code, message, statusCode}, and changes nothing", async () => {
    const before = counts();
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(badRequest, async (req) => {
        runs++;
        const r = req as {
          method: "GET" | "POST" | "PUT" | "DELETE";
          url: string;
          json?: unknown;
          raw?: string;
          token?: string;
        };
        const headers: Record<string, string> = { authorization: `Bearer ${r.token ?? ADMIN}` };
        let payload: string | undefined;
        if (r.raw !== undefined) {
          payload = r.raw;
          headers["content-type"] = "application/json";
        } else if (r.json !== undefined) {
          payload = JSON.stringify(r.json) ?? "null";
          headers["content-type"] = "application/json";
        }
        const res = await t.server.app.inject({
          method: r.method,
          url: r.url,
          headers,
          ...(payload !== undefined ? { payload } : {}),
        });
        expect(
          res.statusCode,
          `${r.method} ${r.url} ${payload?.slice(0, 200)} → ${res.body.slice(0, 300)}`,
        ).toBeGreaterThanOrEqual(400);
        expect(res.statusCode, res.body).toBeLessThan(500);
        const body = JSON.parse(res.body);
        expect(Object.keys(body).sort()).toEqual(["code", "error", "message", "statusCode"]);
        expect(body.code).toMatch(/^GP_[A-Z_]+$/);
        expect(body.statusCode).toBe(res.statusCode);
      }),
      { numRuns: 3000, seed: Number(process.env.GP_FUZZ_SEED ?? 20261130) },
    );
    expect(runs).toBe(3000);
    expect(counts()).toEqual(before);
  }, 120_000);
});
