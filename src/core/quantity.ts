import { GpupoolError } from "./errors.js";

/**
 * Quantities are parsed once, at the edge, into integers in a fixed unit:
 *  - CPU and GPU compute in milli (1000 = one CPU / one whole GPU),
 *  - memory in MiB (2^20 bytes).
 * Values that cannot be represented exactly in those units are rejected, except decimal memory
 * units (k, M, G, T), which round UP to the next MiB as Kubernetes does for requests.
 */

const NUMBER = /^(\d+(?:\.\d+)?|\.\d+)$/;
const MILLI = /^(\d+)m$/;

function bad(what: string, input: string, why: string): GpupoolError {
  return new GpupoolError("GP_INVALID_QUANTITY", `invalid ${what} "${input}": ${why}`, { input, what });
}

function parseMilli(what: string, input: string | number, max: number): number {
  const text = String(input).trim();
  const m = MILLI.exec(text);
  let milli: number;
  if (m) {
    milli = Number(m[1]);
  } else if (NUMBER.test(text)) {
    const scaled = Number(text) * 1000;
    milli = Math.round(scaled);
    if (Math.abs(scaled - milli) > 1e-6) throw bad(what, text, "finer than 1/1000 (use at most 3 decimals)");
  } else {
    throw bad(what, text, "expected a number like 0.25 or 2, or milli like 250m");
  }
  if (!Number.isSafeInteger(milli) || milli > max)
    throw bad(what, text, `larger than the maximum ${max / 1000}`);
  return milli;
}

/** CPU: `250m`, `0.5`, `2` → milli-CPU. */
export function parseCpuMilli(input: string | number): number {
  return parseMilli("CPU quantity", input, 1_000_000_000);
}

/** A share of ONE GPU: `0.25`, `250m`, `1` → milli-GPU in 1..1000. */
export function parseGpuShareMilli(input: string | number): number {
  const milli = parseMilli("GPU share", input, 1000);
  if (milli <= 0) throw bad("GPU share", String(input), "must be greater than 0");
  return milli;
}

const BINARY: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1024 * 1024 };
const DECIMAL: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
const MEMORY = /^(\d+(?:\.\d+)?)\s*(Ki|Mi|Gi|Ti|k|M|G|T)?$/;

/** Memory: `512Mi`, `10Gi`, `1.5Gi`, `10G`, plain bytes → MiB. */
export function parseMemoryMiB(input: string | number): number {
  const text = String(input).trim();
  const m = MEMORY.exec(text);
  if (!m) throw bad("memory quantity", text, "expected e.g. 512Mi, 10Gi, 10G or a number of bytes");
  const value = Number(m[1]);
  const unit = m[2];
  let mib: number;
  if (unit === undefined) {
    mib = Math.ceil(value / 2 ** 20);
  } else if (unit in BINARY) {
    const exact = value * BINARY[unit]!;
    mib = Math.round(exact);
    if (Math.abs(exact - mib) > 1e-9) throw bad("memory quantity", text, "is not a whole number of MiB");
  } else {
    mib = Math.ceil((value * DECIMAL[unit]!) / 2 ** 20);
  }
  if (!Number.isSafeInteger(mib)) throw bad("memory quantity", text, "too large");
  return mib;
}

/** Formats milli as the shortest exact decimal: 250 → "0.25", 2000 → "2". */
export function formatMilli(milli: number): string {
  return String(milli / 1000);
}

/** Formats MiB with the largest binary unit that keeps it whole: 10240 → "10Gi". */
export function formatMiB(mib: number): string {
  if (mib !== 0 && mib % (1024 * 1024) === 0) return `${mib / (1024 * 1024)}Ti`;
  if (mib !== 0 && mib % 1024 === 0) return `${mib / 1024}Gi`;
  return `${mib}Mi`;
}
