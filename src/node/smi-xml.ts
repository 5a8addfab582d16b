import { findGpuModel, type GpuModel } from "../core/catalog.js";
import type { GpuInfo, GpuProcessInfo, MigDeviceInfo, MigMode } from "./gpu-info.js";
import { inferMigProfile } from "./mig-infer.js";
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
    const copyEngines = smiInt(textAt(d, "device_attributes/shared/copy_engine_count"));
    const profile = inferMigProfile(model, { memoryMiB, sms: multiprocessors, copyEngines });
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
