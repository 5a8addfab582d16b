/**
 * Kubernetes resource quantities ("250m", "2", "10Gi", "1e3", "64M") as numbers. The API server
 * already validated the syntax of anything it stored; this reads it into gpupool's units.
 */

const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/;

/** The value of a quantity in its base unit (cores, bytes, a count); NaN when it is not one. */
export function quantityValue(q: string | number | undefined): number {
  if (q === undefined) return 0;
  if (typeof q === "number") return q;
  const m = QUANTITY.exec(q.trim());
  if (!m) return Number.NaN;
  const base = Number(m[1]);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  return base * SUFFIX[m[3] ?? ""]!;
}

/** CPU in milli, rounded up (a request of 0.0001 still asks for 1m, as Kubernetes rounds). */
export function cpuMilliOf(q: string | number | undefined): number {
  const v = quantityValue(q);
  return v > 0 ? Math.ceil(v * 1000 - 1e-9) : 0;
}

/** Memory in MiB, rounded up (a request), or down with `floor` (a capacity). */
export function memoryMiBOf(q: string | number | undefined, round: "up" | "down" = "up"): number {
  const mib = quantityValue(q) / 2 ** 20;
  if (!(mib > 0)) return 0;
  return round === "up" ? Math.ceil(mib - 1e-9) : Math.floor(mib + 1e-9);
}
