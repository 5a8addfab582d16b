import {
  type CudaCompatResult,
  compareDriver,
  driverCudaVersion,
  judgeCuda,
  parseCudaVersion,
  parseDriverVersion,
} from "../core/cuda-compat.js";
import { GpupoolError } from "../core/errors.js";
import { CommandStartError, runCommand } from "./run-command.js";

/**
 * A container image's CUDA requirement, from its environment as NVIDIA's images declare it:
 * `CUDA_VERSION=12.4.1`, `NVIDIA_REQUIRE_CUDA="cuda>=12.4 brand=tesla,driver>=470,driver<471 …"`
 * (space-separated alternatives are ORed, comma-separated constraints ANDed, as nvidia-container-cli
 * reads them) and `NVIDIA_DISABLE_REQUIRE=1` (skip the check). Driver-branch alternatives exist only
 * in images that ship cuda-compat, so their presence is taken to mean "forward compatibility possible".
 */

export interface RequireConstraint {
  readonly key: string;
  readonly op: ">=" | "<=" | ">" | "<" | "=";
  readonly value: string;
}

export interface ImageCudaRequirement {
  /** Toolkit version: CUDA_VERSION, else the `cuda>=` constraint; null when the image declares none. */
  readonly cudaVersion: string | null;
  /** NVIDIA_REQUIRE_CUDA as alternatives (OR) of constraints (AND); empty when unset. */
  readonly alternatives: readonly (readonly RequireConstraint[])[];
  readonly disableRequire: boolean;
  /** The image lists driver-branch alternatives, i.e. it ships cuda-compat. */
  readonly forwardCompat: boolean;
}

const CONSTRAINT = /^([a-z_]+)(>=|<=|=|>|<)(.+)$/i;

export function parseRequireCuda(text: string): RequireConstraint[][] {
  return text
    .trim()
    .split(/\s+/)
    .filter((s) => s !== "")
    .map((alt) =>
      alt.split(",").map((c) => {
        const m = CONSTRAINT.exec(c.trim());
        if (!m)
          throw new GpupoolError("GP_INVALID_SPEC", `NVIDIA_REQUIRE_CUDA: cannot read constraint "${c}"`, {
            constraint: c,
          });
        return { key: m[1]!.toLowerCase(), op: m[2] as RequireConstraint["op"], value: m[3]! };
      }),
    );
}

/** Reads the requirement from `KEY=value` env entries (as `image inspect` lists them). */
export function imageCudaRequirement(
  env: readonly string[] | Readonly<Record<string, string>>,
): ImageCudaRequirement {
  const map = new Map<string, string>();
  if (Array.isArray(env)) {
    for (const e of env as readonly string[]) {
      const i = e.indexOf("=");
      if (i > 0) map.set(e.slice(0, i), e.slice(i + 1));
    }
  } else {
    for (const [k, v] of Object.entries(env)) map.set(k, v);
  }
  const alternatives = parseRequireCuda(map.get("NVIDIA_REQUIRE_CUDA") ?? "");
  const fromRequire = alternatives
    .flat()
    .find((c) => c.key === "cuda" && (c.op === ">=" || c.op === "="))?.value;
  const cudaVersion = map.get("CUDA_VERSION")?.trim() || fromRequire || null;
  const disable = (map.get("NVIDIA_DISABLE_REQUIRE") ?? "").trim().toLowerCase();
  return {
    cudaVersion,
    alternatives,
    disableRequire: disable !== "" && disable !== "0" && disable !== "false",
    forwardCompat: alternatives.some((alt) => alt.some((c) => c.key === "driver")),
  };
}

function holds(c: RequireConstraint, driver: string, brand: string | undefined): boolean | "unknown" {
  const cmp = (d: number) =>
    c.op === ">=" ? d >= 0 : c.op === "<=" ? d <= 0 : c.op === ">" ? d > 0 : c.op === "<" ? d < 0 : d === 0;
  switch (c.key) {
    case "cuda": {
      const have = driverCudaVersion(driver);
      if (!have) return false;
      const want = parseCudaVersion(c.value);
      return cmp(have.major - want.major || have.minor - want.minor);
    }
    case "driver":
      return cmp(compareDriver(parseDriverVersion(driver), parseDriverVersion(c.value)));
    case "brand":
      return brand === undefined ? "unknown" : brand.toLowerCase() === c.value.toLowerCase();
    default:
      return "unknown"; // arch=… and future keys: not judged here
  }
}

