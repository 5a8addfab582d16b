import { GpupoolError } from "../core/errors.js";
import type { ProfileInput } from "./framework/profile.js";
import { Registry } from "./framework/registry.js";
import { baselineRegistrations } from "./plugins/baseline-scores.js";
import { deviceRegistrations } from "./plugins/devices.js";
import { fgdRegistrations, type TypicalPod } from "./plugins/fgd.js";
import { cudaRegistrations } from "./plugins/cuda.js";
import { fitRegistrations } from "./plugins/fit.js";
import { gpupoolRegistrations } from "./plugins/gpupool-score.js";

/** Every plugin gpupool ships. A caller may register more on its own Registry. */
export function builtinRegistry(): Registry {
  return new Registry({
    ...fitRegistrations,
    ...cudaRegistrations,
    ...deviceRegistrations,
    ...baselineRegistrations,
    ...fgdRegistrations,
    ...gpupoolRegistrations,
  });
}

export const POLICIES = [
  "random",
  "dotprod",
  "clustering",
  "packing",
  "bestfit",
  "fgd",
  "binpack",
  "spread",
  "default",
] as const;
export type Policy = (typeof POLICIES)[number];

export function isPolicy(name: string): name is Policy {
  return (POLICIES as readonly string[]).includes(name);
}

export function requirePolicy(name: string): Policy {
  if (!isPolicy(name)) {
    throw new GpupoolError("GP_UNKNOWN_POLICY", `unknown policy "${name}"; one of: ${POLICIES.join(", ")}`, {
      policy: name,
    });
  }
  return name;
}

export interface PolicyOptions {
  /** The target workload for fragmentation-aware policies (fgd, default). */
  readonly typicalPods?: readonly TypicalPod[];
  /** Every pod shape of the expected workload, for the default policy's reservations. */
  readonly demandPods?: readonly TypicalPod[];
  /** Extra args for the policy's score plugin (validated by that plugin's schema). */
  readonly scoreArgs?: Readonly<Record<string, unknown>>;
}

const FILTERS = ["NodeConstraints", "NodeResourcesFit", "GpuFit", "CudaCompat"];

/** The scheduling profile behind a policy name. */
export function policyProfile(policy: Policy, opts: PolicyOptions = {}): ProfileInput {
  const typicalPods = opts.typicalPods ? [...opts.typicalPods] : [];
  const base = { name: policy, filter: FILTERS, devices: "BestFitDevices" };
  const withArgs = (p: ProfileInput, plugin: string, args: Record<string, unknown>): ProfileInput => ({
    ...p,
    pluginArgs: { [plugin]: args },
  });
  if (opts.scoreArgs && policy !== "fgd" && policy !== "default") {
    throw new GpupoolError("GP_INVALID_PLUGIN_ARGS", `policy "${policy}" takes no score arguments`, {
      policy,
    });
  }
  switch (policy) {
    case "random":
      return { ...base, score: [{ name: "RandomScore" }], devices: "RandomDevices" };
    case "dotprod":
      return { ...base, score: [{ name: "DotProductScore" }] };
    case "clustering":
      return { ...base, score: [{ name: "ClusteringScore" }] };
    case "packing":
      return { ...base, score: [{ name: "PackingScore" }] };
    case "bestfit":
      return { ...base, score: [{ name: "BestFitScore" }] };
    case "binpack":
      return { ...base, score: [{ name: "BinpackScore" }] };
    case "spread":
      return { ...base, score: [{ name: "SpreadScore" }] };
    case "fgd":
      return withArgs({ ...base, score: [{ name: "FgdScore" }], devices: "FgdScore" }, "FgdScore", {
        typicalPods,
        ...opts.scoreArgs,
      });
    case "default":
      return withArgs(
        { ...base, score: [{ name: "GpupoolScore" }], devices: "GpupoolScore" },
        "GpupoolScore",
        {
          typicalPods,
          demandPods: opts.demandPods ? [...opts.demandPods] : [],
          ...opts.scoreArgs,
        },
      );
  }
}
