import { GPU_MODELS } from "../../core/catalog.js";
import { type GpusOptions, loadInventory } from "../../node/gpus-command.js";
import { gpusJson, renderCatalog, renderGpusTable } from "../../node/gpus-report.js";
import type { Io } from "./jobs.js";
import { stdio } from "./jobs.js";
import { emit, type FormatFlags, outputFormat } from "./output.js";

/** `gpus` (and `gpus --catalog`): this host's GPUs, or the models gpupool knows. */
export async function gpusCommand(opts: GpusOptions & FormatFlags, io: Io = stdio): Promise<number> {
  const format = outputFormat(opts);
  if (opts.catalog) {
    emit(format, { models: GPU_MODELS }, () => renderCatalog(), io.out);
    return 0;
  }
  const inv = await loadInventory(opts);
  emit(format, gpusJson(inv), () => renderGpusTable(inv), io.out);
  return 0;
}
