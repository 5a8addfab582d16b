import { GpupoolError } from "../core/errors.js";
import { discoverGpus, inventoryFromXmlFile } from "./discover.js";
import type { GpuInventory } from "./gpu-info.js";
import { gpusJson, renderCatalog, renderGpusTable } from "./gpus-report.js";
import { containersOfPids } from "./proc-cgroup.js";
import { simulateGpus } from "./simulate.js";
import { nvidiaSmiRunner } from "./smi-runner.js";

/** Options of `gpupool gpus` as commander hands them over. */
export interface GpusOptions {
  readonly simulate?: string;
  readonly nvidiaSmiXml?: string;
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

export async function loadInventory(opts: GpusOptions): Promise<GpuInventory> {
  if (opts.simulate !== undefined && opts.nvidiaSmiXml !== undefined) {
    throw new GpupoolError("GP_INVALID_ARGUMENT", "--simulate and --nvidia-smi-xml cannot be used together");
  }
  if (opts.simulate !== undefined) return simulateGpus(opts.simulate);
  if (opts.nvidiaSmiXml !== undefined) return inventoryFromXmlFile(opts.nvidiaSmiXml);
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
  const inv = await loadInventory(opts);
  write(opts.json ? `${JSON.stringify(gpusJson(inv), null, 2)}\n` : renderGpusTable(inv));
}
