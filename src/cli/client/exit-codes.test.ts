import { describe, expect, it } from "vitest";
import { jobExitCode, startFailureExit } from "./exit-codes.js";

describe("run --wait's exit status, like docker run's", () => {
  const job = (state: string, exitCode: number | null, reason: string | null = null) =>
    ({ state, exitCode, reason }) as Parameters<typeof jobExitCode>[0];

  it.each([
    ["Succeeded", 0, null, false, 0],
    ["Failed", 7, "exit code 7", false, 7],
    ["Failed", 143, "timed out", false, 143],
    ["Cancelled", null, "stopped", false, 130],
    ["Cancelled", 143, "stopped", true, 130],
    ["Cancelled", 3, "stopped", false, 3],
    ["Failed", null, "gang member failed", false, 1],
    ["Failed", null, "could not start: GP_IMAGE_NOT_FOUND: image x is not on this host", false, 125],
    ["Failed", null, "could not start: GP_ENGINE_ERROR: engine refused", false, 125],
  ] as const)("%s, exit %s, %s (interrupted: %s) → %i", (state, exitCode, reason, interrupted, code) => {
    expect(jobExitCode(job(state, exitCode, reason), interrupted)).toBe(code);
  });

  it("a command the runtime cannot find or run is 127 or 126", () => {
    expect(
      startFailureExit(
        "could not start: GP_ENGINE_ERROR: crun: executable file `nope` not found in $PATH: No such file or directory: OCI runtime attempted to invoke a command that was not found",
      ),
    ).toBe(127);
    expect(
      startFailureExit('could not start: GP_ENGINE_ERROR: exec: "nope": executable file not found in $PATH'),
    ).toBe(127);
    expect(startFailureExit('could not start: GP_ENGINE_ERROR: exec: "/etc/passwd": permission denied')).toBe(
      126,
    );
    expect(startFailureExit("exit code 1")).toBeUndefined();
    expect(startFailureExit(null)).toBeUndefined();
  });
});
