import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliServer, cliServer, gpupool } from "./test-support/gpupool-bin.js";

/**
 * MIG end to end on simulated GPUs (real bin/gpupool against a real `gpupool up --engine fake`):
 * GPU 0 MIG-enabled, GPU 1 not. Seven `--mig 1g.10gb` jobs run at once on GPU 0 (its seven
 * 1g.10gb slots), the eighth waits with a reason that names MIG (it never spills onto the plain
 * GPU), each container's env names only its own instance, and `gpupool nodes` lists the instances
 * with their owners. A stopped job's instance goes to the waiting one.
 */

let srv: CliServer;
beforeAll(async () => {
  srv = await cliServer(["--simulate", "1xA100-80GB:mig,1xA100-80GB"]);
}, 60_000);
afterAll(async () => {
  await srv?.close();
});

const IMAGE = "localhost/busybox:latest";
// Prints what the container was given, then stays Running until stopped (SIGTERM ends it at once).
const SHOW =
  'trap "exit 0" TERM; echo "NV=$NVIDIA_VISIBLE_DEVICES CUDA=$CUDA_VISIBLE_DEVICES PROFILE=$GPUPOOL_MIG_PROFILE"; sleep 120 & wait';
const run = (...flags: string[]) =>
  gpupool(["run", "--mig", "1g.10gb", "--cpu", "100m", ...flags, IMAGE, "--", "sh", "-c", SHOW], srv.env);

interface Instance {
  readonly profile: string;
  readonly start: number;
  readonly uuid: string | null;
  readonly job: string;
}
interface NodesDoc {
  readonly gpus: readonly {
    readonly index: number;
    readonly migEnabled: boolean;
    readonly migInstances: Instance[];
  }[];
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stateOf(id: string): Promise<{ state: string; reason: string | null }> {
  const r = await gpupool(["get", id, "-o", "json"], srv.env);
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out).job;
}

async function jobs(): Promise<{ id: string; state: string }[]> {
  const r = await gpupool(["ps", "-o", "json"], srv.env);
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out).jobs;
}

/** The one line the job printed, once it has printed it. */
async function seen(id: string): Promise<string> {
  return until(`${id}'s output`, async () => {
    const r = await gpupool(["logs", id], srv.env);
    return /NV=/.test(r.out) ? r.out.trim() : undefined;
  });
}

describe("MIG on --simulate 1xA100-80GB:mig,1xA100-80GB", () => {
  it("seven 1g.10gb jobs run at once on the MIG GPU, each seeing only its own instance; the eighth waits", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const r = await run();
      expect(r.code, r.err).toBe(0);
      ids.push(r.out.trim());
    }
    await until("seven Running", async () => {
      const running = (await jobs()).filter((j) => j.state === "Running").map((j) => j.id);
      return ids.every((id) => running.includes(id)) ? true : undefined;
    });

    // The eighth: run --wait says why it waits, and the reason names MIG.
    let waitedWith = "";
    const eighth = await gpupool(
      ["run", "--mig", "1g.10gb", "--cpu", "100m", "--wait", IMAGE, "--", "sh", "-c", SHOW],
      srv.env,
      {
        timeoutMs: 10_000,
        onErr: (err, child) => {
          if (!waitedWith && /pending: .*MIG/.test(err)) {
            waitedWith = err;
            child.kill("SIGKILL");
          }
        },
      },
    );
    expect(waitedWith, eighth.err).toMatch(/pending: .*no room for the MIG instance/);

    const nodes = await gpupool(["nodes", "-o", "json"], srv.env);
    expect(nodes.code, nodes.err).toBe(0);
    const doc: NodesDoc = JSON.parse(nodes.out);
    expect(doc.gpus.map((g) => [g.index, g.migEnabled, g.migInstances.length])).toEqual([
      [0, true, 7],
      [1, false, 0],
    ]);
    const instances = doc.gpus[0]!.migInstances;
    expect(instances.map((m) => [m.profile, m.start])).toEqual(
      [0, 1, 2, 3, 4, 5, 6].map((s) => ["1g.10gb", s]),
    );
    expect(instances.map((m) => m.job).sort()).toEqual([...ids].sort());
    expect(new Set(instances.map((m) => m.uuid)).size).toBe(7);

    // Each container was given exactly its own instance (the one `nodes` lists for its job).
    for (const id of ids) {
      const mine = instances.find((m) => m.job === id)!;
      expect(mine.uuid).toMatch(/^MIG-SIM-0000-A100-80GB-1g\.10gb-\d$/);
      expect(await seen(id)).toBe(`NV=${mine.uuid} CUDA=${mine.uuid} PROFILE=1g.10gb`);
    }

    // The table shows the same instances, with profile and owner.
    const table = await gpupool(["nodes"], srv.env);
    expect(table.code, table.err).toBe(0);
    expect(table.out).toMatch(/A100-80GB \(simulated\) MIG\s+7\/7 MIG compute/);
    for (const m of instances)
      expect(table.out).toMatch(new RegExp(`1g\\.10gb\\s+${m.start}\\s+${m.uuid}\\s+${m.job}`));

    // The waiting job is still Pending (not on the plain GPU); a stopped job's instance goes to it.
    const pending = (await jobs()).filter((j) => j.state === "Pending");
    expect(pending).toHaveLength(1);
    const late = pending[0]!.id;
    expect((await stateOf(late)).reason).toMatch(/MIG/);
    const freed = instances.find((m) => m.job === ids[2])!;
    const stop = await gpupool(["stop", ids[2]!], srv.env);
    expect(stop.code, stop.err).toBe(0);
    await until(`${late} Running`, async () =>
      (await stateOf(late)).state === "Running" ? true : undefined,
    );
    expect(await seen(late)).toBe(`NV=${freed.uuid} CUDA=${freed.uuid} PROFILE=1g.10gb`);

    const rest = await gpupool(["stop", ...ids.filter((id) => id !== ids[2]), late], srv.env);
    expect(rest.code, rest.err).toBe(0);
  }, 90_000);

  it("a MIG profile the GPU does not offer is refused at once", async () => {
    const r = await gpupool(["run", "--mig", "3g.20gb", IMAGE, "--", "true"], srv.env);
    expect(r.code, r.err).toBe(5);
    expect(r.err).toMatch(/error\[GP_NEVER_FITS\].*MIG instance 3g\.20gb/);
  });
});
