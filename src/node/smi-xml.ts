import { findGpuModel, type GpuModel } from "../core/catalog.js";
import type { GpuInfo, GpuProcessInfo, MigDeviceInfo, MigMode } from "./gpu-info.js";
import { smiInt, smiNumber, smiText } from "./smi-values.js";
import { child, childrenNamed, parseXml, textAt, type XmlElement, XmlError } from "./xml.js";

/**
 * Reads `nvidia-smi -q -x`. Tolerates every driver generation in fixtures/nvidia-smi/q-x (418 → 595):
 * no DOCTYPE, missing `mig_mode`, `mig_devices` as text "None", self-closing `<processes />`,
 * `power_readings` vs `gpu_power_readings`, `power_draw` vs `average_power_draw`/`instant_power_draw`,
 * and `N/A` / "deprecated" values. Throws SmiParseError (message names what is wrong) on input that is
 * not an nvidia-smi document at all.
 */

export class SmiParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SmiParseError";
  }
}

export interface SmiXmlReport {
  readonly driverVersion: string | null;
  readonly cudaVersion: string | null;
  /** `attached_gpus` as printed; may differ from gpus.length in trimmed documents. */
  readonly attachedGpus: number | null;
  readonly gpus: readonly GpuInfo[];
}

/**
 * SMs in one compute slice ("1g") per MIG-capable model (NVIDIA MIG user guide, supported-profile
 * tables: A100 1g = 14 SMs of 98, H100/H200 1g = 16 SMs). Used only to tell apart profiles that have
 * the same memory (1g.20gb vs 2g.20gb, 3g.40gb vs 4g.40gb) when `-L` is not available.
 */
const MIG_SMS_PER_SLICE: Record<string, number> = {
  "A100-40GB": 14,
  "A100-80GB": 14,
  "H100-80GB": 16,
  H200: 16,
};

/** Infers a GPU-instance profile from a MIG device's memory and SM count; null when ambiguous. */
export function inferMigProfile(
  model: GpuModel | undefined,
  memoryMiB: number | null,
  sms: number | null,
): string | null {
  if (!model || memoryMiB === null) return null;
  const candidates = model.migProfiles.filter((p) => p.memoryMiB === memoryMiB && !p.name.endsWith("+me"));
  if (candidates.length === 1) return candidates[0]!.name;
  const perSlice = MIG_SMS_PER_SLICE[model.name];
  if (candidates.length === 0 || sms === null || perSlice === undefined) return null;
  const slices = Math.min(7, Math.floor(sms / perSlice));
  return candidates.find((p) => p.computeSlices === slices)?.name ?? null;
}

function migMode(text: string | undefined): MigMode {
  const t = smiText(text);
  if (t === null) return "unsupported";
  return /^enabled$/i.test(t) ? "enabled" : /^disabled$/i.test(t) ? "disabled" : "unsupported";
}

function migDevices(gpu: XmlElement, model: GpuModel | undefined): MigDeviceInfo[] {
  // Absent (418), the text "None" (no MIG), or a list of <mig_device>.
  return childrenNamed(child(gpu, "mig_devices"), "mig_device").map((d, i) => {
    const memoryMiB = smiNumber(textAt(d, "fb_memory_usage/total"), "MiB");
    const multiprocessors = smiInt(textAt(d, "device_attributes/shared/multiprocessor_count"));
    const profile = inferMigProfile(model, memoryMiB, multiprocessors);
    return {
      index: smiInt(textAt(d, "index")) ?? i,
      uuid: smiText(textAt(d, "uuid")),
      profile,
      profileSource: profile === null ? null : "inferred",
      gpuInstanceId: smiInt(textAt(d, "gpu_instance_id")),
      computeInstanceId: smiInt(textAt(d, "compute_instance_id")),
      memoryMiB,
      multiprocessors,
    };
  });
}

