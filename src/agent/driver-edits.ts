import { findOnPath } from "../engines/detect.js";
import type { CdiContainerEdits } from "../node/cdi.js";
import { runCommand } from "../node/run-command.js";

/**
 * The driver's part of a GPU container on a real host — libraries, binaries and hooks — that every
 * slice's CDI device needs besides its device nodes: the top-level `containerEdits` of
 * `nvidia-ctk cdi generate`. Undefined (with why) when nvidia-ctk is missing or fails.
 */
export async function nvidiaDriverEdits(
  env = process.env,
): Promise<{ edits?: CdiContainerEdits; problem?: string }> {
  const ctk = findOnPath("nvidia-ctk", env.PATH);
  if (!ctk)
    return {
      problem:
        "nvidia-ctk is not installed: containers get their GPU device nodes but not the driver libraries (install nvidia-container-toolkit)",
    };
  const r = await runCommand(ctk, ["cdi", "generate", "--format=json"], { timeoutMs: 30_000 });
  if (r.code !== 0)
    return { problem: `nvidia-ctk cdi generate failed (${r.code}): ${r.stderr.trim().slice(0, 300)}` };
  try {
    const spec = JSON.parse(r.stdout) as { containerEdits?: CdiContainerEdits };
    return spec.containerEdits
      ? { edits: spec.containerEdits }
      : { problem: "nvidia-ctk cdi generate printed no containerEdits" };
  } catch (err) {
    return {
      problem: `nvidia-ctk cdi generate printed something that is not JSON: ${(err as Error).message}`,
    };
  }
}
