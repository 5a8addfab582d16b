import { readFile } from "node:fs/promises";
import { GpupoolError, isGpupoolError } from "../core/errors.js";
import type { GpuInfo, GpuInventory, MigDeviceInfo } from "./gpu-info.js";
import { type ComputeApp, parseComputeApps } from "./smi-csv.js";
import { type ListedGpu, parseSmiList } from "./smi-list.js";
import { type MigListings, migLayout, parseMigListings } from "./smi-mig.js";
import type { SmiRunner } from "./smi-runner.js";
import { parseTopoMatrix } from "./smi-topo.js";
import { parseSmiXml, SmiParseError } from "./smi-xml.js";

/**
 * Discovery: what the GPUs on this host are, from `nvidia-smi -q -x`, plus NVLink groups from
 * `topo -m` and MIG device UUIDs/profiles from `-L` when a GPU has MIG enabled. Only `-q -x` is
 * required; topology and the MIG listing are best effort: their failure leaves the fields empty,
 * and a line they cannot read is skipped with a warning (GpuInventory.warnings).
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

/**
 * Text before the XML document (nvidia-smi prints "WARNING: infoROM is corrupted at gpu …" on stdout
 * ahead of it): split off, each non-blank line a warning, so the document itself still parses.
 */
export function splitXmlPreamble(xml: string): { xml: string; warnings: string[] } {
  const at = xml.search(/<\?xml|<!DOCTYPE|<nvidia_smi_log/);
  if (at <= 0) return { xml, warnings: [] };
  const warnings = xml
    .slice(0, at)
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .map((l) => `nvidia-smi -q -x: skipped a line before the document: ${JSON.stringify(l)}`);
  return { xml: xml.slice(at), warnings };
}

/** Adds the `mig -lgi/-lci` layout to each GPU (by index) and names MIG devices by their GI/CI. */
export function mergeMigLayout(gpus: readonly GpuInfo[], listings: MigListings): GpuInfo[] {
  const layout = migLayout(listings);
  return gpus.map((g) => {
    const instances = layout.get(g.index) ?? [];
    const ci = (d: MigDeviceInfo) =>
      instances
        .find((i) => i.gpuInstanceId === d.gpuInstanceId)
        ?.computeInstances.find((c) => c.computeInstanceId === d.computeInstanceId);
    const migDevices = g.migDevices.map((d) => {
      const named = d.profileSource === "list" ? undefined : ci(d);
      return named ? { ...d, profile: named.profile, profileSource: "mig" as const } : d;
    });
    return { ...g, migDevices, migLayout: instances };
  });
}

/** Saved or captured texts of the outputs discovery reads; only `-q -x` is required. */
export interface SmiTexts {
  /** `nvidia-smi topo -m` (best effort). */
  readonly topo?: string;
  /** `nvidia-smi -L` (best effort). */
  readonly list?: string;
  /** `nvidia-smi mig -lgi` and/or `-lci` (best effort), one after the other. */
  readonly mig?: string;
}

/** Reads a best-effort section: what it cannot read becomes warnings, never an abort. */
function bestEffort<T>(what: string, warnings: string[], parse: (w: string[]) => T): T | undefined {
  try {
    return parse(warnings);
  } catch (err) {
    if (isGpupoolError(err)) throw err;
    warnings.push(`nvidia-smi ${what} not used: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

/**
 * Builds an inventory from `-q -x` text plus the optional best-effort outputs (`topo -m`, `-L`,
 * `mig -lgi/-lci`). A best-effort output with unreadable lines gives what it can, and the lines it
 * could not read become `warnings`; one that cannot be read at all only loses its detail.
 */
export function inventoryFromSmi(
  xmlText: string,
  source: string,
  topoOrTexts?: string | SmiTexts,
  listText?: string,
): GpuInventory {
  const texts: SmiTexts =
    typeof topoOrTexts === "object"
      ? topoOrTexts
      : {
          ...(topoOrTexts !== undefined ? { topo: topoOrTexts } : {}),
          ...(listText !== undefined ? { list: listText } : {}),
        };
  const { xml, warnings } = splitXmlPreamble(xmlText);
  const report = parseOrThrow("-q -x", () => parseSmiXml(xml));
  let gpus: GpuInfo[] = [...report.gpus];
  if (texts.list !== undefined) {
    const listed = bestEffort("-L", warnings, (w) => parseSmiList(texts.list!, w));
    if (listed) gpus = mergeMigListing(gpus, listed);
  }
  if (texts.mig !== undefined) {
    const listings = parseMigListings(texts.mig);
    warnings.push(...listings.warnings);
    gpus = mergeMigLayout(gpus, listings);
  }
  let nvlinkGroups: (readonly number[])[] = [];
  if (texts.topo !== undefined) {
    const t = bestEffort("topo -m", warnings, (w) => parseTopoMatrix(texts.topo!, w));
    if (t) {
      const byIndex = new Map(t.gpus.map((g) => [g.index, g]));
      gpus = gpus.map((g) => {
        const near = byIndex.get(g.index);
        return { ...g, cpuAffinity: near?.cpuAffinity ?? null, numaNode: near?.numaNode ?? null };
      });
      nvlinkGroups = [...t.nvlinkGroups];
    }
  }
  return { gpus, nvlinkGroups, simulated: false, source, ...(warnings.length ? { warnings } : {}) };
}

export async function discoverGpus(runner: SmiRunner): Promise<GpuInventory> {
  const xml = await runner.run(["-q", "-x"]);
  const report = parseOrThrow("-q -x", () => parseSmiXml(splitXmlPreamble(xml).xml));
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
  return inventoryFromSmi(xml, "nvidia-smi", {
    ...(topo !== undefined ? { topo } : {}),
    ...(list !== undefined ? { list } : {}),
  });
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
