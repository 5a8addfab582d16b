import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ERROR_CODES, GpupoolError } from "./errors.js";

/** docs/errors.md rows: `| code | HTTP | exit | meaning / how to fix |`. */
function docRows(): Map<string, { status: number; exit: number; hint: string }> {
  const text = readFileSync(new URL("../../docs/errors.md", import.meta.url), "utf8");
  const rows = new Map<string, { status: number; exit: number; hint: string }>();
  for (const line of text.split("\n")) {
    const m = /^\| (GP_[A-Z_]+) \| (\d+) \| (\d+) \| (.*) \|$/.exec(line);
    if (m)
      rows.set(m[1] as string, {
        status: Number(m[2]),
        exit: Number(m[3]),
        hint: (m[4] as string).replace(/\\\|/g, "|"),
      });
  }
  return rows;
}

describe("error table", () => {
  it("docs/errors.md lists exactly the codes of ERROR_CODES, with the same status, exit and hint", () => {
    const rows = docRows();
    expect([...rows.keys()].sort()).toEqual(Object.keys(ERROR_CODES).sort());
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      expect(rows.get(code), code).toEqual({ status: spec.status, exit: spec.exit, hint: spec.hint });
    }
  });

  it("a GpupoolError carries its code's status and exit", () => {
    const err = new GpupoolError("GP_CONTAINER_NOT_FOUND", "no container abc");
    expect([err.statusCode, err.exitCode]).toEqual([404, 3]);
  });
});
