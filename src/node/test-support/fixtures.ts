import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's copy of the shared nvidia-smi fixtures (see fixtures/nvidia-smi/SOURCES.md). */
export const FIXTURES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../../fixtures/nvidia-smi");

export function fixturePath(rel: string): string {
  return join(FIXTURES_DIR, rel);
}

export function readFixture(rel: string): string {
  return readFileSync(fixturePath(rel), "utf8");
}

/** File names in one fixture folder (e.g. "q-x"), sorted, data files only. */
export function fixtureFiles(folder: string): string[] {
  return readdirSync(join(FIXTURES_DIR, folder))
    .filter((f) => !f.startsWith("."))
    .sort();
}
