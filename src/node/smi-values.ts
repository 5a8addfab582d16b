/**
 * nvidia-smi prints every value as text, usually with a unit after a space ("81920 MiB", "67.03 W",
 * "97 %", "66 C"), and prints missing values as `N/A`, `[N/A]`, `Requested functionality has been
 * deprecated`, `[Function Not Found]`, `Unknown Error` or nothing at all. These helpers turn such
 * text into numbers or null; they never turn "missing" into 0.
 */

const NUMBER_WITH_UNIT = /^(-?\d+(?:\.\d+)?)\s*([A-Za-z%/]*)$/;

/** True for the ways nvidia-smi says "no value". */
export function isMissing(text: string | undefined | null): boolean {
  if (text === undefined || text === null) return true;
  const t = text
    .trim()
    .replace(/^\[(.*)\]$/, "$1")
    .trim();
  return (
    t === "" ||
    /^n\/a$/i.test(t) ||
    /^not supported$/i.test(t) ||
    /deprecated/i.test(t) ||
    /^function not found$/i.test(t) ||
    /^unknown error$/i.test(t) ||
    /^insufficient permissions$/i.test(t)
  );
}

/** The text with surrounding brackets/space removed, or null when it is a "no value" marker. */
export function smiText(text: string | undefined | null): string | null {
  if (isMissing(text)) return null;
  return text!.trim();
}

/**
 * A number from "81920 MiB" / "67.03 W" / "97 %" / "16" / "0x1F" (hex). When `unit` is given, a
 * value with a different unit is rejected (null) so a renamed field with new units is not misread.
 */
export function smiNumber(text: string | undefined | null, unit?: string): number | null {
  if (isMissing(text)) return null;
  const t = text!.trim().replace(/^\[(.*)\]$/, "$1");
  if (/^0x[0-9a-f]+$/i.test(t)) return Number.parseInt(t.slice(2), 16);
  const m = NUMBER_WITH_UNIT.exec(t);
  if (!m) return null;
  if (unit !== undefined && m[2] !== "" && m[2] !== unit) return null;
  return Number(m[1]);
}

/** An integer (pid, index, instance id) or null. */
export function smiInt(text: string | undefined | null): number | null {
  const n = smiNumber(text);
  return n !== null && Number.isInteger(n) ? n : null;
}
