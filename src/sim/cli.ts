import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { GpupoolError } from "../core/errors.js";
import { requirePolicy } from "../scheduler/policies.js";
import { type RunResult, runExperiment } from "./experiment.js";
import { plotSvg } from "./plot.js";
import { formatTable, medianCurve, type PolicySummary, summarize } from "./summary.js";
import { parseNodes, parsePods } from "./trace.js";

export interface SimCliOptions {
  nodes?: string;
  pods?: string;
  traceDir?: string;
  workload: string;
  policy: string;
  seeds: string;
  tune: string;
  json?: boolean;
  policyArgs?: string;
  plot?: string;
  progress: boolean;
}

/** "42-51" | "42,43" | "42" → seeds. */
export function parseSeeds(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(",")) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m)
      throw new GpupoolError("GP_INVALID_ARGUMENT", `--seeds: "${part}" is not a seed or a range like 42-51`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a || b - a > 10_000)
      throw new GpupoolError("GP_INVALID_ARGUMENT", `--seeds: bad range "${part}"`);
    for (let s = a; s <= b; s++) out.push(s);
  }
  return out;
}

export const DEFAULT_TRACE_DIR = "../shared/traces/alibaba-gpu-v2023";

/**
 * The trace folder: the flag, else $GPUPOOL_TRACE_DIR, else ../shared/traces/alibaba-gpu-v2023 next to
 * the current folder or, failing that, next to gpupool's own checkout.
 */
export function traceDir(flag?: string): string {
  const given = flag ?? process.env.GPUPOOL_TRACE_DIR;
  if (given) return resolve(given);
  const fromCwd = resolve(DEFAULT_TRACE_DIR);
  if (existsSync(fromCwd)) return fromCwd;
  return fileURLToPath(new URL(`../../${DEFAULT_TRACE_DIR}`, import.meta.url));
}

function read(file: string, what: string): string {
  if (!existsSync(file)) {
    throw new GpupoolError("GP_TRACE_NOT_FOUND", `${what} not found: ${file}`, { file });
  }
  return readFileSync(file, "utf8");
}

function progressBar(enabled: boolean) {
  const tty = process.stderr.isTTY === true;
  let last = "";
  return {
    update(label: string, done: number, total: number) {
      if (!enabled) return;
      const pct = total ? done / total : 1;
      if (tty) {
        const width = 30;
        const fill = Math.round(pct * width);
        process.stderr.write(
          `\r${label} [${"#".repeat(fill)}${".".repeat(width - fill)}] ${(pct * 100).toFixed(0).padStart(3)}%`,
        );
      } else if (done === total && label !== last) {
        process.stderr.write(`${label} done\n`);
        last = label;
      }
    },
    end() {
      if (enabled && tty) process.stderr.write("\r\x1b[K");
    },
  };
}

/**
 * Runs the replay the options ask for (writing --plot's SVG) and returns a summary per policy;
 * `opts.json` only quietens the progress bar off a terminal. runSimCommand prints the result.
 */
export async function simulate(opts: SimCliOptions): Promise<PolicySummary[]> {
  const policies = opts.policy.split(",").map((p) => requirePolicy(p.trim()));
  const seeds = parseSeeds(opts.seeds);
  const tune = Number(opts.tune);
  if (!Number.isFinite(tune) || tune <= 0 || tune > 10)
    throw new GpupoolError("GP_INVALID_ARGUMENT", `--tune: "${opts.tune}" is not a factor in (0, 10]`);
  let scoreArgs: Record<string, unknown> | undefined;
  if (opts.policyArgs !== undefined) {
    try {
      scoreArgs = JSON.parse(opts.policyArgs);
    } catch {
      throw new GpupoolError("GP_INVALID_ARGUMENT", `--policy-args: not JSON: ${opts.policyArgs}`);
    }
    if (typeof scoreArgs !== "object" || scoreArgs === null || Array.isArray(scoreArgs)) {
      throw new GpupoolError("GP_INVALID_ARGUMENT", "--policy-args: expected a JSON object");
    }
  }
  const dir = traceDir(opts.traceDir);
  const nodesFile = opts.nodes ?? join(dir, "openb_node_list_gpu_node.csv");
  const podsFile = opts.pods ?? join(dir, `openb_pod_list_${opts.workload}.csv`);
  const nodes = parseNodes(read(nodesFile, "node list"), nodesFile);
  const pods = parsePods(read(podsFile, "pod list"), podsFile);
  if (nodes.every((n) => n.gpus.length === 0))
    throw new GpupoolError("GP_TRACE_FORMAT", `${nodesFile}: no node has GPUs`);

  const bar = progressBar(
    opts.progress && !opts.json ? true : opts.progress && process.stderr.isTTY === true,
  );
  const summaries: PolicySummary[] = [];
  const curves: { name: string; allocated: number[] }[] = [];
  for (const policy of policies) {
    const runs: RunResult[] = [];
    for (const [i, seed] of seeds.entries()) {
      const label = `${policy} seed ${seed} (${i + 1}/${seeds.length})`;
      runs.push(
        runExperiment(nodes, pods, policy, seed, {
          tune,
          ...(scoreArgs ? { scoreArgs } : {}),
          onProgress: (d, t) => bar.update(label, d, t),
        }),
      );
    }
    summaries.push(summarize(policy, runs));
    curves.push({ name: policy, allocated: medianCurve(runs) });
  }
  bar.end();
  if (opts.plot) writeFileSync(opts.plot, plotSvg(curves));
  return summaries;
}

/** The JSON document of a result: one policy's summary, or an array for several. */
export function simJson(summaries: readonly PolicySummary[]): PolicySummary | readonly PolicySummary[] {
  return summaries.length === 1 ? summaries[0]! : summaries;
}

export async function runSimCommand(opts: SimCliOptions): Promise<void> {
  const summaries = await simulate(opts);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(simJson(summaries))}\n`);
  } else {
    process.stdout.write(`${formatTable(summaries)}\n`);
    if (opts.plot) process.stdout.write(`plot written to ${opts.plot}\n`);
  }
}
