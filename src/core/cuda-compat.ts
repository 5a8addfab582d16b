import { GpupoolError } from "./errors.js";

/**
 * CUDA toolkit vs. NVIDIA driver compatibility, after ../shared/design/GPU-FACTS.md (CUDA 13.2 Update 2
 * release notes, Tables 2 and 3, and NVIDIA's "CUDA Compatibility" guide). Pure: no I/O.
 *
 * Rules, in order:
 *  1. driver >= the toolkit's GA (release) driver            → `compatible`
 *  2. driver >= the minimum of the toolkit's major family     → `minor-version-compatible`
 *     (runs; PTX JIT of newer PTX and features that need the newer driver may fail)
 *  3. toolkit major newer than the driver's                  → `forward-compat` when the image ships
 *     cuda-compat AND the GPU is a datacenter part, else `incompatible`
 *  4. anything else                                          → `incompatible`
 */

export type CudaVerdict = "compatible" | "minor-version-compatible" | "forward-compat" | "incompatible";

/** Linux x86_64 GA driver of each toolkit release (GPU-FACTS.md), oldest first. */
export const CUDA_GA_DRIVERS: readonly (readonly [toolkit: string, driver: string])[] = [
  ["11.0", "450.51.05"],
  ["11.1", "455.23"],
  ["11.2", "460.27.03"],
  ["11.3", "465.19.01"],
  ["11.4", "470.42.01"],
  ["11.5", "495.29.05"],
  ["11.6", "510.39.01"],
  ["11.7", "515.43.04"],
  ["11.8", "520.61.05"],
  ["12.0", "525.60.13"],
  ["12.1", "530.30.02"],
  ["12.2", "535.54.03"],
  ["12.3", "545.23.06"],
  ["12.4", "550.54.14"],
  ["12.5", "555.42.02"],
  ["12.6", "560.28.03"],
  ["12.8", "570.26"],
  ["12.9", "575.51.03"],
  ["13.0", "580.65.06"],
  ["13.1", "590.44.01"],
  ["13.2", "595.45.04"],
];

/**
 * Minimum driver for minor-version compatibility within a major family (GPU-FACTS.md). For 11.x the
 * family floor is 450, but minor-version compatibility itself needs 450.80.02, so that is the bound used.
 */
export const CUDA_FAMILY_MINIMUM: Readonly<Record<number, string>> = {
  11: "450.80.02",
  12: "525",
  13: "580",
};

/** A parsed driver version: numeric components, e.g. [535, 104, 5]. */
export type DriverVersion = readonly number[];

export function parseDriverVersion(text: string): DriverVersion {
  const t = text.trim();
  if (!/^\d+(\.\d+){0,2}$/.test(t)) {
    throw new GpupoolError("GP_INVALID_DRIVER_VERSION", `invalid driver version "${text}"`, { driver: text });
  }
  return t.split(".").map(Number);
}

/** Compares driver versions component by component (missing components count as 0). */
export function compareDriver(a: DriverVersion, b: DriverVersion): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export interface CudaVersion {
  readonly major: number;
  readonly minor: number;
}

/** "12.4", "12.4.1" (patch ignored) or "12" (= 12.0). */
export function parseCudaVersion(text: string): CudaVersion {
  const m = /^\s*(\d+)(?:\.(\d+))?(?:\.\d+)?\s*$/.exec(text);
  if (!m) throw new GpupoolError("GP_INVALID_CUDA_VERSION", `invalid CUDA version "${text}"`, { cuda: text });
  return { major: Number(m[1]), minor: Number(m[2] ?? 0) };
}

function cmpCuda(a: CudaVersion, b: CudaVersion): number {
  return a.major - b.major || a.minor - b.minor;
}

const fmt = (v: CudaVersion) => `${v.major}.${v.minor}`;
const GA = CUDA_GA_DRIVERS.map(([t, d]) => ({
  cuda: parseCudaVersion(t),
  driver: d,
  parsed: parseDriverVersion(d),
}));

/** The newest CUDA version a driver fully supports (largest toolkit whose GA driver <= it), or null (< 11.0). */
export function driverCudaVersion(driver: string | DriverVersion): CudaVersion | null {
  const d = typeof driver === "string" ? parseDriverVersion(driver) : driver;
  let best: CudaVersion | null = null;
  for (const g of GA) if (compareDriver(d, g.parsed) >= 0) best = g.cuda;
  return best;
}

/**
 * The GA driver that fully supports a toolkit. A release missing from the table (e.g. 12.7) takes the
 * next listed release's driver (a safe upper bound); null when the toolkit is newer than the table.
 */
export function gaDriverFor(cuda: CudaVersion): string | null {
  return GA.find((g) => cmpCuda(g.cuda, cuda) >= 0)?.driver ?? null;
}

export interface CudaCompatQuery {
  /** Toolkit the image needs, "MAJOR.MINOR[.PATCH]". */
  readonly cuda: string;
  /** Host driver as nvidia-smi prints it, e.g. "535.104.05". */
  readonly driver: string;
  /** The image ships the cuda-compat package (forward compatibility). Default false. */
  readonly forwardCompat?: boolean;
  /** The GPU is a datacenter part (catalog `datacenter`); forward compatibility needs one. Default false. */
  readonly datacenter?: boolean;
}

