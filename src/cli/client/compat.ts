import { type CompatJson, type CompatOptions, compatJson } from "../../node/compat-command.js";
import { type Io, stdio } from "./jobs.js";
import { emit, type FormatFlags, outputFormat } from "./output.js";

/** The exit status of an `incompatible` verdict (any other verdict exits 0), like a failed check. */
export const INCOMPATIBLE_EXIT = 1;

function verdictText(r: CompatJson): string {
  const lines = [
    `${r.verdict}: CUDA ${r.cuda ?? "(none declared)"}${r.image ? ` (image ${r.image})` : ""} on driver ${r.driver}`,
    `  ${r.explanation}`,
    `  required driver: ${r.requiredDriver ?? "unknown"}${r.familyMinimumDriver ? ` (family minimum for minor-version compatibility: ${r.familyMinimumDriver})` : ""}`,
    ...r.warnings.map((w) => `  warning: ${w}`),
  ];
  return `${lines.join("\n")}\n`;
}

/** `compat`: the verdict as text or a document; exits INCOMPATIBLE_EXIT on an incompatible verdict. */
export async function compatCommand(opts: CompatOptions & FormatFlags, io: Io = stdio): Promise<number> {
  const format = outputFormat(opts);
  const r = await compatJson(opts);
  emit(format, r, () => verdictText(r), io.out);
  return r.verdict === "incompatible" ? INCOMPATIBLE_EXIT : 0;
}
