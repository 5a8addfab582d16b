import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";

/** A maker of temporary directories, each removed after the test that made it. */
export function useTempDirs(prefix: string): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
}

/** An allocation of one whole A100-80GB on node n1, for jobs placed in store tests. */
export const TEST_ALLOC = {
  workloadId: "w",
  node: "n1",
  cpuMilli: 500,
  memoryMiB: 256,
  gpus: [{ index: 0, milli: 1000, memoryMiB: 81920 }],
};
