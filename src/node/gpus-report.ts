import { GPU_MODELS } from "../core/catalog.js";
import type { GpuInfo, GpuInventory } from "./gpu-info.js";
import type { MigInstanceLayout } from "./smi-mig.js";

/**
 * What `gpupool gpus` prints: the JSON contract (`--json`) and a table in the spirit of nvidia-smi's,
 * with MIG layout, NVLink groups and who uses what. Simulated GPUs are labelled on every row.
 */

export interface GpusJson {
  readonly gpus: readonly {
    readonly index: number;
    readonly uuid: string;
    readonly name: string;
    readonly model: string;
    readonly memoryMiB: number;
    readonly usedMemoryMiB: number | null;
    readonly driverVersion: string | null;
    readonly cudaVersion: string | null;
    readonly computeMode: string | null;
    readonly migMode: string;
    readonly migDevices: readonly {
      readonly index: number;
      readonly uuid: string | null;
      readonly profile: string | null;
      readonly gpuInstanceId: number | null;
      readonly computeInstanceId: number | null;
      readonly memoryMiB: number | null;
    }[];
    readonly processes: readonly {
      readonly pid: number;
      readonly usedMemoryMiB: number | null;
      readonly name: string | null;
      readonly containerId: string | null;
    }[];
    readonly utilizationPercent: number | null;
    readonly temperatureC: number | null;
    readonly powerDrawW: number | null;
    readonly nvlinkPeers: readonly number[];
    readonly cpuAffinity: string | null;
    readonly numaNode: number | null;
    readonly simulated: boolean;
    /** GPU/compute instances from `nvidia-smi mig -lgi/-lci`; null when those were not read. */
    readonly migLayout: readonly MigInstanceLayout[] | null;
  }[];
  readonly nvlinkGroups: readonly (readonly number[])[];
  readonly simulated: boolean;
  readonly source: string;
  /** Lines a best-effort output could not read (that output lost only those). */
  readonly warnings: readonly string[];
}

function peers(inv: GpuInventory, index: number): number[] {
  return (inv.nvlinkGroups.find((g) => g.includes(index)) ?? []).filter((i) => i !== index);
}

export function gpusJson(inv: GpuInventory): GpusJson {
  return {
    gpus: inv.gpus.map((g) => ({
      index: g.index,
      uuid: g.uuid,
      name: g.name,
      model: g.model,
      memoryMiB: g.memoryMiB,
      usedMemoryMiB: g.usedMemoryMiB,
      driverVersion: g.driverVersion,
      cudaVersion: g.cudaVersion,
      computeMode: g.computeMode,
      migMode: g.migMode,
      migDevices: g.migDevices.map((d) => ({
        index: d.index,
        uuid: d.uuid,
        profile: d.profile,
        gpuInstanceId: d.gpuInstanceId,
        computeInstanceId: d.computeInstanceId,
        memoryMiB: d.memoryMiB,
      })),
      processes: g.processes.map((p) => ({
        pid: p.pid,
        usedMemoryMiB: p.usedMemoryMiB,
        name: p.name,
        containerId: p.containerId ?? null,
      })),
      utilizationPercent: g.utilizationPercent,
      temperatureC: g.temperatureC,
      powerDrawW: g.powerDrawW,
      nvlinkPeers: peers(inv, g.index),
      cpuAffinity: g.cpuAffinity,
      numaNode: g.numaNode,
      simulated: g.simulated,
      migLayout: g.migLayout ?? null,
    })),
    nvlinkGroups: inv.nvlinkGroups,
    simulated: inv.simulated,
    source: inv.source,
    warnings: inv.warnings ?? [],
  };
}

/** Columns padded to their widest cell, with a dashed rule under the header (gpus and saved-file reports). */
export function table(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
}

const na = (v: number | string | null | undefined, unit = "") =>
  v === null || v === undefined ? "N/A" : `${v}${unit}`;

/** Up to two decimals without trailing zeros. */
const dec = (n: number) => String(Math.round(n * 100) / 100);

/** MiB in human units: "80 GiB", "1.5 GiB", "512 MiB" (the JSON keeps MiB). */
function mib(v: number | null | undefined): string {
  if (v === null || v === undefined) return "N/A";
  return v >= 1024 ? `${dec(v / 1024)} GiB` : `${v} MiB`;
}

