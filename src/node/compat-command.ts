import { findGpuModel } from "../core/catalog.js";
import { judgeCuda } from "../core/cuda-compat.js";
import { GpupoolError } from "../core/errors.js";
import { discoverGpus } from "./discover.js";
import { imageCudaRequirement, inspectImageEnv, judgeImageCuda } from "./image-cuda.js";
import { nvidiaSmiRunner } from "./smi-runner.js";

/** Options of `gpupool compat` as commander hands them over. */
export interface CompatOptions {
  readonly cuda?: string;
  readonly driver?: string;
  readonly image?: string;
  readonly forwardCompat?: boolean;
  readonly datacenter?: boolean;
  readonly gpu?: string;
  readonly brand?: string;
  readonly engine?: string;
  readonly json?: boolean;
}

/** The `--json` contract: verdict, requiredDriver, explanation (plus detail fields). */
export interface CompatJson {
  readonly verdict: string;
  readonly requiredDriver: string | null;
  readonly explanation: string;
  readonly familyMinimumDriver: string | null;
  readonly driverCuda: string | null;
  readonly warnings: readonly string[];
  readonly cuda: string | null;
  readonly driver: string;
  readonly image?: string;
  readonly bypassed?: boolean;
}

async function hostDriver(): Promise<string> {
  const inv = await discoverGpus(nvidiaSmiRunner());
  const d = inv.gpus.find((g) => g.driverVersion)?.driverVersion;
  if (!d)
    throw new GpupoolError("GP_INVALID_ARGUMENT", "no driver version found on this host; pass --driver");
  return d;
}

export async function compatJson(opts: CompatOptions): Promise<CompatJson> {
  if ((opts.cuda === undefined) === (opts.image === undefined)) {
    throw new GpupoolError("GP_INVALID_ARGUMENT", "give exactly one of --cuda VERSION or --image REF");
  }
  let datacenter = opts.datacenter === true;
  if (opts.gpu !== undefined) {
    const model = findGpuModel(opts.gpu);
    if (!model)
      throw new GpupoolError("GP_UNKNOWN_GPU_MODEL", `unknown GPU model "${opts.gpu}"`, { model: opts.gpu });
    datacenter = datacenter || model.datacenter;
  }
  const driver = opts.driver ?? (await hostDriver());
  if (opts.cuda !== undefined) {
    const r = judgeCuda({ cuda: opts.cuda, driver, forwardCompat: opts.forwardCompat === true, datacenter });
    // The contract's three keys first.
    const { verdict, requiredDriver, explanation, ...more } = r;
    return { verdict, requiredDriver, explanation, ...more, cuda: opts.cuda, driver };
  }
  const engines = opts.engine ? [opts.engine] : ["podman", "docker"];
  const req = imageCudaRequirement(await inspectImageEnv(opts.image!, engines));
  const r = judgeImageCuda(
    { ...req, forwardCompat: req.forwardCompat || opts.forwardCompat === true },
    { driver, datacenter, brand: opts.brand },
  );
  const { verdict, requiredDriver, explanation, fits: _fits, ...more } = r;
  return { verdict, requiredDriver, explanation, ...more, cuda: req.cudaVersion, driver, image: opts.image };
}

export async function runCompatCommand(
  opts: CompatOptions,
  write: (s: string) => void = (s) => process.stdout.write(s),
) {
  const r = await compatJson(opts);
  if (opts.json) {
    write(`${JSON.stringify(r, null, 2)}\n`);
    return;
  }
  const lines = [
    `${r.verdict}: CUDA ${r.cuda ?? "(none declared)"}${r.image ? ` (image ${r.image})` : ""} on driver ${r.driver}`,
    `  ${r.explanation}`,
    `  required driver: ${r.requiredDriver ?? "unknown"}${r.familyMinimumDriver ? ` (family minimum for minor-version compatibility: ${r.familyMinimumDriver})` : ""}`,
    ...r.warnings.map((w) => `  warning: ${w}`),
  ];
  write(`${lines.join("\n")}\n`);
}