export interface ImageCompatResult extends CudaCompatResult {
  /** NVIDIA_DISABLE_REQUIRE set: the engine will not check; the verdict says what would happen. */
  readonly bypassed: boolean;
  /** Whether the container can be started here (bypassed, or the verdict is not `incompatible`). */
  readonly fits: boolean;
}

export interface ImageCompatContext {
  readonly driver: string;
  readonly datacenter?: boolean;
  /** GPU brand as nvidia-container-cli names it (tesla, nvidia, geforce, …); unknown → brand constraints pass. */
  readonly brand?: string;
}

export function judgeImageCuda(req: ImageCudaRequirement, ctx: ImageCompatContext): ImageCompatResult {
  parseDriverVersion(ctx.driver);
  let result: CudaCompatResult;
  if (req.cudaVersion === null) {
    result = {
      verdict: "compatible",
      requiredDriver: null,
      familyMinimumDriver: null,
      driverCuda: null,
      explanation: "the image declares no CUDA requirement (no CUDA_VERSION or NVIDIA_REQUIRE_CUDA)",
      warnings: [],
    };
  } else {
    result = judgeCuda({
      cuda: req.cudaVersion,
      driver: ctx.driver,
      forwardCompat: req.forwardCompat,
      datacenter: ctx.datacenter,
    });
  }
  const warnings = [...result.warnings];
  if (req.alternatives.length > 0 && result.verdict !== "incompatible") {
    const outcomes = req.alternatives.map((alt) => alt.map((c) => holds(c, ctx.driver, ctx.brand)));
    const ok = outcomes.some((o) => o.every((x) => x !== false));
    if (!ok) {
      result = {
        ...result,
        verdict: "incompatible",
        explanation: `${result.explanation}; but nvidia-container-cli would refuse the container: no alternative of NVIDIA_REQUIRE_CUDA holds for driver ${ctx.driver}${ctx.brand ? ` (brand ${ctx.brand})` : ""}`,
      };
    } else if (!outcomes.some((o) => o.every((x) => x === true))) {
      // Passing only because a brand/arch constraint could not be checked.
      warnings.push("NVIDIA_REQUIRE_CUDA names a GPU brand or architecture gpupool could not check here");
    }
  }
  if (req.disableRequire) {
    warnings.push(
      `NVIDIA_DISABLE_REQUIRE=1: the CUDA requirement check is bypassed; the verdict (${result.verdict}) is what would happen, and the container may fail at CUDA initialisation`,
    );
  }
  return {
    ...result,
    warnings,
    bypassed: req.disableRequire,
    fits: req.disableRequire || result.verdict !== "incompatible",
  };
}

/**
 * Reads a local image's environment through Podman (or Docker): `image inspect --format '{{json .Config.Env}}'`.
 * Throws GP_IMAGE_NOT_FOUND when the engine does not have it, GP_ENGINE_UNAVAILABLE when neither runs.
 */
export async function inspectImageEnv(
  ref: string,
  engines: readonly string[] = ["podman", "docker"],
): Promise<string[]> {
  const tried: string[] = [];
  for (const engine of engines) {
    let r: Awaited<ReturnType<typeof runCommand>>;
    try {
      r = await runCommand(engine, ["image", "inspect", "--format", "{{json .Config.Env}}", ref], {
        timeoutMs: 30_000,
      });
    } catch (err) {
      if (err instanceof CommandStartError) {
        tried.push(`${engine}: not installed`);
        continue;
      }
      throw err;
    }
    if (r.code === 0) {
      const parsed: unknown = JSON.parse(r.stdout.trim() || "null");
      return Array.isArray(parsed) ? parsed.map(String) : [];
    }
    const msg = (r.stderr.trim() || r.stdout.trim()).split("\n")[0] ?? "";
    if (/no such image|image not known|not found/i.test(msg)) {
      throw new GpupoolError("GP_IMAGE_NOT_FOUND", `image "${ref}" is not in the local ${engine} store`, {
        image: ref,
        engine,
      });
    }
    tried.push(`${engine}: ${msg}`);
  }
  throw new GpupoolError("GP_ENGINE_UNAVAILABLE", `cannot inspect image "${ref}": ${tried.join("; ")}`, {
    image: ref,
  });
}
