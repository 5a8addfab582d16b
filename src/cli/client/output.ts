import { stringify as toYaml } from "yaml";
import { GpupoolError } from "../../core/errors.js";

/**
 * The one output convention of the CLI, like kubectl's: `-o table` (the default: human units),
 * `-o wide` (the table with more columns), `-o json` and `-o yaml` (the API's documents as they
 * came, ISO times and raw units, for scripts). Every command that prints data goes through emit().
 */

export const OUTPUT_FORMATS = ["table", "wide", "json", "yaml"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface FormatFlags {
  /** -o/--output as given. */
  readonly output?: string;
  /** --json, where a command had it before -o: an alias of `-o json`. */
  readonly json?: boolean;
}

/**
 * The format the flags ask for (`fallback` when none: `get` prints YAML); GP_INVALID_ARGUMENT for
 * an unknown format, or for --json next to another -o.
 */
export function outputFormat(
  flags: FormatFlags | string | undefined,
  fallback: OutputFormat = "table",
): OutputFormat {
  const f: FormatFlags = typeof flags === "string" || flags === undefined ? { output: flags } : flags;
  const v = f.output;
  if (f.json && v !== undefined && v !== "json")
    throw new GpupoolError("GP_INVALID_ARGUMENT", `--json is -o json; it cannot go with -o ${v}`);
  if (f.json) return "json";
  if (v === undefined) return fallback;
  if ((OUTPUT_FORMATS as readonly string[]).includes(v)) return v as OutputFormat;
  throw new GpupoolError("GP_INVALID_ARGUMENT", `-o must be one of ${OUTPUT_FORMATS.join(", ")}, got "${v}"`);
}

/** A table column: its header and the cell of each row; `wide` columns only appear with -o wide. */
export interface Column<T> {
  readonly header: string;
  readonly cell: (row: T) => string;
  readonly wide?: boolean;
}

/** Columns padded to their widest cell; an empty list prints the header only. */
export function grid(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}

/** The rows as a table of `columns` (with -o wide, the wide ones too). */
export function table<T>(columns: readonly Column<T>[], rows: readonly T[], wide = false): string {
  const shown = columns.filter((c) => wide || !c.wide);
  return grid(
    shown.map((c) => c.header),
    rows.map((r) => shown.map((c) => c.cell(r))),
  );
}

/** Writes `doc` as JSON or YAML, or the table `render` makes (wide: for -o wide). */
export function emit(
  format: OutputFormat,
  doc: unknown,
  render: (wide: boolean) => string,
  write: (s: string) => void = (s) => void process.stdout.write(s),
): void {
  write(formatted(format, doc, render));
}

/** What emit() writes. */
export function formatted(format: OutputFormat, doc: unknown, render: (wide: boolean) => string): string {
  if (format === "json") return `${JSON.stringify(doc, null, 2)}\n`;
  if (format === "yaml") return toYaml(doc);
  return render(format === "wide");
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

/**
 * A table printed a batch of rows at a time (`events -f`): the header with the first batch, then
 * rows only, padded to the widest cell seen so far so that the columns stay lined up.
 */
export class TableStream<T> {
  private readonly shown: readonly Column<T>[];
  private widths: number[] | undefined;

  constructor(columns: readonly Column<T>[], wide = false) {
    this.shown = columns.filter((c) => wide || !c.wide);
  }

  /** The text for these rows (with the header the first time). */
  rows(rows: readonly T[]): string {
    const cells = rows.map((r) => this.shown.map((c) => c.cell(r)));
    const first = this.widths === undefined;
    const header = this.shown.map((c) => c.header);
    this.widths = header.map((h, i) =>
      Math.max(this.widths?.[i] ?? h.length, ...cells.map((r) => (r[i] ?? "").length)),
    );
    const widths = this.widths;
    const line = (cs: readonly string[]) =>
      cs
        .map((c, i) => (i === cs.length - 1 ? c : c.padEnd(widths[i]!)))
        .join("  ")
        .trimEnd();
    return [...(first ? [line(header)] : []), ...cells.map(line)].map((l) => `${l}\n`).join("");
  }
}

/** One item of a stream (`events -f -o json|yaml`): a JSON line, or a YAML document after `---`. */
export function streamed(format: "json" | "yaml", item: unknown): string {
  return format === "json" ? `${JSON.stringify(item)}\n` : `---\n${toYaml(item)}`;
}
