import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { type CliServer, cliServer, gpupool, cliOk, cliUntil } from "./test-support/gpupool-bin.js";

/**
 * Acceptance 8 of issue 15 (real bin/gpupool against a real server): every command that prints
 * data takes -o table|wide|json|yaml; JSON and YAML parse (and say the same), tables are tables
 * (wide ones with more columns), --json is -o json, an unknown format and commander's own
 * argument errors are one error[GP_INVALID_ARGUMENT] line with exit 2, and compat exits non-zero
 * on an incompatible verdict.
 */

let srv: CliServer;
let dir: string;
const IMAGE = "localhost/busybox:latest";
const SLEEP = ["sh", "-c", "trap 'exit 143' TERM; sleep 3600 & wait"];
const cli = (...args: string[]) => gpupool(args, srv.env);

const ok = (...args: string[]) => cliOk(srv, ...args);
const until = (ref: string, state: string) => cliUntil(srv, ref, state);

beforeAll(async () => {
  srv = await cliServer(["--simulate", "1xA100-80GB:mig,1xA100-80GB"]);
  dir = await mkdtemp(join(tmpdir(), "gp-formats-"));
  await writeFile(join(dir, "job.yaml"), `name: applied\nimage: ${IMAGE}\ncpu: 100m\ncommand: ["true"]\n`);
  await writeFile(
    join(dir, "nodes.csv"),
    "sn,cpu_milli,memory_mib,gpu,model\nn0,96000,393216,8,G2\nn1,64000,262144,2,P100\n",
  );
  await writeFile(
    join(dir, "pods.csv"),
    "name,cpu_milli,memory_mib,num_gpu,gpu_milli\np0,12000,16384,1,1000\np1,6000,12288,1,460\np2,4000,8192,0,0\n",
  );
  await ok(
    "run",
    "--name",
    "share",
    "--gpu",
    "0.25",
    "--gpu-memory",
    "10Gi",
    "--cpu",
    "500m",
    "--memory",
    "1Gi",
    IMAGE,
    "--",
    ...SLEEP,
  );
  await ok("run", "--name", "slice", "--mig", "1g.10gb", IMAGE, "--", ...SLEEP);
  await ok("run", "--name", "done", "--cpu", "100m", IMAGE, "--", "sh", "-c", "echo finished");
  await ok(
    "tenants",
    "create",
    "team-a",
    "--gpu-limit",
    "1",
    "--memory-limit",
    "8Gi",
    "--gpu-guarantee",
    "0.5",
    "--active-jobs",
    "4",
  );
  await until("share", "Running");
  await until("slice", "Running");
  await until("done", "Succeeded");
}, 90_000);

