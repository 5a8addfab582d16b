import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ADDED_FIXTURES_DIR, FIXTURES_DIR } from "./fixtures.js";

/** The repo's fixtures are copies of ../shared/fixtures/nvidia-smi (where that checkout exists). */
const SHARED = resolve(FIXTURES_DIR, "../../../shared/fixtures/nvidia-smi");

function files(dir: string, root = FIXTURES_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name), root) : [relative(root, join(dir, e.name))],
  );
}

describe("fixtures/nvidia-smi", () => {
  it("every data file is named in SOURCES.md", () => {
    const sources = readFileSync(join(FIXTURES_DIR, "SOURCES.md"), "utf8");
    for (const f of files(FIXTURES_DIR).filter((f) => f !== "SOURCES.md")) {
      // A `.query.txt` sidecar is listed with its csv ("`x.csv` + `.query.txt`").
      const name = f
        .split("/")
        .pop()!
        .replace(/\.query\.txt$/, ".csv");
      expect(sources, f).toContain(`\`${name}\``);
    }
  });

  it.skipIf(!existsSync(SHARED))("matches ../shared/fixtures/nvidia-smi byte for byte", () => {
    const shared = readdirSync(SHARED, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => relative(SHARED, join(e.parentPath, e.name)))
      .filter((f) => f !== "SOURCES.md")
      .sort();
    expect(
      files(FIXTURES_DIR)
        .filter((f) => f !== "SOURCES.md")
        .sort(),
    ).toEqual(shared);
    for (const f of shared)
      expect(readFileSync(join(FIXTURES_DIR, f)).equals(readFileSync(join(SHARED, f))), f).toBe(true);
  });

  it("every file gpupool added (fixtures/nvidia-smi-added) is named in its SOURCES.md", () => {
    const sources = readFileSync(join(ADDED_FIXTURES_DIR, "SOURCES.md"), "utf8");
    for (const f of files(ADDED_FIXTURES_DIR, ADDED_FIXTURES_DIR).filter((f) => f !== "SOURCES.md"))
      expect(sources, f).toContain(`\`${f.split("/").pop()}\``);
  });
});
