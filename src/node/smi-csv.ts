import type { MigMode } from "./gpu-info.js";
import { smiInt, smiNumber, smiText } from "./smi-values.js";

/**
 * Reads nvidia-smi's `--query-*=… --format=csv[,nounits]` output. The header names the fields, with
 * units in brackets (`memory.total [MiB]`); cells are separated by ", " and never quoted, so a free-text
 * field (process_name) may itself contain ", ": extra cells are folded back into that one field.
 * Missing values stay as printed (`[N/A]`, `[Requested functionality has been deprecated]`); the typed
 * readers below turn them into null.
 */

export interface SmiCsv {
  /** Field names without units, in column order. */
  readonly fields: readonly string[];
  /** Unit per field from the header (`MiB`, `W`, `%`), or null. */
  readonly units: Readonly<Record<string, string | null>>;
  readonly rows: readonly Readonly<Record<string, string>>[];
}

export function parseSmiCsv(text: string): SmiCsv {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  const headerLine = lines[0];
  if (headerLine === undefined) throw new Error("nvidia-smi csv: empty output");
  const fields: string[] = [];
  const units: Record<string, string | null> = {};
  for (const raw of headerLine.split(",")) {
    const m = /^\s*([^[\]]+?)\s*(?:\[([^\]]*)\])?\s*$/.exec(raw);
    if (!m) throw new Error(`nvidia-smi csv: bad header cell ${JSON.stringify(raw)}`);
    fields.push(m[1]!);
    units[m[1]!] = m[2] ?? null;
  }
  const freeAt = fields.indexOf("process_name");
  const rows = lines.slice(1).map((line, n) => {
    let cells = line.split(", ");
    if (cells.length > fields.length && freeAt >= 0) {
      const extra = cells.length - fields.length;
      cells = [
        ...cells.slice(0, freeAt),
        cells.slice(freeAt, freeAt + extra + 1).join(", "),
        ...cells.slice(freeAt + extra + 1),
      ];
    }
    if (cells.length !== fields.length) {
      throw new Error(`nvidia-smi csv: row ${n + 1} has ${cells.length} cells, header has ${fields.length}`);
    }
    const row: Record<string, string> = {};
    fields.forEach((f, i) => {
      row[f] = cells[i]!.trim();
    });
    return row;
  });
  return { fields, units, rows };
}

/** One row of `--query-compute-apps=…,gpu_uuid,pid,process_name,used_gpu_memory`. */
export interface ComputeApp {
  readonly pid: number;
  /** Parent GPU UUID; in MIG mode this is the GPU's, not the MIG device's (the query cannot tell). */
  readonly gpuUuid: string | null;
  readonly gpuBusId: string | null;
  readonly processName: string | null;
  /** MiB; null under WDDM or N/A. */
  readonly usedMemoryMiB: number | null;
}

export function parseComputeApps(text: string): ComputeApp[] {
  const csv = parseSmiCsv(text);
  if (!csv.fields.includes("pid")) throw new Error("nvidia-smi --query-compute-apps: no pid column");
  return csv.rows.flatMap((r) => {
    const pid = smiInt(r.pid);
    if (pid === null) return [];
    return [
      {
        pid,
        gpuUuid: smiText(r.gpu_uuid),
        gpuBusId: smiText(r.gpu_bus_id),
        processName: smiText(r.process_name),
        usedMemoryMiB: smiNumber(r.used_gpu_memory ?? r.used_memory, "MiB"),
      },
    ];
  });
}

/** The fields of `--query-gpu` that discovery uses, typed. */
export interface QueriedGpu {
  readonly index: number | null;
  readonly uuid: string | null;
  readonly name: string | null;
  /** From `driver_version`, or `kmd_version` on 610+ drivers where the former is deprecated. */
  readonly driverVersion: string | null;
  readonly memoryTotalMiB: number | null;
  readonly memoryUsedMiB: number | null;
  readonly utilizationPercent: number | null;
  readonly migMode: MigMode;
  readonly computeCapability: string | null;
  readonly raw: Readonly<Record<string, string>>;
}

export function parseQueryGpu(text: string): QueriedGpu[] {
  return parseSmiCsv(text).rows.map((r) => {
    const mig = smiText(r["mig.mode.current"]);
    const version = (v: string | undefined) => /^\d+(\.\d+)+/.exec(smiText(v) ?? "")?.[0] ?? null;
    return {
      index: smiInt(r.index),
      uuid: smiText(r.uuid),
      name: smiText(r.name),
      driverVersion: version(r.driver_version) ?? version(r.kmd_version),
      memoryTotalMiB: smiNumber(r["memory.total"], "MiB"),
      memoryUsedMiB: smiNumber(r["memory.used"], "MiB"),
      utilizationPercent: smiNumber(r["utilization.gpu"], "%"),
      migMode: mig === null ? "unsupported" : /^enabled$/i.test(mig) ? "enabled" : "disabled",
      computeCapability: smiText(r.compute_cap),
      raw: r,
    };
  });
}
