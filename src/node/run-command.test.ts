import { describe, expect, it } from "vitest";
import { CommandStartError, runCommand } from "./run-command.js";

describe("runCommand", () => {
  it("returns stdout, stderr and the exit code; feeds stdin", async () => {
    const r = await runCommand("sh", ["-c", "read x; echo out:$x; echo err >&2; exit 3"], {
      input: "hello\n",
    });
    expect([r.stdout, r.stderr, r.code, r.timedOut]).toEqual(["out:hello\n", "err\n", 3, false]);
  });

  it("kills the whole process group at the deadline (a forked child cannot hold it up)", async () => {
    const t0 = Date.now();
    const r = await runCommand("sh", ["-c", "sleep 30 & sleep 30; wait"], { timeoutMs: 300 });
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe("SIGKILL");
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it("resolveOnExit: a daemon child holding stdout open does not delay the result", async () => {
    const t0 = Date.now();
    const r = await runCommand("sh", ["-c", "(sleep 3) & echo started"], {
      timeoutMs: 10_000,
      resolveOnExit: true,
    });
    expect([r.code, r.stdout, r.timedOut]).toEqual([0, "started\n", false]);
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it("caps output at maxOutputBytes", async () => {
    const r = await runCommand("sh", ["-c", "head -c 100000 /dev/zero"], { maxOutputBytes: 1000 });
    expect(r.stdout.length).toBe(1000);
  });

  it("a missing program throws CommandStartError with ENOENT", async () => {
    await expect(runCommand("/nonexistent/prog", [])).rejects.toMatchObject({
      name: "CommandStartError",
      errno: "ENOENT",
    });
    await expect(runCommand("/nonexistent/prog", [])).rejects.toBeInstanceOf(CommandStartError);
  });
});