function processes(gpu: XmlElement): GpuProcessInfo[] {
  return childrenNamed(child(gpu, "processes"), "process_info").flatMap((p) => {
    const pid = smiInt(textAt(p, "pid"));
    if (pid === null) return [];
    return [
      {
        pid,
        usedMemoryMiB: smiNumber(textAt(p, "used_memory"), "MiB"),
        name: smiText(textAt(p, "process_name")),
        type: smiText(textAt(p, "type")),
        gpuInstanceId: smiInt(textAt(p, "gpu_instance_id")),
        computeInstanceId: smiInt(textAt(p, "compute_instance_id")),
      },
    ];
  });
}

/** Board power in W across the schema renames; null when every candidate is N/A. */
function powerDraw(gpu: XmlElement): number | null {
  for (const block of ["gpu_power_readings", "power_readings"]) {
    for (const field of ["power_draw", "average_power_draw", "instant_power_draw"]) {
      const w = smiNumber(textAt(gpu, `${block}/${field}`), "W");
      if (w !== null) return w;
    }
  }
  return null;
}

function gpuInfo(
  gpu: XmlElement,
  index: number,
  driverVersion: string | null,
  cudaVersion: string | null,
): GpuInfo {
  const name = smiText(textAt(gpu, "product_name")) ?? "unknown";
  const uuid = smiText(textAt(gpu, "uuid"));
  if (uuid === null) throw new SmiParseError(`GPU ${index} (${name}) has no <uuid>`);
  const memoryMiB = smiNumber(textAt(gpu, "fb_memory_usage/total"), "MiB");
  if (memoryMiB === null) throw new SmiParseError(`GPU ${index} (${name}) has no fb_memory_usage/total`);
  const model = findGpuModel(name);
  const mode = child(gpu, "mig_mode");
  return {
    index,
    uuid,
    name,
    model: model?.name ?? name,
    memoryMiB,
    usedMemoryMiB: smiNumber(textAt(gpu, "fb_memory_usage/used"), "MiB"),
    driverVersion,
    cudaVersion,
    computeMode: smiText(textAt(gpu, "compute_mode")),
    migMode: migMode(textAt(mode, "current_mig")),
    migPendingMode: mode ? migMode(textAt(mode, "pending_mig")) : null,
    migDevices: migDevices(gpu, model),
    processes: processes(gpu),
    utilizationPercent: smiNumber(textAt(gpu, "utilization/gpu_util"), "%"),
    temperatureC: smiNumber(textAt(gpu, "temperature/gpu_temp"), "C"),
    powerDrawW: powerDraw(gpu),
    pciBusId: gpu.attrs.id ?? smiText(textAt(gpu, "pci/pci_bus_id")),
    minorNumber: smiInt(textAt(gpu, "minor_number")),
    cpuAffinity: null,
    numaNode: null,
    simulated: false,
  };
}

/** "535.54.03", or the version at the start of "610.57.04 [Deprecated; …]"; null when none. */
function leadingVersion(text: string | undefined): string | null {
  const m = /^\s*(\d+(?:\.\d+)+)/.exec(text ?? "");
  return m ? m[1]! : null;
}

export function parseSmiXml(source: string): SmiXmlReport {
  let root: XmlElement;
  try {
    root = parseXml(source);
  } catch (err) {
    if (err instanceof XmlError)
      throw new SmiParseError(`nvidia-smi -q -x output is not valid XML: ${err.message}`);
    throw err;
  }
  if (root.name !== "nvidia_smi_log") {
    throw new SmiParseError(`expected <nvidia_smi_log> as the root element, found <${root.name}>`);
  }
  // Driver 610 renames these to "KMD version" / "CUDA UMD version" and marks the old ones deprecated
  // (seen in `-q` text); take whichever holds a version number.
  const driverVersion =
    leadingVersion(textAt(root, "driver_version")) ?? leadingVersion(textAt(root, "kmd_version"));
  const cudaVersion =
    leadingVersion(textAt(root, "cuda_version")) ?? leadingVersion(textAt(root, "cuda_umd_version"));
  // nvidia-smi lists GPUs in index (PCI bus) order; the XML carries no explicit index.
  const gpus = childrenNamed(root, "gpu").map((g, i) => gpuInfo(g, i, driverVersion, cudaVersion));
  return { driverVersion, cudaVersion, attachedGpus: smiInt(textAt(root, "attached_gpus")), gpus };
}
