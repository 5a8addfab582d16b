import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's copy of the shared nvidia-smi fixtures (see fixtures/nvidia-smi/SOURCES.md). */
export const FIXTURES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../../fixtures/nvidia-smi");

/**
 * Outputs gpupool added to the shared set (fixtures/nvidia-smi-added/SOURCES.md names each source
 * and license). They live apart because fixtures/nvidia-smi must stay a byte-for-byte copy.
 */
export const ADDED_FIXTURES_DIR = resolve(FIXTURES_DIR, "../nvidia-smi-added");

/** A fixture by path: "added/…" reads from fixtures/nvidia-smi-added, anything else from the shared copy. */
export function fixturePath(rel: string): string {
  if (rel.startsWith("added/")) return join(ADDED_FIXTURES_DIR, rel.slice("added/".length));
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