function memory(g: GpuInfo): string {
  return `${g.usedMemoryMiB === null ? "N/A" : dec(g.usedMemoryMiB / 1024)} / ${dec(g.memoryMiB / 1024)} GiB`;
}

export function renderGpusTable(inv: GpuInventory): string {
  const out: string[] = [];
  const drivers = [
    ...new Set(inv.gpus.map((g) => `driver ${na(g.driverVersion)}, CUDA ${na(g.cudaVersion)}`)),
  ];
  out.push(`GPUs from ${inv.source}${inv.gpus.length ? ` — ${drivers.join("; ")}` : ""}`);
  if (inv.simulated)
    out.push("SIMULATED: these GPUs come from the catalog; there is no hardware behind them.");
  if (inv.gpus.length === 0) {
    out.push("No GPUs found.");
    return `${out.join("\n")}\n`;
  }
  out.push("");
  out.push(
    ...table(
      [
        "GPU",
        "MODEL",
        "UUID",
        "MEMORY (used / total)",
        "UTIL",
        "TEMP",
        "POWER",
        "MIG",
        "NVLINK",
        "NUMA",
        "SIM",
      ],
      inv.gpus.map((g) => [
        String(g.index),
        g.model,
        g.uuid,
        memory(g),
        na(g.utilizationPercent, " %"),
        na(g.temperatureC, " C"),
        na(g.powerDrawW, " W"),
        g.migMode,
        peers(inv, g.index).join(",") || "-",
        na(g.numaNode),
        g.simulated ? "yes" : "no",
      ]),
    ),
  );
  const mig = inv.gpus.flatMap((g) =>
    g.migDevices.map((d) => [
      String(g.index),
      String(d.index),
      d.profile ?? "?",
      na(d.gpuInstanceId),
      na(d.computeInstanceId),
      mib(d.memoryMiB),
      d.uuid ?? "(run nvidia-smi -L for UUIDs)",
    ]),
  );
  out.push("", "MIG devices:");
  out.push(
    ...(mig.length ? table(["GPU", "DEV", "PROFILE", "GI", "CI", "MEMORY", "UUID"], mig) : ["  none"]),
  );
  out.push("", "NVLink groups:");
  out.push(
    inv.nvlinkGroups.length ? `  ${inv.nvlinkGroups.map((g) => `[${g.join(",")}]`).join(" ")}` : "  none",
  );
  const procs = inv.gpus.flatMap((g) =>
    g.processes.map((p) => [
      String(g.index),
      String(p.pid),
      p.type ?? "?",
      mib(p.usedMemoryMiB),
      p.containerId ? p.containerId.slice(0, 12) : "-",
      p.name ?? "?",
    ]),
  );
  out.push("", "Processes:");
  out.push(
    ...(procs.length ? table(["GPU", "PID", "TYPE", "MEMORY", "CONTAINER", "NAME"], procs) : ["  none"]),
  );
  const layout = inv.gpus.flatMap((g) =>
    (g.migLayout ?? []).map((gi) => [
      String(g.index),
      String(gi.gpuInstanceId),
      gi.profile,
      `${gi.start}:${gi.size}`,
      gi.computeInstances.map((c) => `${c.computeInstanceId}:${c.profile}`).join(" ") || "-",
    ]),
  );
  if (inv.gpus.some((g) => g.migLayout !== undefined)) {
    out.push("", "MIG instances (mig -lgi / -lci):");
    out.push(
      ...(layout.length
        ? table(["GPU", "GI", "PROFILE", "PLACEMENT", "COMPUTE INSTANCES"], layout)
        : ["  none"]),
    );
  }
  if (inv.warnings?.length) out.push("", "Warnings:", ...inv.warnings.map((w) => `  ${w}`));
  return `${out.join("\n")}\n`;
}

/** `gpupool gpus --catalog`: the models gpupool knows, for --simulate and model constraints. */
export function renderCatalog(): string {
  const rows = GPU_MODELS.map((m) => [
    m.name,
    mib(m.memoryMiB),
    String(m.sms),
    m.computeCapability,
    m.datacenter ? "yes" : "no",
    m.migProfiles.map((p) => p.name).join(" ") || "-",
  ]);
  return `${table(["MODEL", "MEMORY", "SMS", "CC", "DATACENTER", "MIG PROFILES"], rows).join("\n")}\n`;
}