export interface CudaCompatResult {
  readonly verdict: CudaVerdict;
  /** GA driver of the toolkit: the minimum for full compatibility; null when the toolkit is newer than the table. */
  readonly requiredDriver: string | null;
  /** Minimum driver of the toolkit's major family for minor-version compatibility; null for unknown families. */
  readonly familyMinimumDriver: string | null;
  /** The newest CUDA the driver fully supports, "MAJOR.MINOR"; null below 11.0's GA driver. */
  readonly driverCuda: string | null;
  readonly explanation: string;
  /** Things that may still fail even though the verdict lets the container run. */
  readonly warnings: readonly string[];
}

/** Judges one (toolkit, driver) pair; throws GP_INVALID_* on malformed versions. */
export function judgeCuda(q: CudaCompatQuery): CudaCompatResult {
  const cuda = parseCudaVersion(q.cuda);
  const driver = parseDriverVersion(q.driver);
  const driverText = q.driver.trim();
  const ga = gaDriverFor(cuda);
  const famMinText = CUDA_FAMILY_MINIMUM[cuda.major] ?? null;
  const famMin = famMinText === null ? null : parseDriverVersion(famMinText);
  const driverCuda = driverCudaVersion(driver);
  const base = {
    requiredDriver: ga,
    familyMinimumDriver: famMinText,
    driverCuda: driverCuda && fmt(driverCuda),
  };
  const need =
    ga === null ? `(CUDA ${fmt(cuda)} is newer than gpupool's driver table, which ends at 13.2)` : `>= ${ga}`;
  const famNote =
    famMinText === null
      ? ""
      : `; CUDA ${cuda.major}.x runs with minor-version compatibility from ${famMinText}`;

  // Toolkits older than 11.0 (no GA table here): any driver that fully supports 11.0 runs them.
  if (cuda.major < 11) {
    const ok = driverCuda !== null;
    return {
      ...base,
      requiredDriver: "450.51.05",
      verdict: ok ? "compatible" : "incompatible",
      explanation: ok
        ? `driver ${driverText} supports CUDA ${base.driverCuda}, newer than ${fmt(cuda)} (backward compatibility)`
        : `CUDA ${fmt(cuda)} predates gpupool's driver table; driver ${driverText} is older than 450.51.05 (the 11.0 GA driver), so it cannot be confirmed`,
      warnings: [],
    };
  }

  if (ga !== null && compareDriver(driver, parseDriverVersion(ga)) >= 0) {
    return {
      ...base,
      verdict: "compatible",
      explanation: `driver ${driverText} >= ${ga}, the CUDA ${fmt(cuda)} GA driver: fully compatible`,
      warnings: [],
    };
  }

  // Below the GA driver but at or above the family floor (which is <= the family's first GA driver).
  if (famMin !== null && compareDriver(driver, famMin) >= 0) {
    const warning =
      `driver ${driverText} fully supports only CUDA ${base.driverCuda}: JIT compilation of PTX newer than ${base.driverCuda} ` +
      `fails (ship SASS for the GPU), and APIs/features added in CUDA ${base.driverCuda}–${fmt(cuda)} that need the newer ` +
      `driver return cudaErrorCallRequiresNewerDriver`;
    return {
      ...base,
      verdict: "minor-version-compatible",
      explanation: `driver ${driverText} is below the CUDA ${fmt(cuda)} GA driver (${need}) but >= the CUDA ${cuda.major}.x minimum ${famMinText}: runs under minor-version compatibility; ${warning}. Upgrade to ${ga ?? "a newer driver"} for full compatibility`,
      warnings: [warning],
    };
  }

  const driverMajor = driverCuda?.major ?? 10;
  if (cuda.major > driverMajor) {
    const fc = q.forwardCompat === true;
    const dc = q.datacenter === true;
    if (fc && dc) {
      const warning =
        "forward compatibility works only on the driver branches the image's cuda-compat package supports, and not for graphics (OpenGL/Vulkan) interop";
      return {
        ...base,
        verdict: "forward-compat",
        explanation: `CUDA ${fmt(cuda)} is newer than driver ${driverText} supports (CUDA ${base.driverCuda ?? "< 11.0"}); it runs through the image's cuda-compat package on this datacenter GPU. Without it the driver must be ${need}${famNote}`,
        warnings: [warning],
      };
    }
    const missing = [
      fc ? null : "the image has no cuda-compat package",
      dc ? null : "the GPU is not a datacenter part",
    ].filter(Boolean);
    return {
      ...base,
      verdict: "incompatible",
      explanation: `CUDA ${fmt(cuda)} needs driver ${need}${famNote}; driver ${driverText} supports only CUDA ${base.driverCuda ?? "< 11.0"}, and forward compatibility is not possible (${missing.join(" and ")})`,
      warnings: [],
    };
  }

  return {
    ...base,
    verdict: "incompatible",
    explanation: `CUDA ${fmt(cuda)} needs driver ${need}${famNote}; driver ${driverText} is below both (minor-version compatibility in ${cuda.major}.x starts at ${famMinText ?? "an unknown driver"})`,
    warnings: [],
  };
}

/** Whether a workload's CUDA requirement can run on a node's driver (any verdict but `incompatible`). */
export function cudaFits(
  requirement: { readonly version: string; readonly forwardCompat?: boolean },
  driverVersion: string,
  datacenter: boolean,
): boolean {
  return (
    judgeCuda({
      cuda: requirement.version,
      driver: driverVersion,
      forwardCompat: requirement.forwardCompat,
      datacenter,
    }).verdict !== "incompatible"
  );
}
