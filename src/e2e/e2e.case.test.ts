import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../cli/client/jobs.js";
import { ensureBusyboxImage } from "../engines/test-support/busybox-image.js";
import type { JobView } from "../api/schemas.js";
import { ADMIN, type TestServer, testServer } from "../server/test-support/server.js";
import type { UpOptions } from "../server/up.js";

/**
 * The end-to-end acceptance suite of `gpupool up`, run against each real engine (e2e.podman.test.ts,
 * e2e.docker.test.ts): GPU shares on simulated GPUs, preemption, gangs and sandbox isolation, through
 * the server in-process on loopback. A shared suite (*.case.test.ts, not run on its own): it drives
 * both the server and the CLI client, so it lives in src/e2e/, above server/ and cli/.
 */
export interface SuiteOptions {
  /** Why the engine cannot be used here; the suite is skipped (callers fail in CI instead). */
  readonly skip: string | undefined;
  /** Server options selecting the engine (called once per server). */
  readonly server: () => Promise<Partial<UpOptions>>;
  /** Whether runsc is available for isolation: sandbox. */
  readonly sandbox: boolean;
}

const BUSYBOX = "localhost/busybox:latest";
const spec = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  image: BUSYBOX,
  cpu: "100m",
  memory: "64Mi",
  stopGraceSeconds: 2,
  ...extra,
});
const sh = (script: string) => ["sh", "-c", script];
const at = (iso: string | null) => Date.parse(iso ?? "");

/**
 * A running job's logs once they contain `text` (or as they are after 10 s): "Running" means the
 * container started, not that its first echo has run.
 */
async function logsOnceWritten(t: TestServer, id: string, text: string, token?: string): Promise<string> {
  let logs = "";
  for (const end = Date.now() + 10_000; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    logs = await t.logs(id, token);
    if (logs.includes(text)) break;
  }
  return logs;
}

/** A server for one describe block: started (with the busybox image) before its tests, its jobs removed and closed after. */
function serverPerBlock(opts: SuiteOptions, simulate: string, use: (t: TestServer) => void): void {
  let t: TestServer | undefined;
  beforeAll(async () => {
    t = await testServer({ ...(await opts.server()), simulate });
    await ensureBusyboxImage(t.server.engine);
    use(t);
  }, 120_000);
  afterAll(async () => {
    if (!t) return;
    for (const j of (await t.call("GET", "/v1/jobs")).body.jobs as JobView[])
      await t.call("DELETE", `/v1/jobs/${j.id}`);
    await t.close();
  }, 120_000);
}

