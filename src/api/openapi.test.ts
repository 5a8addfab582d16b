import { validate } from "@readme/openapi-parser";
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "../core/errors.js";
import { openApiDocument } from "./openapi.js";
import { ROUTES } from "./routes.js";

/** The generated /openapi.json: valid OpenAPI 3.1, and complete for every route of the table. */

type Doc = ReturnType<typeof openApiDocument>;
interface Parameter {
  readonly in: string;
  readonly name: string;
}
interface Operation {
  readonly operationId?: string;
  readonly parameters?: readonly Parameter[];
  readonly responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

function operations(doc: Doc): [string, string, Operation][] {
  return Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    (["get", "post", "put", "delete", "patch"] as const)
      .filter((m) => item[m])
      .map((m): [string, string, Operation] => [m, path, item[m] as Operation]),
  );
}

describe("OpenAPI document", () => {
  const doc = openApiDocument();

  it("passes an OpenAPI 3.1 validator (the official schema plus its semantic checks)", async () => {
    expect(doc.openapi).toBe("3.1.0");
    // The validator dereferences what it is given: hand it a copy.
    const result = await validate(structuredClone(doc) as Parameters<typeof validate>[0]);
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
  });

  it("the validator is not a formality: an undeclared path parameter fails it", async () => {
    const broken = structuredClone(doc);
    const put = broken.paths?.["/v1/tenants/{name}/quotas"]?.put;
    expect(put).toBeDefined();
    put!.parameters = [];
    const result = await validate(broken as Parameters<typeof validate>[0]);
    expect(result.valid).toBe(false);
    expect(JSON.stringify(result)).toMatch(/missing path parameter/);
  });

  it("has every route of the table, each with a unique operationId", () => {
    const ops = operations(doc);
    expect(ops.map(([m, p]) => `${m.toUpperCase()} ${p}`).sort()).toEqual(
      ROUTES.map((r) => `${r.method} ${r.path}`).sort(),
    );
    const ids = ops.map(([, , op]) => op.operationId);
    expect(ids.every((id) => typeof id === "string" && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("declares the path parameters of every path template, and no others", () => {
    for (const [method, path, op] of operations(doc)) {
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      const declared = (op.parameters ?? [])
        .filter((p) => p.in === "path")
        .map((p) => p.name)
        .sort();
      expect(declared, `${method} ${path}`).toEqual(inPath);
    }
  });

  it("gives every answer, errors included, a schema", () => {
    for (const [method, path, op] of operations(doc)) {
      const responses = Object.entries(op.responses ?? {});
      expect(
        responses.some(([s]) => /^2\d\d$/.test(s)),
        `${method} ${path}: a success answer`,
      ).toBe(true);
      expect(Object.keys(op.responses ?? {}), `${method} ${path}`).toContain("default");
      for (const [status, r] of responses) {
        const media = Object.values(r.content ?? {});
        expect(media.length, `${method} ${path} ${status}`).toBeGreaterThan(0);
        for (const m of media) expect(m.schema, `${method} ${path} ${status}`).toBeDefined();
      }
    }
  });

  it("names the contract's schemas as components; the error codes are core/errors.ts's", () => {
    const schemas = doc.components?.schemas ?? {};
    expect(Object.keys(schemas)).toEqual(
      expect.arrayContaining([
        "JobSpec",
        "Quotas",
        "Job",
        "JobEvent",
        "Node",
        "Gpu",
        "Tenant",
        "Info",
        "Error",
      ]),
    );
    const error = schemas.Error as { properties: { code: { enum: string[] } }; required: string[] };
    expect(error.properties.code.enum).toEqual(Object.keys(ERROR_CODES));
    expect(error.required.sort()).toEqual(["code", "error", "message", "statusCode"]);
  });
});
