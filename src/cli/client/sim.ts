import { type SimCliOptions, simJson, simulate } from "../../sim/cli.js";
import { formatTable } from "../../sim/summary.js";
import { type Io, stdio } from "./jobs.js";
import { emit, type FormatFlags, outputFormat } from "./output.js";

/** `sim`: replays the trace and prints the allocation per policy (a table, or the --json document). */
export async function simCommand(
  opts: Omit<SimCliOptions, "json"> & FormatFlags,
  io: Io = stdio,
): Promise<number> {
  const format = outputFormat(opts);
  const summaries = await simulate({ ...opts, json: format === "json" || format === "yaml" });
  emit(
    format,
    simJson(summaries),
    () => `${formatTable(summaries)}\n${opts.plot ? `plot written to ${opts.plot}\n` : ""}`,
    io.out,
  );
  return 0;
}
