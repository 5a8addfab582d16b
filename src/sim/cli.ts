import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { GpupoolError } from "../core/errors.js";
import { requirePolicy } from "../scheduler/policies.js";
import { type RunResult, runExperiment, STATS_MODES, type StatsMode } from "./experiment.js";
import { margin } from "./margin.js";
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
  /** "oracle", "online" or both, comma-separated (default online). */
  stats?: string;
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

export function parseStatsModes(text: string): StatsMode[] {
  const out: StatsMode[] = [];
  for (const part of text.split(",")) {
    const m = part.trim();
    if (!(STATS_MODES as readonly string[]).includes(m))
      throw new GpupoolError(
        "GP_INVALID_ARGUMENT",
        `--stats: "${m}" is not one of ${STATS_MODES.join(", ")}`,
      );
    const mode = STATS_MODES.find((x) => x === m)!;
    if (!out.includes(mode)) out.push(mode);
  }
  return out;
}

interface Group {
  readonly workload: string;
  readonly stats: StatsMode;
  readonly runs: Map<string, RunResult[]>;
}

/** What simulate() found: a summary per (workload, stats, policy), grouped for the tables. */
export interface SimResult {
  readonly summaries: PolicySummary[];
  readonly groups: readonly Group[];
  /** One workload and one statistics mode: the table needs no group headings. */
  readonly single: boolean;
}

/**
 * Runs the replay the options ask for (writing --plot's SVG) and returns a summary per policy,
 * workload and statistics mode; `opts.json` only quietens the progress bar off a terminal.
 */
export async function simulate(opts: SimCliOptions): Promise<SimResult> {
  const policies = opts.policy.split(",").map((p) => requirePolicy(p.trim()));
  const seeds = parseSeeds(opts.seeds);
  const modes = parseStatsModes(opts.stats ?? "online");
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
  const workloads = opts.pods
    ? [{ name: basename(opts.pods), file: opts.pods }]
    : opts.workload
        .split(",")
        .map((w) => w.trim())
        .map((name) => ({ name, file: join(dir, `openb_pod_list_${name}.csv`) }));
  const nodes = parseNodes(read(nodesFile, "node list"), nodesFile);
  if (nodes.every((n) => n.gpus.length === 0))
    throw new GpupoolError("GP_TRACE_FORMAT", `${nodesFile}: no node has GPUs`);
  const podLists = workloads.map((w) => ({
    name: w.name,
    pods: parsePods(read(w.file, "pod list"), w.file),
  }));
  const single = podLists.length === 1 && modes.length === 1;
  if (opts.plot && !single)
    throw new GpupoolError("GP_INVALID_ARGUMENT", "--plot: give one workload and one --stats mode");

  const bar = progressBar(
    opts.progress && !opts.json ? true : opts.progress && process.stderr.isTTY === true,
  );
  const groups: Group[] = [];
  const summaries: PolicySummary[] = [];
  const curves: { name: string; allocated: number[] }[] = [];
  for (const { name: workload, pods } of podLists) {
    for (const stats of modes) {
      const group: Group = { workload, stats, runs: new Map() };
      groups.push(group);
      for (const policy of policies) {
        const runs: RunResult[] = [];
        for (const [i, seed] of seeds.entries()) {
          const label = `${single ? "" : `${workload}/${stats} `}${policy} seed ${seed} (${i + 1}/${seeds.length})`;
          runs.push(
            runExperiment(nodes, pods, policy, seed, {
              tune,
              stats,
              ...(scoreArgs ? { scoreArgs } : {}),
              onProgress: (d, t) => bar.update(label, d, t),
            }),
          );
        }
        group.runs.set(policy, runs);
        summaries.push(summarize(policy, runs, workload, stats));
        curves.push({ name: policy, allocated: medianCurve(runs) });
      }
    }
  }
  bar.end();
  if (opts.plot) writeFileSync(opts.plot, plotSvg(curves));
  return { summaries, groups, single };
}

/** The JSON document of a result: one policy's summary, or an array for several. */
export function simJson(summaries: readonly PolicySummary[]): PolicySummary | readonly PolicySummary[] {
  return summaries.length === 1 ? summaries[0]! : summaries;
}

/** The tables of a result: one per (workload, stats) when there are several, then the margins. */
export function simTable(r: SimResult, plot?: string): string {
  const out: string[] = [];
  for (const g of r.groups) {
    if (!r.single) out.push(`workload ${g.workload}, stats ${g.stats}:`);
    out.push(formatTable(r.summaries.filter((s) => s.workload === g.workload && s.stats === g.stats)));
    if (!r.single) out.push("");
  }
  const margins = marginRows(r.groups);
  if (margins) out.push("", margins);
  if (plot) out.push(`plot written to ${plot}`);
  return out.join("\n").replace(/\n{3,}/g, "\n\n");
}

export async function runSimCommand(opts: SimCliOptions): Promise<void> {
  const r = await simulate(opts);
  if (opts.json) process.stdout.write(`${JSON.stringify(simJson(r.summaries))}\n`);
  else process.stdout.write(`${simTable(r, opts.plot)}\n`);
}

/** default − fgd per (workload, stats), paired by seed; null unless both policies ran. */
function marginRows(groups: readonly Group[]): string | null {
  const rows: string[][] = [];
  for (const g of groups) {
    const fgd = g.runs.get("fgd");
    const ours = g.runs.get("default");
    if (!fgd || !ours) continue;
    const m = margin(ours, fgd);
    const un = (runs: readonly RunResult[]) =>
      (100 - runs.reduce((s, r) => s + r.allocatedPctAt100, 0) / runs.length).toFixed(2);
    rows.push([
      g.workload,
      g.stats,
      un(fgd),
      un(ours),
      Number.isNaN(m.mean) ? "n/a" : m.mean.toFixed(2),
      Number.isNaN(m.stdErr) ? "n/a" : m.stdErr.toFixed(2),
      `${m.losses}/${m.seeds}`,
    ]);
  }
  if (rows.length === 0) return null;
  const head = [
    "workload",
    "stats",
    "fgd unalloc%",
    "default unalloc%",
    "default − fgd",
    "s.e.",
    "seeds worse",
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
