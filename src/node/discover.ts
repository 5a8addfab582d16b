import { readFile } from "node:fs/promises";
import { GpupoolError, isGpupoolError } from "../core/errors.js";
import type { GpuInfo, GpuInventory, MigDeviceInfo } from "./gpu-info.js";
import { type ComputeApp, parseComputeApps } from "./smi-csv.js";
import { type ListedGpu, parseSmiList } from "./smi-list.js";
import type { SmiRunner } from "./smi-runner.js";
import { parseTopoMatrix } from "./smi-topo.js";
import { parseSmiXml, SmiParseError } from "./smi-xml.js";

/**
 * Discovery: what the GPUs on this host are, from `nvidia-smi -q -x`, plus NVLink groups from
 * `topo -m` and MIG device UUIDs/profiles from `-L` when a GPU has MIG enabled. Only `-q -x` is
 * required; topology and the MIG listing are best effort (their failure leaves the fields empty).
 */

function parseOrThrow<T>(what: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (isGpupoolError(err)) throw err;
    const msg = err instanceof SmiParseError || err instanceof Error ? err.message : String(err);
    throw new GpupoolError("GP_NVIDIA_SMI_PARSE", `cannot read \`nvidia-smi ${what}\`: ${msg}`, {
      command: what,
    });
  }
}

/** Adds `-L`'s MIG UUIDs and exact profiles to the MIG devices `-q -x` reported (matched by index). */
export function mergeMigListing(gpus: readonly GpuInfo[], listed: readonly ListedGpu[]): GpuInfo[] {
  return gpus.map((g) => {
    // Matched by UUID only: an index match could pair a listing with the wrong GPU.
    const l = listed.find((x) => x.uuid === g.uuid);
    if (!l || l.migDevices.length === 0) return g;
    const byIndex = new Map(g.migDevices.map((d) => [d.index, d]));
    const merged: MigDeviceInfo[] = l.migDevices.map((ld) => {
      const d = byIndex.get(ld.index);
      return {
        index: ld.index,
        uuid: ld.uuid,
        profile: ld.profile,
        profileSource: "list",
        gpuInstanceId: d?.gpuInstanceId ?? null,
        computeInstanceId: d?.computeInstanceId ?? null,
        memoryMiB: d?.memoryMiB ?? null,
        multiprocessors: d?.multiprocessors ?? null,
      };
    });
    return { ...g, migDevices: merged };
  });
}

/** Builds an inventory from `-q -x` text (and optional `topo -m` / `-L` texts). */
export function inventoryFromSmi(xml: string, source: string, topo?: string, list?: string): GpuInventory {
  const report = parseOrThrow("-q -x", () => parseSmiXml(xml));
  let gpus: GpuInfo[] = [...report.gpus];
  if (list !== undefined)
    gpus = mergeMigListing(
      gpus,
      parseOrThrow("-L", () => parseSmiList(list)),
    );
  if (topo === undefined) return { gpus, nvlinkGroups: [], simulated: false, source };
  const t = parseOrThrow("topo -m", () => parseTopoMatrix(topo));
  const byIndex = new Map(t.gpus.map((g) => [g.index, g]));
  gpus = gpus.map((g) => {
    const near = byIndex.get(g.index);
    return { ...g, cpuAffinity: near?.cpuAffinity ?? null, numaNode: near?.numaNode ?? null };
  });
  return { gpus, nvlinkGroups: t.nvlinkGroups, simulated: false, source };
}

export async function discoverGpus(runner: SmiRunner): Promise<GpuInventory> {
  const xml = await runner.run(["-q", "-x"]);
  const report = parseOrThrow("-q -x", () => parseSmiXml(xml));
  const optional = async (args: string[]) => {
    try {
      return await runner.run(args);
    } catch (err) {
      // A timeout means the driver is unhealthy: surface it. Other failures only lose detail.
      if (isGpupoolError(err) && err.code === "GP_NVIDIA_SMI_TIMEOUT") throw err;
      return undefined;
    }
  };
  const topo = report.gpus.length > 1 ? await optional(["topo", "-m"]) : undefined;
  const list = report.gpus.some((g) => g.migMode === "enabled") ? await optional(["-L"]) : undefined;
  return inventoryFromSmi(xml, "nvidia-smi", topo, list);
}

/** `gpus --nvidia-smi-xml FILE`: an inventory from a saved `-q -x` document. */
export async function inventoryFromXmlFile(path: string): Promise<GpuInventory> {
  let xml: string;
  try {
    xml = await readFile(path, "utf8");
  } catch (err) {
    throw new GpupoolError("GP_INVALID_ARGUMENT", `cannot read ${path}: ${(err as Error).message}`, { path });
  }
  return inventoryFromSmi(xml, `file:${path}`);
}

/** Per-process GPU memory (`--query-compute-apps`), for the telemetry loop. */
export async function queryComputeApps(runner: SmiRunner): Promise<ComputeApp[]> {
  const text = await runner.run([
    "--query-compute-apps=gpu_uuid,pid,process_name,used_gpu_memory",
    "--format=csv,nounits",
  ]);
  return parseOrThrow("--query-compute-apps", () => parseComputeApps(text));
}
