/**
 * A tiny stand-in for busybox `sh` as PID 1 of a container, so the fake engine runs the same
 * commands the conformance suite and higher-layer tests give real engines. It knows a handful of
 * commands (echo, cat, ls, sleep, exit, trap, wait, true, false, uname, dmesg, env, printenv,
 * readlink, kill-free) and statement lists split by `;`, newlines and `&`; quotes, `$VAR`, `${VAR}`,
 * `$?` and the redirections `>&2` / `1>&2` and `> FILE` (stdout to a file, through the world). No
 * pipes, loops or conditionals: a command it does not know fails with status 127, as sh does.
 *
 * PID 1 semantics, as in a real container: SIGTERM without a trap is ignored; `trap '' TERM`
 * ignores it; `trap 'cmd' TERM` runs cmd once the current foreground command ends, or at once
 * while the shell is in `wait`; SIGKILL ends the process with status 137 at once.
 */

export interface ShellWorld {
  readonly env: Record<string, string>;
  /** Contents of a file, or undefined when it does not exist. */
  file(path: string): string | undefined;
  /** Entries of a directory, or undefined when it does not exist. */
  dir(path: string): readonly string[] | undefined;
  /** Target of a symbolic link (e.g. /proc/self/ns/ipc), or undefined when it is none. */
  link?(path: string): string | undefined;
  /** Replaces a file's contents (`> FILE`); returns why it cannot (e.g. "Read-only file system"), else undefined. */
  writeFile?(path: string, text: string): string | undefined;
  readonly kernelRelease: string;
  /** dmesg output lines, or undefined when reading the kernel log is not permitted. */
  readonly dmesg: readonly string[] | undefined;
  write(stream: "stdout" | "stderr", text: string): void;
  /** Resolves after ms (fake or real time), or early when signal aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

type Token =
  | { kind: "word"; text: string }
  | { kind: "sep"; text: ";" | "&" }
  | { kind: "redir"; text: ">&2" }
  | { kind: "redir"; text: ">" };

class ShellExit {
  constructor(readonly status: number) {}
}

export class FakeShell {
  private status = 0;
  private readonly traps = new Map<string, string>();
  private pendingSignals: string[] = [];
  private killed = false;
  private readonly kill = new AbortController();
  private waitInterrupt: AbortController | undefined;
  private readonly background: Promise<void>[] = [];

  constructor(private readonly world: ShellWorld) {}

  /** Runs argv to completion and resolves with the exit status. */
  async run(argv: readonly string[]): Promise<number> {
    try {
      const [cmd, flag, script] = argv;
      if ((cmd === "sh" || cmd === "/bin/sh") && flag === "-c" && script !== undefined) {
        await this.runScript(script);
      } else {
        await this.runCommand([...argv], "stdout", false);
      }
      return this.killed ? 137 : this.status;
    } catch (e) {
      if (e instanceof ShellExit) return this.killed ? 137 : e.status;
      throw e;
    }
  }

  /** Delivers a signal: "TERM" or "KILL". */
  signal(sig: "TERM" | "KILL"): void {
    if (sig === "KILL") {
      this.killed = true;
      this.kill.abort();
      this.waitInterrupt?.abort();
      return;
    }
    const action = this.traps.get(sig);
    if (action === undefined || action === "") return; // PID 1 ignores unhandled SIGTERM
    this.pendingSignals.push(sig);
    this.waitInterrupt?.abort();
  }

  private async runScript(script: string): Promise<void> {
    for (const statement of splitStatements(script)) {
      // Expanded when reached, so $? is the status of the statement before.
      const words: string[] = [];
      let out: Output = "stdout";
      let toFile = false;
      for (const token of tokenize(statement.text, this.world.env, () => this.status)) {
        if (token.kind === "word" && toFile) {
          out = { file: token.text };
          toFile = false;
        } else if (token.kind === "word") words.push(token.text);
        else if (token.kind === "redir") {
          if (token.text === ">") toFile = true;
          else out = "stderr";
        }
      }
      if (words.length > 0) await this.runCommand(words, out, statement.background);
    }
  }