export function gpupoolSuite(name: string, opts: SuiteOptions): void {
  describe.skipIf(opts.skip !== undefined)(`gpupool up on ${name}`, () => {
    describe("one simulated A100", () => {
      let t: TestServer;
      serverPerBlock(opts, "1xA100-80GB", (server) => {
        t = server;
      });

      it("thinnest path: a busybox job gets its slice (CDI on Podman) and exits with its code", async () => {
        const [job] = await t.submit(
          spec("thin", { gpu: 0.25, command: sh("echo slice=$GPUPOOL_SLICE_ID; ls /dev; exit 3") }),
        );
        const done = await t.until(job!.id, (j) => j.state === "Failed");
        expect(done.exitCode).toBe(3);
        const logs = await t.logs(job!.id);
        expect(logs).toContain(`slice=${job!.id}`);
        // The slice's stand-in device node: a CDI device on Podman, a plain device mapping on Docker.
        expect(logs).toMatch(/^nvidia0$/m);
      });

      it("gpupool run --wait streams the job's output and exits with its code, like docker run", async () => {
        for (const code of [0, 3, 0]) {
          const chunks = { out: "", err: "" };
          const io = {
            out: (x: string) => {
              chunks.out += x;
            },
            err: (x: string) => {
              chunks.err += x;
            },
          };
          const flags = {
            server: t.server.url,
            token: ADMIN,
            wait: true,
            cpu: "100m",
            memory: "64Mi",
            gpu: "0.25",
          };
          expect(
            await runCommand(
              BUSYBOX,
              ["sh", "-c", `echo to-stdout; echo to-stderr >&2; exit ${code}`],
              flags,
              io,
            ),
          ).toBe(code);
          expect(chunks.out).toContain("to-stdout");
          expect(chunks.err).toContain("to-stderr");
        }
      }, 60_000);

      it("acceptance 1: four 0.25-GPU jobs run at once, each seeing only its slice; a fifth waits and starts when one finishes", async () => {
        const script = (sleep: number) =>
          sh(`echo slice=$GPUPOOL_SLICE_ID gpu=$CUDA_VISIBLE_DEVICES; ls /dev | grep nvidia; sleep ${sleep}`);
        const quarter = await Promise.all(
          [10, 60, 60, 60].map(
            async (s, i) => (await t.submit(spec(`q${i}`, { gpu: 0.25, command: script(s) })))[0]!,
          ),
        );
        for (const j of quarter) await t.until(j.id, (x) => x.state === "Running");
        const [fifth] = await t.submit(spec("q4", { gpu: 0.25, command: sh("echo fifth") }));
        const waiting = await t.until(fifth!.id, (j) => j.state === "Pending" && j.reason !== null);
        expect(waiting.reason).toMatch(/GPU|gpu|fit|Insufficient/);
        const gpu = (await t.call("GET", "/v1/gpus")).body.gpus[0];
        expect(gpu.usedMilli).toBe(1000);
        for (const j of quarter) {
          const logs = await logsOnceWritten(t, j.id, `slice=${j.id}`);
          expect(logs).toContain(`slice=${j.id} gpu=GPU-SIM-0000-A100-80GB`);
          for (const other of quarter) if (other.id !== j.id) expect(logs).not.toContain(other.id);
        }
        expect(
          (await t.job(quarter[0]!.id)).state,
          "the first quarter must still run while the fifth waits",
        ).toBe("Running");
        const first = await t.until(quarter[0]!.id, (j) => j.state === "Succeeded", 30_000);
        const done = await t.until(fifth!.id, (j) => j.state === "Succeeded", 20_000);
        expect(at(done.startedAt)).toBeGreaterThanOrEqual(at(first.finishedAt));
        for (const j of quarter.slice(1))
          expect((await t.call("POST", `/v1/jobs/${j.id}/stop`, {})).body.job.state).toBe("Cancelled");
      }, 90_000);

      it("acceptance 2: a high-priority job preempts a low one on a full GPU; the victim is requeued and completes later", async () => {
        const [low] = await t.submit(
          // Attempt 1 runs until preempted (so the test does not race the clock); attempt 2 finishes.
          spec("low", {
            gpus: 1,
            priority: "low",
            command: sh(
              'trap "echo got SIGTERM; exit 143" TERM; echo attempt=$GPUPOOL_ATTEMPT; if [ "$GPUPOOL_ATTEMPT" = 1 ]; then sleep 120 & wait; else sleep 1; fi',
            ),
          }),
        );
        await t.until(low!.id, (j) => j.state === "Running");
        // Its SIGTERM trap is set once it has said its attempt (PID 1 ignores a signal it has no trap for).
        expect(await logsOnceWritten(t, low!.id, "attempt=1")).toContain("attempt=1");
        const [high] = await t.submit(
          spec("high", { gpus: 1, priority: "high", command: sh("echo high; sleep 1") }),
        );
        const highDone = await t.until(high!.id, (j) => j.state === "Succeeded", 30_000);
        const lowDone = await t.until(low!.id, (j) => j.state === "Succeeded", 40_000);
        expect(lowDone.attempts).toBe(2);
        const events = (await t.call("GET", `/v1/jobs/${low!.id}/events`)).body.events as {
          at: string;
          to: string;
          type: string;
          reason: string;
        }[];
        const preempted = events.find((e) => e.type === "transition" && e.to === "Preempted");
        expect(preempted?.reason).toContain(`preempted by ${high!.id}`);
        // Stopped gracefully: its SIGTERM trap ran and chose the exit code.
        expect(preempted?.reason).toMatch(/\(exit 143\)$/);
        expect(
          events.some(
            (e) => e.type === "transition" && e.to === "Pending" && e.reason.startsWith("requeued"),
          ),
        ).toBe(true);
        // The preemptor started only after the victim had stopped and freed its slice.
        expect(at(highDone.startedAt)).toBeGreaterThanOrEqual(at(preempted!.at));
      }, 90_000);

      it("acceptance 5: tenant B cannot list, read logs of, stop or delete tenant A's jobs; over-quota jobs wait with that reason", async () => {
        const a = await t.tenant("team-a", { gpuMilli: 250 });
        const b = await t.tenant("team-b");
        const [job] = await t.submit(
          spec("a-secret", { gpu: 0.25, command: sh("echo secret-of-a; sleep 30") }),
          a,
        );
        await t.until(job!.id, (j) => j.state === "Running", 30_000, a);
        expect((await t.call("GET", "/v1/jobs", undefined, b)).body.jobs).toEqual([]);
        for (const [method, url] of [
          ["GET", `/v1/jobs/${job!.id}`],
          ["GET", `/v1/jobs/${job!.id}/logs`],
          ["POST", `/v1/jobs/${job!.id}/stop`],
          ["DELETE", `/v1/jobs/${job!.id}`],
        ] as const) {
          const r = await t.call(method, url, method === "POST" ? {} : undefined, b);
          expect([r.status, r.body.code], `${method} ${url}`).toEqual([404, "GP_JOB_NOT_FOUND"]);
        }
        expect((await t.job(job!.id, a)).state).toBe("Running");
        expect(await logsOnceWritten(t, job!.id, "secret-of-a", a)).toContain("secret-of-a");
        const [second] = await t.submit(spec("a-second", { gpu: 0.25, command: sh("echo second") }), a);
        const waiting = await t.until(
          second!.id,
          (j) => j.state === "Pending" && (j.reason ?? "").startsWith("over quota"),
          10_000,
          a,
        );
        expect(waiting.reason).toMatch(/over quota: queue team-a limit gpu 250m/);
        await t.call("POST", `/v1/jobs/${job!.id}/stop`, {}, a);
        await t.until(second!.id, (j) => j.state === "Succeeded", 30_000, a);
        for (const id of [job!.id, second!.id]) await t.call("DELETE", `/v1/jobs/${id}`, undefined, a);
      }, 90_000);
    });

    describe("one simulated MIG-enabled A100 (--simulate 1xA100-80GB:mig)", () => {
      let t: TestServer;
      serverPerBlock(opts, "1xA100-80GB:mig", (server) => {
        t = server;
      });

      it("two 1g.10gb jobs each see only their own MIG instance and the parent GPU's device node", async () => {
        const script = sh(
          "echo mig=$NVIDIA_VISIBLE_DEVICES cuda=$CUDA_VISIBLE_DEVICES; ls /dev | grep nvidia; sleep 2",
        );
        const jobs = await Promise.all(
          ["mig-a", "mig-b"].map(
            async (n) => (await t.submit(spec(n, { mig: "1g.10gb", command: script })))[0]!,
          ),
        );
        const seen: string[] = [];
        for (const j of jobs) {
          await t.until(j.id, (x) => x.state === "Succeeded", 60_000);
          const logs = await t.logs(j.id);
          const uuid = /mig=(MIG-SIM-0000-A100-80GB-1g\.10gb-\d) cuda=(\S+)/.exec(logs);
          expect(uuid, logs).not.toBeNull();
          expect(uuid![2]).toBe(uuid![1]);
          expect(logs).toMatch(/^nvidia0$/m);
          seen.push(uuid![1]!);
        }
        // Placed together (2 s each), they hold two different instances.
        expect(new Set(seen).size).toBe(2);
      }, 90_000);
    });

    describe("isolation", () => {
      let t: TestServer;
      serverPerBlock(opts, "1xA100-80GB", (server) => {
        t = server;
      });

      it.skipIf(!opts.sandbox)(
        "acceptance 6: isolation sandbox really runs under gVisor (runsc); container does not",
        async () => {
          const [boxed] = await t.submit(
            spec("boxed", { isolation: "sandbox", gpu: 0.5, command: sh("uname -r; dmesg | head -3") }),
          );
          const [plain] = await t.submit(spec("plain", { command: sh("uname -r; dmesg 2>&1 | head -3") }));
          await t.until(boxed!.id, (j) => j.state === "Succeeded", 60_000);
          await t.until(plain!.id, (j) => j.state === "Succeeded" || j.state === "Failed", 60_000);
          expect(await t.logs(boxed!.id)).toMatch(/gVisor/);
          expect(await t.logs(plain!.id)).not.toMatch(/gVisor/);
        },
        90_000,
      );
    });

    describe("two simulated A100s", () => {
      let t: TestServer;
      serverPerBlock(opts, "2xA100-80GB", (server) => {
        t = server;
      });

      it("acceptance 3: a 2-member gang starts both with consistent RANK/WORLD_SIZE/MASTER_ADDR; when only one fits, neither starts", async () => {
        const [blocker] = await t.submit(spec("blocker", { gpus: 1, command: sh("sleep 30") }));
        await t.until(blocker!.id, (j) => j.state === "Running");
        const gang = await t.submit(
          spec("train", {
            gpus: 1,
            replicas: 2,
            command: sh(
              "echo rank=$RANK world=$WORLD_SIZE local=$LOCAL_RANK master=$MASTER_ADDR:$MASTER_PORT gpu=$CUDA_VISIBLE_DEVICES",
            ),
          }),
        );
        expect(gang).toHaveLength(2);
        for (const m of gang) await t.until(m.id, (j) => j.state === "Pending" && j.reason !== null);
        await new Promise((r) => setTimeout(r, 1000));
        for (const m of gang) expect((await t.job(m.id)).state).toBe("Pending");
        await t.call("POST", `/v1/jobs/${blocker!.id}/stop`, {});
        const logs: string[] = [];
        for (const m of gang) {
          await t.until(m.id, (j) => j.state === "Succeeded", 30_000);
          logs.push(await t.logs(m.id));
        }
        expect(logs[0]).toMatch(
          /^rank=0 world=2 local=0 master=127\.0\.0\.1:(29[5-9]\d\d|3[01]\d\d\d) gpu=GPU-SIM-000[01]-A100-80GB$/m,
        );
        expect(logs[1]).toMatch(
          /^rank=1 world=2 local=1 master=127\.0\.0\.1:\d+ gpu=GPU-SIM-000[01]-A100-80GB$/m,
        );
        const port = (log: string) => /master=[\d.]+:(\d+)/.exec(log)![1];
        expect(port(logs[0]!)).toBe(port(logs[1]!));
        expect(logs[0]!.split("gpu=")[1]).not.toBe(logs[1]!.split("gpu=")[1]);
      }, 90_000);

      it("gang members reach each other at MASTER_ADDR:MASTER_PORT (a real TCP rendezvous)", async () => {
        // Rank 1 sends a line to rank 0 at MASTER_ADDR:MASTER_PORT and rank 0 answers it, so each side
        // knows the exchange happened; neither relies on timing. A plain `nc -l` would not do: its
        // stdin is /dev/null in a container, so busybox nc half-closes the connection as soon as it
        // accepts, and a sender whose `echo` has not yet reached nc's stdin sees that EOF and exits 0
        // without sending anything. Here rank 0's handler reads the line before it writes or closes.
        // Rank 0 listens again after a connection that did not bring rank 1's line (a stray client);
        // rank 1 counts a try only when the answer is rank 0's acknowledgement of its line, and retries
        // while rank 0 is not listening yet (connection refused). Both give up within about a minute,
        // before the test stops waiting, so a gang that cannot meet fails with both members' stories.
        const script = [
          'if [ "$RANK" = 0 ]; then',
          '  echo "rank0 listens on $MASTER_PORT";',
          "  for i in $(seq 1 5); do rm -f /tmp/got;",
          `    timeout 12 nc -l -p "$MASTER_PORT" -e sh -c 'read -r line; echo "$line" > /tmp/got; echo "ack $line"';`,
          '    if grep -qx "hello from rank 1" /tmp/got 2>/dev/null; then echo "rank0 received: $(cat /tmp/got)"; exit 0; fi;',
          '    echo "rank0 listen $i ended without the line of rank 1: $(cat /tmp/got 2>/dev/null)"; sleep 0.5; done; exit 1;',
          "else",
          '  echo "rank1 connects to $MASTER_ADDR:$MASTER_PORT";',
          "  for i in $(seq 1 300); do",
          '    reply=$(echo "hello from rank $RANK" | nc "$MASTER_ADDR" "$MASTER_PORT" 2>&1);',
          '    if [ "$reply" = "ack hello from rank $RANK" ]; then echo "rank1 sent (try $i) and rank 0 acknowledged it"; exit 0; fi;',
          "    sleep 0.1; done;",
          '  echo "rank1 gave up; the last try got: $reply"; exit 1;',
          "fi",
        ].join(" ");
        const gang = await t.submit(spec("rendezvous", { gpus: 1, replicas: 2, command: sh(script) }));
        for (const m of gang)
          await t.until(m.id, (j) => j.state === "Succeeded" || j.state === "Failed", 80_000);
        const logs = await Promise.all(gang.map((m) => t.logs(m.id)));
        // If it ever fails: what each member did, not only what it printed.
        const story = async (id: string) => {
          const j = await t.job(id);
          const events = (await t.call("GET", `/v1/jobs/${id}/events`)).body.events as {
            type: string;
            to: string | null;
            reason: string | null;
          }[];
          return `${j.state} exit=${j.exitCode} attempts=${j.attempts} ; events: ${events.map((e) => `${e.type}${e.to ? `→${e.to}` : ""}${e.reason ? ` (${e.reason})` : ""}`).join("; ")}`;
        };
        const stories = await Promise.all(gang.map((m) => story(m.id)));
        const why = `rank 0 said:\n${logs[0]}\n(${stories[0]})\nrank 1 said:\n${logs[1]}\n(${stories[1]})`;
        expect(logs[0], why).toMatch(/^rank0 received: hello from rank 1$/m);
        expect(logs[1], why).toMatch(/^rank1 sent \(try \d+\) and rank 0 acknowledged it$/m);
        for (const m of gang) expect((await t.job(m.id)).state, why).toBe("Succeeded");
      }, 120_000);
    });
  });
}
