import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { ContainerEngine, ContainerSpec } from "./engine.js";

const run = promisify(execFile);

/** Wall time in milliseconds of one container through the port: create → start → wait → remove. */
export async function timeThroughEngine(engine: ContainerEngine, spec: ContainerSpec): Promise<number> {
  const t0 = performance.now();
  const id = await engine.create(spec);
  await engine.start(id);
  const code = await engine.wait(id);
  await engine.remove(id);
  if (code !== 0) throw new Error(`${spec.name} exited ${code}`);
  return performance.now() - t0;
}

/** Wall time in milliseconds of the same container as a bare `podman run --rm` (the baseline). */
export async function timeBarePodmanRun(
  image: string,
  command: readonly string[],
  podman = "podman",
): Promise<number> {
  const t0 = performance.now();
  await run(podman, ["run", "--rm", "--network", "none", image, ...command]);
  return performance.now() - t0;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}