afterAll(async () => {
  await srv?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

type Format = "table" | "wide" | "json" | "yaml";
const FORMATS: readonly Format[] = ["table", "wide", "json", "yaml"];

interface Case {
  /** The command line; `f` lets a command that creates something use a fresh name per format. */
  readonly args: (f: Format) => string[];
  /** A table's first line starts with this. */
  readonly header: RegExp;
  /** A column only -o wide shows. */
  readonly wideOnly?: string;
  /** What the JSON document has (checked on json and yaml). */
  readonly doc: (d: Record<string, unknown>) => void;
  /** Runs before the command (per format). */
  readonly before?: (f: Format) => Promise<unknown>;
}

const list =
  (key: string, min = 1) =>
  (d: Record<string, unknown>) =>
    expect((d[key] as unknown[]).length, key).toBeGreaterThanOrEqual(min);

const CASES: Record<string, Case> = {
  ps: {
    args: () => ["ps"],
    header: /^ID\s+NAME\s+TENANT\s+STATE\s+GPU/,
    wideOnly: "ALLOCATION",
    doc: list("jobs", 2),
  },
  "ps -a": { args: () => ["ps", "-a"], header: /^ID\s+NAME/, wideOnly: "IMAGE", doc: list("jobs", 3) },
  get: {
    args: () => ["get", "share"],
    header: /^ID\s+NAME\s+TENANT\s+STATE\s+GPU\s+PRIO\s/,
    wideOnly: "ALLOCATION",
    doc: (d) => expect(d.job).toMatchObject({ name: "share", spec: { gpu: { kind: "share", milli: 250 } } }),
  },
  events: {
    args: () => ["events"],
    header: /^(SEQ\s+)?TIME\s+JOB\s+TYPE/,
    wideOnly: "SEQ",
    doc: list("events", 4),
  },
  "events JOB": {
    args: () => ["events", "done"],
    header: /^(SEQ\s+)?TIME\s+JOB\s+TYPE/,
    wideOnly: "SEQ",
    doc: list("events", 3),
  },
  nodes: {
    args: () => ["nodes"],
    header: /^NODE\s+CPU\s+MEMORY\s+GPUS/,
    wideOnly: "DRIVER",
    doc: (d) => {
      list("nodes")(d);
      list("gpus", 2)(d);
    },
  },
  usage: {
    args: () => ["usage"],
    header: /^TENANT\s+GPU-SECONDS/,
    wideOnly: "GPU-HOURS",
    doc: list("tenants"),
  },
  tenants: {
    args: () => ["tenants"],
    header: /^TENANT\s+LIMITS\s+GUARANTEES/,
    wideOnly: "CREATED",
    doc: (d) =>
      expect(d.tenants).toContainEqual(
        expect.objectContaining({ name: "team-a", quotas: expect.objectContaining({ gpuMilli: 1000 }) }),
      ),
  },
  "tenants create": {
    args: (f) => ["tenants", "create", `made-${f}`, "--cpu-limit", "2"],
    header: /^tenant made-\w+ created \(quotas: limit 2 CPU\); its token \(shown once\): gp_/,
    doc: (d) =>
      expect(d).toMatchObject({
        tenant: { quotas: { cpuMilli: 2000 } },
        token: expect.stringMatching(/^gp_/),
      }),
  },
  "tenants quota": {
    args: () => [
      "tenants",
      "quota",
      "team-a",
      "--gpu-limit",
      "1",
      "--memory-limit",
      "8Gi",
      "--gpu-guarantee",
      "0.5",
      "--active-jobs",
      "4",
    ],
    header: /^TENANT\s+LIMITS/,
    wideOnly: "WEIGHT",
    doc: (d) => expect(d).toMatchObject({ tenant: { quotas: { gpuMilli: 1000, memoryMiB: 8192 } } }),
  },
  "tenants token": {
    args: () => ["tenants", "token", "team-a"],
    header: /^gp_\S+$/m,
    doc: (d) => expect(d.token).toMatch(/^gp_/),
  },
  "tenants delete": {
    before: (f) => ok("tenants", "create", `gone-${f}`),
    args: (f) => ["tenants", "delete", `gone-${f}`],
    header: /^tenant gone-\w+ deleted$/m,
    doc: (d) => expect(d).toMatchObject({ tenant: { name: expect.stringMatching(/^gone-/) } }),
  },
  "run -d": {
    args: () => ["run", "-d", "--cpu", "100m", IMAGE, "--", "true"],
    header: /^j-\w+$/m,
    doc: list("jobs"),
  },
  apply: {
    args: (f) => ["apply", "-f", join(dir, "job.yaml"), "--name", `applied-${f}`],
    header: /^j-\w+ applied-\w+ Pending$/m,
    doc: list("jobs"),
  },
  gpus: {
    args: () => ["gpus", "--simulate", "2xH100-80GB,1xT4"],
    header: /^GPUs from simulate:2xH100-80GB,1xT4/,
    doc: (d) => {
      list("gpus", 3)(d);
      expect(d.simulated).toBe(true);
    },
  },
  "gpus --catalog": { args: () => ["gpus", "--catalog"], header: /^MODEL\s+MEMORY/, doc: list("models", 5) },
  compat: {
    args: () => ["compat", "--cuda", "12.4", "--driver", "535.104.05"],
    header: /^minor-version-compatible: CUDA 12\.4 on driver 535\.104\.05/,
    doc: (d) => expect(d).toMatchObject({ verdict: "minor-version-compatible", requiredDriver: "550.54.14" }),
  },
  sim: {
    args: () => [
      "sim",
      "--nodes",
      join(dir, "nodes.csv"),
      "--pods",
      join(dir, "pods.csv"),
      "--seeds",
      "42",
      "--no-progress",
    ],
    header: /^policy\s+seeds\s+alloc% @100/,
    doc: (d) => expect(d).toHaveProperty("policy", "default"),
  },
};

describe("acceptance 8: -o table|wide|json|yaml on every command that prints data", () => {
  const rows = Object.entries(CASES).flatMap(([name, c]) => FORMATS.map((f) => [name, f, c] as const));

  it.each(rows)("%s -o %s", async (_name, f, c) => {
    await c.before?.(f);
    const args = c.args(f);
    // Before a `--` (run's command), after everything else.
    const at = args.includes("--") ? args.indexOf("--") : args.length;
    const out = await ok(...args.slice(0, at), "-o", f, ...args.slice(at));
    if (f === "json" || f === "yaml") {
      const doc = (f === "json" ? JSON.parse(out) : parseYaml(out)) as Record<string, unknown>;
      c.doc(doc);
      // Documents keep the API's units and ISO times; human units are for tables only.
      expect(out).not.toMatch(/\d GiB/);
    } else {
      expect(out, "a table, not a document").not.toMatch(/^\s*[{[]/);
      expect(out).toMatch(c.header);
      if (c.wideOnly) expect(out.includes(c.wideOnly), `${c.wideOnly} only with -o wide`).toBe(f === "wide");
    }
  });

  it("-o table is the default, and JSON and YAML say the same", async () => {
    const [table, plain, json, yaml] = await Promise.all([
      ok("nodes", "-o", "table"),
      ok("nodes"),
      ok("tenants", "-o", "json"),
      ok("tenants", "-o", "yaml"),
    ]);
    expect(table.replace(/\s+/g, " ")).toBe(plain.replace(/\s+/g, " "));
    expect(parseYaml(yaml)).toEqual(JSON.parse(json));
  });

  it("tables use human units: GiB, %, local times, quotas as 1 GPU", async () => {
    const wide = await ok("ps", "-o", "wide");
    expect(wide).toMatch(/share\s+admin\s+Running\s+25% 10 GiB\s+0\s+\S+\s+GPU \d 25%\s+500m CPU\s+1 GiB/);
    expect(wide).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    expect(wide).not.toMatch(/\d{4}-\d\d-\d\dT/);
    expect(await ok("nodes")).toMatch(/25%\s+10\/80 GiB/);
    expect(await ok("tenants")).toMatch(/team-a\s+1 GPU, 8 GiB memory\s+0\.5 GPU\s+4/);
    expect(await ok("tenants")).not.toMatch(/gpuMilli/);
  });

  it("--json stays an alias of -o json where a command had it", async () => {
    for (const args of [
      ["gpus", "--simulate", "1xT4"],
      ["compat", "--cuda", "12.4", "--driver", "535.104.05"],
    ]) {
      expect(JSON.parse(await ok(...args, "--json")), args[0]).toEqual(
        JSON.parse(await ok(...args, "-o", "json")),
      );
    }
    const both = await cli("gpus", "--simulate", "1xT4", "--json", "-o", "yaml");
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/^gpupool: error\[GP_INVALID_ARGUMENT\]: --json is -o json/);
  });

  it("compat exits 1 on an incompatible verdict, and still prints it", async () => {
    const r = await cli("compat", "--cuda", "12.4", "--driver", "470.57.02", "-o", "json");
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ verdict: "incompatible", requiredDriver: "550.54.14" });
    const text = await cli("compat", "--cuda", "12.4", "--driver", "470.57.02");
    expect(text.code).toBe(1);
    expect(text.out).toMatch(/^incompatible: CUDA 12\.4 on driver 470\.57\.02/);
  });

  it.each([
    [
      ["ps", "-o", "xml"],
      /error\[GP_INVALID_ARGUMENT\]: -o must be one of table, wide, json, yaml, got "xml"/,
    ],
    [["gpus", "--catalog", "-o", "csv"], /error\[GP_INVALID_ARGUMENT\]: -o must be one of/],
    [["ps", "--bogus"], /error\[GP_INVALID_ARGUMENT\]: gpupool ps: unknown option '--bogus'/],
    [["get"], /error\[GP_INVALID_ARGUMENT\]: gpupool get: missing required argument 'job'/],
    [
      ["logs", "share", "--tail"],
      /error\[GP_INVALID_ARGUMENT\]: gpupool logs: option '--tail <lines>' argument missing/,
    ],
    [["pss"], /error\[GP_INVALID_ARGUMENT\]: gpupool: unknown command 'pss' \(Did you mean ps\?\)/],
    [["completion", "tcsh"], /error\[GP_INVALID_ARGUMENT\]: gpupool completion: .*'tcsh' is invalid/],
  ])("%j is one error[GP_INVALID_ARGUMENT] line and a hint, exit 2", async (args, message) => {
    const r = await cli(...args);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    const lines = r.err.trimEnd().split("\n");
    expect(lines[0]).toMatch(new RegExp(`^gpupool: ${message.source}`));
    expect(lines.slice(1)).toEqual([
      "  hint: Check the flag or field named in the message; --help lists them.",
    ]);
  });
});
