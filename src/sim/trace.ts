import { findGpuModel } from "../core/catalog.js";
import { GpupoolError } from "../core/errors.js";
import type { NodeSpec } from "../core/node.js";

/**
 * Loader for the Alibaba cluster-trace-gpu-v2023 CSVs (openb_node_list_*.csv, openb_pod_list_*.csv).
 * The multigpu* pod lists stop after gpu_milli; the others add gpu_spec, qos, phase and times, which
 * the experiment ignores except gpu_spec. Parsing is pure: callers read the files.
 */

export interface TracePod {
  readonly name: string;
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  /** 0, 1, 2, 4 or 8 */
  readonly numGpu: number;
  /** Per-GPU compute milli, clipped to 0..1000 (< 1000 only when numGpu is 1). */
  readonly gpuMilli: number;
  /** Allowed GPU models ("" = any), split from "A|B". */
  readonly gpuSpec: readonly string[];
}

function rows(
  text: string,
  file: string,
  required: readonly string[],
): { header: Map<string, number>; lines: string[][] } {
  const all = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (all.length === 0) throw new GpupoolError("GP_TRACE_FORMAT", `${file}: empty file`);
  const cols = all[0]!.split(",").map((c) => c.trim());
  const header = new Map(cols.map((c, i) => [c, i]));
  const missing = required.filter((c) => !header.has(c));
  if (missing.length) {
    throw new GpupoolError(
      "GP_TRACE_FORMAT",
      `${file}: missing column(s) ${missing.join(", ")} (have: ${cols.join(", ")})`,
      { file },
    );
  }
  return { header, lines: all.slice(1).map((l) => l.split(",")) };
}

function int(value: string | undefined, file: string, line: number, col: string): number {
  const v = Number(value);
  if (value === undefined || value.trim() === "" || !Number.isFinite(v)) {
    throw new GpupoolError(
      "GP_TRACE_FORMAT",
      `${file}:${line}: column ${col}: expected a number, got "${value ?? ""}"`,
      { file, line, col },
    );
  }
  return Math.round(v);
}

export function parseNodes(text: string, file = "nodes.csv"): NodeSpec[] {
  const { header, lines } = rows(text, file, ["sn", "cpu_milli", "memory_mib", "gpu", "model"]);
  const at = (r: string[], c: string) => r[header.get(c)!];
  return lines.map((r, k) => {
    const line = k + 2;
    const count = int(at(r, "gpu"), file, line, "gpu");
    const model = (at(r, "model") ?? "").trim();
    const memoryMiB = findGpuModel(model)?.memoryMiB ?? 0;
    return {
      name: (at(r, "sn") ?? "").trim() || `node-${k}`,
      cpuMilli: int(at(r, "cpu_milli"), file, line, "cpu_milli"),
      memoryMiB: int(at(r, "memory_mib"), file, line, "memory_mib"),
      gpus: Array.from({ length: count }, (_, index) => ({ index, model, memoryMiB })),
    };
  });
}

export function parsePods(text: string, file = "pods.csv"): TracePod[] {
  const { header, lines } = rows(text, file, ["name", "cpu_milli", "memory_mib", "num_gpu", "gpu_milli"]);
  const at = (r: string[], c: string) => (header.has(c) ? r[header.get(c)!] : undefined);
  return lines.map((r, k) => {
    const line = k + 2;
    const numGpu = int(at(r, "num_gpu"), file, line, "num_gpu");
    const spec = (at(r, "gpu_spec") ?? "").trim();
    return {
      name: (at(r, "name") ?? "").trim(),
      cpuMilli: int(at(r, "cpu_milli"), file, line, "cpu_milli"),
      memoryMiB: int(at(r, "memory_mib"), file, line, "memory_mib"),
      numGpu,
      gpuMilli:
        numGpu === 0 ? 0 : Math.min(1000, Math.max(0, int(at(r, "gpu_milli"), file, line, "gpu_milli"))),
      gpuSpec: spec && spec !== "nan" ? spec.split("|").map((s) => s.trim()) : [],
    };
  });
}
