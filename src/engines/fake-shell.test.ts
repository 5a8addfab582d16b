import { describe, expect, it } from "vitest";
import { FakeShell, type ShellWorld, splitStatements, tokenize } from "./fake-shell.js";

function world(env: Record<string, string> = {}): ShellWorld & { out: string[] } {
  const out: string[] = [];
  return {
    out,
    env,
    file: (p) => (p === "/etc/x" ? "x-content\n" : undefined),
    dir: () => undefined,
    kernelRelease: "6.1.0",
    dmesg: undefined,
    write: (stream, text) => out.push(`${stream}:${text}`),
    sleep: (ms, signal) =>
      new Promise((resolve) => {
        const t = setTimeout(resolve, ms);
        signal.addEventListener("abort", () => {
          clearTimeout(t);
          resolve();
        });
      }),
  };
}

describe("fake shell parsing", () => {
  it("splits statements at unquoted ; & and newlines, not inside quotes, >&2 or comments", () => {
    expect(
      splitStatements("trap 'echo a; exit 7' TERM; echo \"x;y\" >&2\nsleep 3 & wait # done; not a statement"),
    ).toEqual([
      { text: "trap 'echo a; exit 7' TERM", background: false },
      { text: ' echo "x;y" >&2', background: false },
      { text: "sleep 3 ", background: true },
      { text: " wait ", background: false },
    ]);
  });

  it("expands $VAR, braced VAR and $? outside single quotes", () => {
    const words = tokenize(`echo $A "\${A}-b" '$A' $? $MISSING.`, { A: "1" }, () => 3)
      .filter((t) => t.kind === "word")
      .map((t) => t.text);
    expect(words).toEqual(["echo", "1", "1-b", "$A", "3", "."]);
  });
});

describe("fake shell as PID 1", () => {
  it("runs statements, redirects to stderr, reports 127 for unknown commands and exits with the last status", async () => {
    const w = world({ NAME: "gp" });
    const code = await new FakeShell(w).run(["sh", "-c", "echo hi $NAME; cat /etc/x; echo err >&2; nosuch"]);
    expect(code).toBe(127);
    expect(w.out).toEqual([
      "stdout:hi gp\n",
      "stdout:x-content\n",
      "stderr:err\n",
      "stderr:sh: nosuch: not found\n",
    ]);
  });

  it("writes stdout to a file with > FILE through the world, and fails with 1 when it cannot", async () => {
    const files: Record<string, string> = {};
    const w = {
      ...world(),
      link: (p: string) => (p === "/proc/self/ns/ipc" ? "ipc:[42]" : undefined),
      writeFile: (p: string, text: string) => {
        if (p.startsWith("/ro/")) return "Read-only file system";
        files[p] = text;
        return undefined;
      },
    };
    const code = await new FakeShell(w).run([
      "sh",
      "-c",
      "echo a b > /tmp/f; echo rc=$?; echo c >/ro/g; echo rc=$?; readlink /proc/self/ns/ipc; readlink /x",
    ]);
    expect(code).toBe(1);
    expect(files).toEqual({ "/tmp/f": "a b\n" });
    expect(w.out).toEqual([
      "stdout:rc=0\n",
      "stderr:sh: can't create /ro/g: Read-only file system\n",
      "stdout:rc=1\n",
      "stdout:ipc:[42]\n",
    ]);
  });

  it("ignores SIGTERM without a trap, runs a trap at once in wait, dies on SIGKILL with 137", async () => {
    const ignoring = new FakeShell(world());
    const done = ignoring.run(["sh", "-c", "sleep 0.2; exit 5"]);
    ignoring.signal("TERM");
    expect(await done).toBe(5);

    const w = world();
    const trapping = new FakeShell(w);
    const trapped = trapping.run(["sh", "-c", "trap 'echo term; exit 9' TERM; sleep 30 & wait"]);
    await new Promise((r) => setTimeout(r, 20));
    trapping.signal("TERM");
    expect(await trapped).toBe(9);
    expect(w.out).toEqual(["stdout:term\n"]);

    const killed = new FakeShell(world());
    const k = killed.run(["sh", "-c", "sleep 30"]);
    killed.signal("KILL");
    expect(await k).toBe(137);
  });
});
