import { GpupoolError } from "./errors.js";
import { assertCanEverFit } from "./feasibility.js";
import type { NormalizedSpec } from "./job-spec.js";
import type { NodeSpec } from "./node.js";

/**
 * Admission: whether a host (or cluster) can ever run a spec, decided before anything is stored —
 * a pure function of the spec and the host's capabilities, so the HTTP API and a Kubernetes
 * admission webhook refuse the same requests with the same codes. What may fit later (capacity,
 * quotas) is the scheduler's business, not admission's.
 */

/** What a host offers, as admission needs it. */
export interface HostCapabilities {
  /** Its nodes: which GPUs are real or simulated, which are MIG-enabled. */
  readonly nodes: readonly NodeSpec[];
  /** Each isolation level beyond `container`: the runtime that provides it, or why none can. */
  readonly isolation: Readonly<Record<"sandbox" | "vm", IsolationSupport>>;
}

export type IsolationSupport =
  /** `gpuDevices`: whether the runtime shows a container the host's GPU device nodes (gVisor: only with nvproxy). */
  { readonly runtime: string; readonly gpuDevices: boolean } | { readonly unavailable: string };

/** Throws the coded error for a spec this host can never run; returns normally otherwise. */
export function admit(spec: NormalizedSpec, host: HostCapabilities): void {
  assertCanEverFit(spec, host.nodes);
  const gpus = host.nodes.flatMap((n) => n.gpus);
  const realGpus = gpus.some((g) => !g.simulated);
  if (spec.isolation !== "container") {
    const support = host.isolation[spec.isolation];
    if ("unavailable" in support)
      throw new GpupoolError("GP_RUNTIME_UNAVAILABLE", support.unavailable, { isolation: spec.isolation });
    // gVisor shows a sandbox none of the host's device nodes unless runsc runs with nvproxy (gVisor
    // 2023+; Debian's 2022 runsc has none): a sandboxed job would not see its real GPU.
    if (spec.isolation === "sandbox" && spec.gpu.kind !== "none" && realGpus && !support.gpuDevices)
      throw new GpupoolError(
        "GP_RUNTIME_UNAVAILABLE",
        "spec.isolation: sandbox (gVisor) cannot reach this host's real GPUs: runsc shows the sandbox no host devices unless it runs with nvproxy; use isolation container (or vm), or configure runsc with the nvproxy flag",
        { path: "spec.isolation", isolation: "sandbox" },
      );
  }
  // The agent does not create MIG instances on real GPUs (nor adopt existing ones) yet: a MIG job
  // placed there would start without its device. Refused now rather than failing in the container.
  if (spec.gpu.kind === "mig" && gpus.some((g) => !g.simulated && g.migEnabled))
    throw new GpupoolError(
      "GP_MIG_UNSUPPORTED",
      `spec.gpu: MIG slices (${spec.gpu.profile}) run on simulated GPUs only in this version; this host's GPUs are real`,
      { path: "spec.gpu" },
    );
}
