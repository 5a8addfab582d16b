import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { NodeSpec } from "../core/node.js";
import { Rng } from "../scheduler/framework/rng.js";
import type { Policy } from "../scheduler/policies.js";
import { traceDir } from "../sim/cli.js";
import { runExperiment } from "../sim/experiment.js";
import { builtinNodeTypes, builtinPods, syntheticNodes } from "../sim/synthetic.js";
import { parseNodes, parsePods, type TracePod } from "../sim/trace.js";

/**
 * `npm run bench:sched`: scheduling throughput (pods/s) and peak RSS for fgd and default on the
 * default trace and on a generated 10,000-node cluster. Each case runs in its own child process so
 * its peak RSS is its own. Goals (issue #2): ≥ 20,000 pods/s on the trace, ≥ 5,000 pods/s at
 * 10,000 nodes, < 300 MB RSS.
 */

interface CaseResult {
  case: string;
  policy: string;
  nodes: number;
  pods: number;
  seconds: number;
  podsPerSecond: number;
  allocatedPctAt100: number;
  peakRssMB: number;
  source: string;
}

const SEEDS = [42, 43, 44];
/** Node flags for each case's process (none: the default heap, as `gpupool` runs). Printed with the results. */
const NODE_FLAGS: string[] = [];
const CASES = ["trace:fgd", "trace:default", "synthetic10k:fgd", "synthetic10k:default"];

function loadTrace(): { nodes: NodeSpec[]; pods: TracePod[]; source: string } {
  const dir = traceDir();
  const nf = join(dir, "openb_node_list_gpu_node.csv");
  const pf = join(dir, "openb_pod_list_default.csv");
  if (existsSync(nf) && existsSync(pf)) {
    return {
      nodes: parseNodes(readFileSync(nf, "utf8"), nf),
      pods: parsePods(readFileSync(pf, "utf8"), pf),
      source: "alibaba-gpu-v2023 default",
    };
  }
  return { nodes: builtinNodeTypes(), pods: builtinPods(), source: "built-in mix (trace not found)" };
}

function runCase(name: string): CaseResult {
  const [kind, policy] = name.split(":") as [string, Policy];
  const trace = loadTrace();
  const nodes = kind === "trace" ? trace.nodes : syntheticNodes(trace.nodes, 10_000, new Rng(7));
  let pods = 0;
  let seconds = 0;
  let alloc = 0;
  const seeds = kind === "trace" ? SEEDS : [42];
  for (const seed of seeds) {
    const r = runExperiment(nodes, trace.pods, policy, seed);
    pods += r.podsArrived;
    seconds += r.seconds;
    alloc += r.allocatedPctAt100;
  }
  return {
    case: kind,
    policy,
    nodes: nodes.length,
    pods: Math.round(pods / seeds.length),
    seconds: seconds / seeds.length,
    podsPerSecond: Math.round(pods / seconds),
    allocatedPctAt100: alloc / seeds.length,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    source: kind === "trace" ? trace.source : `10,000 nodes drawn from ${trace.source} node types`,
  };
}

function main(): void {
  const argCase = process.argv.indexOf("--case");
  if (argCase > 0) {
    process.stdout.write(`${JSON.stringify(runCase(process.argv[argCase + 1]!))}\n`);
    return;
  }
  const self = fileURLToPath(import.meta.url);
  const results: CaseResult[] = [];
  for (const c of CASES) {
    process.stderr.write(`running ${c}…\n`);
    const out = execFileSync(process.execPath, [...NODE_FLAGS, self, "--case", c], {
      encoding: "utf8",
      maxBuffer: 1 << 20,
    });
    results.push(JSON.parse(out.trim().split("\n").pop()!) as CaseResult);
  }
  const rows = results.map((r) => [
    r.case,
    r.policy,
    String(r.nodes),
    String(r.pods),
    r.seconds.toFixed(3),
    String(r.podsPerSecond),
    r.allocatedPctAt100.toFixed(2),
    r.peakRssMB.toFixed(0),
  ]);
  const head = ["case", "policy", "nodes", "pods/run", "sched s/run", "pods/s", "alloc%@100", "peak RSS MB"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  console.log(
    `workload: ${results[0]!.source}; seeds ${SEEDS.join(",")} on the trace, 42 on the synthetic cluster`,
  );
  console.log(
    `each case in its own process: node ${NODE_FLAGS.join(" ") || "with default flags"} (${process.version}, ${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(1)})`,
  );
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  const goal = (label: string, ok: boolean, measured: string) =>
    console.log(`${ok ? "meets" : "MISSES"} goal ${label}: ${measured}`);
  for (const r of results) {
    if (r.case === "trace")
      goal(
        `≥ 20,000 pods/s on the trace (${r.policy})`,
        r.podsPerSecond >= 20_000,
        `${r.podsPerSecond} pods/s`,
      );
    else
      goal(
        `≥ 5,000 pods/s at 10,000 nodes (${r.policy})`,
        r.podsPerSecond >= 5_000,
        `${r.podsPerSecond} pods/s`,
      );
    goal(`< 300 MB peak RSS (${r.case}:${r.policy})`, r.peakRssMB < 300, `${r.peakRssMB.toFixed(0)} MB`);
  }
  const byCase = (c: string, p: string) => results.find((r) => r.case === c && r.policy === p)!;
  for (const c of ["trace", "synthetic10k"]) {
    console.log(
      `default/fgd throughput ratio on ${c}: ${(byCase(c, "default").podsPerSecond / byCase(c, "fgd").podsPerSecond).toFixed(2)}`,
    );
  }
}

main();
