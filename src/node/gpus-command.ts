import { GpupoolError } from "../core/errors.js";
import { discoverGpus } from "./discover.js";
import type { GpuInventory } from "./gpu-info.js";
import { gpusJson, renderCatalog, renderGpusTable } from "./gpus-report.js";
import { containersOfPids } from "./proc-cgroup.js";
import { loadSavedFiles, type SavedFiles } from "./saved-files.js";
import { renderSavedSections, savedJson } from "./saved-report.js";
import { simulateGpus } from "./simulate.js";
import { nvidiaSmiRunner } from "./smi-runner.js";

/** Options of `gpupool gpus` as commander hands them over. */
export interface GpusOptions {
  readonly simulate?: string;
  readonly nvidiaSmiXml?: string;
  /** Saved `nvidia-smi topo -m`. */
  readonly nvidiaSmiTopo?: string;
  /** Saved `nvidia-smi -L`. */
  readonly nvidiaSmiList?: string;
  /** Saved `nvidia-smi mig -lgip / -lgipp / -lgi / -lci` (one or several, one after the other). */
  readonly nvidiaSmiMig?: string;
  readonly json?: boolean;
  readonly catalog?: boolean;
  /** nvidia-smi deadline in ms, as text from the command line. */
  readonly timeout?: string;
}

/** Adds the container of every process (from /proc/PID/cgroup): only for GPUs on this host. */
async function withContainers(inv: GpuInventory): Promise<GpuInventory> {
  const owners = await containersOfPids(inv.gpus.flatMap((g) => g.processes.map((p) => p.pid)));
  return {
    ...inv,
    gpus: inv.gpus.map((g) => ({
      ...g,
      processes: g.processes.map((p) => ({ ...p, containerId: owners.get(p.pid) ?? null })),
    })),
  };
}

function savedFiles(opts: GpusOptions): SavedFiles | null {
  const files: SavedFiles = {
    ...(opts.nvidiaSmiXml !== undefined ? { xml: opts.nvidiaSmiXml } : {}),
    ...(opts.nvidiaSmiTopo !== undefined ? { topo: opts.nvidiaSmiTopo } : {}),
    ...(opts.nvidiaSmiList !== undefined ? { list: opts.nvidiaSmiList } : {}),
    ...(opts.nvidiaSmiMig !== undefined ? { mig: opts.nvidiaSmiMig } : {}),
  };
  return Object.keys(files).length > 0 ? files : null;
}

export async function loadInventory(opts: GpusOptions): Promise<GpuInventory> {
  const files = savedFiles(opts);
  if (opts.simulate !== undefined && files !== null) {
    throw new GpupoolError(
      "GP_INVALID_ARGUMENT",
      "--simulate cannot be used with saved nvidia-smi files (--nvidia-smi-xml/-topo/-list/-mig)",
    );
  }
  if (opts.simulate !== undefined) return simulateGpus(opts.simulate);
  if (files !== null) {
    if (files.xml === undefined)
      throw new GpupoolError("GP_INVALID_ARGUMENT", "a GPU inventory needs --nvidia-smi-xml (a saved -q -x)");
    const saved = await loadSavedFiles(files);
    if (saved.kind === "inventory") return saved.inventory;
  }
  const timeoutMs = opts.timeout === undefined ? undefined : Number(opts.timeout);
  if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || timeoutMs < 100)) {
    throw new GpupoolError(
      "GP_INVALID_ARGUMENT",
      `--timeout must be a whole number of milliseconds >= 100, got "${opts.timeout}"`,
    );
  }
  return withContainers(await discoverGpus(nvidiaSmiRunner({ timeoutMs })));
}

export async function runGpusCommand(
  opts: GpusOptions,
  write: (s: string) => void = (s) => process.stdout.write(s),
) {
  if (opts.catalog) {
    write(
      opts.json
        ? `${JSON.stringify({ models: (await import("../core/catalog.js")).GPU_MODELS }, null, 2)}\n`
        : renderCatalog(),
    );
    return;
  }
  const files = savedFiles(opts);
  if (files !== null && files.xml === undefined && opts.simulate === undefined) {
    // topo -m / -L / mig listings without a -q -x: report each file on its own.
    const saved = await loadSavedFiles(files);
    if (saved.kind === "sections") {
      write(
        opts.json
          ? `${JSON.stringify(savedJson(saved.sections), null, 2)}\n`
          : renderSavedSections(saved.sections),
      );
      return;
    }
  }
  const inv = await loadInventory(opts);
  write(opts.json ? `${JSON.stringify(gpusJson(inv), null, 2)}\n` : renderGpusTable(inv));
}
