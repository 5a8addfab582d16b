import { type SimCliOptions, simJson, simTable, simulate } from "../../sim/cli.js";
import { type Io, stdio } from "./jobs.js";
import { emit, type FormatFlags, outputFormat } from "./output.js";

/** `sim`: replays the trace and prints the allocation per policy (a table, or the --json document). */
export async function simCommand(
  opts: Omit<SimCliOptions, "json"> & FormatFlags,
  io: Io = stdio,
): Promise<number> {
  const format = outputFormat(opts);
  const r = await simulate({ ...opts, json: format === "json" || format === "yaml" });
  emit(format, simJson(r.summaries), () => `${simTable(r, opts.plot)}\n`, io.out);
  return 0;
}