  private async runCommand(words: string[], out: Output, background: boolean): Promise<void> {
    if (this.killed) throw new ShellExit(137);
    const [name, ...args] = words as [string, ...string[]];
    if (background) {
      // Only sleep is worth putting in the background here; `wait` waits for it.
      if (name === "sleep") this.background.push(this.world.sleep(seconds(args[0]) * 1000, this.kill.signal));
      this.status = 0;
      return;
    }
    if (typeof out === "object") {
      // `cmd > FILE`: sh creates (truncates) the file first; a failure skips the command with status 1.
      const why = this.world.writeFile ? this.world.writeFile(out.file, "") : "Read-only file system";
      if (why !== undefined) {
        this.world.write("stderr", `sh: can't create ${out.file}: ${why}\n`);
        this.status = 1;
      } else {
        let text = "";
        this.status = await this.exec(name, args, "stdout", (t) => {
          text += t;
        });
        this.world.writeFile?.(out.file, text);
      }
    } else this.status = await this.exec(name, args, out);
    await this.runTraps();
  }

  private async runTraps(): Promise<void> {
    while (this.pendingSignals.length > 0 && !this.killed) {
      const sig = this.pendingSignals.shift() as string;
      const action = this.traps.get(sig);
      if (action) await this.runScript(action);
    }
  }

  private async exec(
    name: string,
    args: string[],
    out: "stdout" | "stderr",
    capture?: (text: string) => void,
  ): Promise<number> {
    const w = this.world;
    const print = capture ?? ((text: string) => w.write(out, text));
    const fail = (text: string, status: number) => {
      w.write("stderr", `${text}\n`);
      return status;
    };
    switch (name) {
      case "true":
        return 0;
      case "false":
        return 1;
      case "echo": {
        const noNewline = args[0] === "-n";
        print(`${(noNewline ? args.slice(1) : args).join(" ")}${noNewline ? "" : "\n"}`);
        return 0;
      }
      case "exit":
        throw new ShellExit(args[0] === undefined ? this.status : Number(args[0]) & 255);
      case "sleep":
        await w.sleep(seconds(args[0]) * 1000, this.kill.signal);
        return this.killed ? 137 : 0;
      case "wait": {
        const interrupt = new AbortController();
        this.waitInterrupt = interrupt;
        const all = Promise.all(this.background.splice(0));
        const interrupted = new Promise<void>((resolve) =>
          interrupt.signal.addEventListener("abort", () => resolve()),
        );
        await Promise.race([all, interrupted]);
        this.waitInterrupt = undefined;
        return interrupt.signal.aborted ? 128 + 15 : 0;
      }
      case "trap": {
        const [action, ...sigs] = args;
        for (const s of sigs) {
          const sig = s.replace(/^SIG/, "");
          if (action === "-") this.traps.delete(sig);
          else this.traps.set(sig, action ?? "");
        }
        return 0;
      }
      case "cat": {
        let status = 0;
        for (const path of args) {
          const text = w.file(path);
          if (text === undefined) status = fail(`cat: can't open '${path}': No such file or directory`, 1);
          else print(text);
        }
        return status;
      }
      case "ls": {
        const path = args[0] ?? ".";
        const entries = w.dir(path);
        if (entries) {
          for (const e of entries) print(`${e}\n`);
          return 0;
        }
        if (w.file(path) !== undefined) {
          print(`${path}\n`);
          return 0;
        }
        return fail(`ls: ${path}: No such file or directory`, 1);
      }
      case "readlink": {
        const target = args[0] === undefined ? undefined : w.link?.(args[0]);
        if (target === undefined) return 1;
        print(`${target}\n`);
        return 0;
      }
      case "uname":
        print(args.includes("-r") ? `${w.kernelRelease}\n` : "Linux\n");
        return 0;
      case "dmesg":
        if (!w.dmesg) return fail("dmesg: klogctl: Operation not permitted", 1);
        for (const line of w.dmesg) print(`${line}\n`);
        return 0;
      case "env":
      case "printenv": {
        if (name === "printenv" && args[0] !== undefined) {
          const v = w.env[args[0]];
          if (v === undefined) return 1;
          print(`${v}\n`);
          return 0;
        }
        for (const [k, v] of Object.entries(w.env)) print(`${k}=${v}\n`);
        return 0;
      }
      default:
        return fail(`sh: ${name}: not found`, 127);
    }
  }
}

