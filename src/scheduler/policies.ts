import { GpupoolError } from "../core/errors.js";
import type { ProfileInput } from "./framework/profile.js";
import { Registry } from "./framework/registry.js";
import { baselineRegistrations } from "./plugins/baseline-scores.js";
import { deviceRegistrations } from "./plugins/devices.js";
import { fgdRegistrations, type TypicalPod } from "./plugins/fgd.js";
import { fitRegistrations } from "./plugins/fit.js";

/** Every plugin gpupool ships. A caller may register more on its own Registry. */
export function builtinRegistry(): Registry {
  return new Registry({
    ...fitRegistrations,
    ...deviceRegistrations,
    ...baselineRegistrations,
    ...fgdRegistrations,
  });
}

export const POLICIES = ["random", "dotprod", "clustering", "packing", "bestfit", "fgd", "binpack", "spread", "default"] as const;
export type Policy = (typeof POLICIES)[number];

export function isPolicy(name: string): name is Policy {
  return (POLICIES as readonly string[]).includes(name);
}

export function requirePolicy(name: string): Policy {
  if (!isPolicy(name)) {
    throw new GpupoolError("GP_UNKNOWN_POLICY", `unknown policy "${name}"; one of: ${POLICIES.join(", ")}`, { policy: name });
  }
  return name;
}

export interface PolicyOptions {
  /** The target workload for fragmentation-aware policies (fgd, default). */
  readonly typicalPods?: readonly TypicalPod[];
}

const FILTERS = ["NodeResourcesFit", "GpuFit"];

/** The scheduling profile behind a policy name. */
export function policyProfile(policy: Policy, opts: PolicyOptions = {}): ProfileInput {
  const typicalPods = opts.typicalPods ? [...opts.typicalPods] : [];
  const base = { name: policy, filter: FILTERS, devices: "BestFitDevices" };
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
      return { ...base, score: [{ name: "FgdScore" }], devices: "FgdScore", pluginArgs: { FgdScore: { typicalPods } } };
    case "default":
      return { ...base, score: [{ name: "FgdScore" }], devices: "FgdScore", pluginArgs: { FgdScore: { typicalPods } } };
  }
}
