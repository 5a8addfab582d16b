import { stringify as toYaml } from "yaml";
import { GpupoolError } from "../../core/errors.js";

export type OutputFormat = "table" | "json" | "yaml";

export function outputFormat(value: string | undefined): OutputFormat {
  const v = value ?? "table";
  if (v === "table" || v === "json" || v === "yaml") return v;
  throw new GpupoolError("GP_INVALID_ARGUMENT", `-o must be table, json or yaml, got "${v}"`);
}

/** Columns padded to their widest cell; an empty list prints the header only. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}

/** Writes `doc` as JSON or YAML, or the table `render` makes. */
export function emit(
  format: OutputFormat,
  doc: unknown,
  render: () => string,
  write: (s: string) => void = (s) => void process.stdout.write(s),
): void {
  if (format === "json") write(`${JSON.stringify(doc, null, 2)}\n`);
  else if (format === "yaml") write(toYaml(doc));
  else write(render());
}

/** "3s", "4m", "2h", "5d" since an ISO time. */
export function age(iso: string | null, now = Date.now()): string {
  if (!iso) return "-";
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}