/** Where a command's stdout goes: a stream, or a file (`> FILE`). */
type Output = "stdout" | "stderr" | { readonly file: string };

function seconds(arg: string | undefined): number {
  const n = Number(arg ?? "0");
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/** Splits a script at unquoted `;`, `&` and newlines; `&` marks the statement before it as background. */
export function splitStatements(script: string): { text: string; background: boolean }[] {
  const out: { text: string; background: boolean }[] = [];
  let start = 0;
  let quote: string | undefined;
  for (let i = 0; i < script.length; i++) {
    const c = script[i];
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(script[i - 1] as string))) {
      out.push({ text: script.slice(start, i), background: false });
      while (i + 1 < script.length && script[i + 1] !== "\n") i++;
      start = i + 1;
    } else if ((c === ";" || c === "\n" || c === "&") && !script.startsWith(">&2", i - 1)) {
      out.push({ text: script.slice(start, i), background: c === "&" });
      start = i + 1;
    }
  }
  out.push({ text: script.slice(start), background: false });
  return out.filter((s) => s.text.trim().length > 0);
}

/** Splits a script into words, separators and redirections, expanding variables outside single quotes. */
export function tokenize(
  script: string,
  env: Readonly<Record<string, string>>,
  lastStatus: () => number,
): Token[] {
  const tokens: Token[] = [];
  let word = "";
  let inWord = false;
  const flush = () => {
    if (inWord) tokens.push({ kind: "word", text: word });
    word = "";
    inWord = false;
  };
  const expand = (i: number): [string, number] => {
    // script[i] === "$"
    const rest = script.slice(i + 1);
    if (rest.startsWith("?")) return [String(lastStatus()), i + 2];
    const braced = /^\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(rest);
    if (braced) return [env[braced[1] as string] ?? "", i + 1 + braced[0].length];
    const plain = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (plain) return [env[plain[0]] ?? "", i + 1 + plain[0].length];
    return ["$", i + 1];
  };
  let i = 0;
  while (i < script.length) {
    const c = script[i] as string;
    if (c === "'") {
      const end = script.indexOf("'", i + 1);
      word += script.slice(i + 1, end < 0 ? script.length : end);
      inWord = true;
      i = end < 0 ? script.length : end + 1;
    } else if (c === '"') {
      i++;
      inWord = true;
      while (i < script.length && script[i] !== '"') {
        if (script[i] === "\\" && i + 1 < script.length) {
          word += script[i + 1];
          i += 2;
        } else if (script[i] === "$") {
          const [value, next] = expand(i);
          word += value;
          i = next;
        } else {
          word += script[i];
          i++;
        }
      }
      i++;
    } else if (c === "$") {
      const [value, next] = expand(i);
      word += value;
      inWord = true;
      i = next;
    } else if (script.startsWith(">&2", i) || script.startsWith("1>&2", i)) {
      flush();
      tokens.push({ kind: "redir", text: ">&2" });
      i += script.startsWith(">&2", i) ? 3 : 4;
    } else if (c === ">") {
      flush();
      tokens.push({ kind: "redir", text: ">" });
      i++;
    } else if (c === ";" || c === "\n" || c === "&") {
      flush();
      tokens.push({ kind: "sep", text: c === "&" ? "&" : ";" });
      i++;
    } else if (c === " " || c === "\t") {
      flush();
      i++;
    } else if (c === "#" && !inWord) {
      while (i < script.length && script[i] !== "\n") i++;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  flush();
  return tokens;
}
