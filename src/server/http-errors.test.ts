import type { FastifyError } from "fastify";
import { describe, expect, it } from "vitest";
import { fromFastifyError } from "./http-errors.js";

describe("fromFastifyError", () => {
  it("a store page that went bad while serving is 503 GP_STORE_CORRUPT, not 500 GP_INTERNAL", () => {
    const err: FastifyError = Object.assign(new Error("database disk image is malformed"), {
      code: "SQLITE_CORRUPT",
      name: "SqliteError",
    });
    const e = fromFastifyError(err);
    expect([e.code, e.statusCode]).toEqual(["GP_STORE_CORRUPT", 503]);
    expect(e.message).toContain("database disk image is malformed");
    const bug: FastifyError = Object.assign(new Error("x is undefined"), {
      code: "ERR_X",
      name: "TypeError",
    });
    expect(fromFastifyError(bug).code).toBe("GP_INTERNAL");
  });
});
