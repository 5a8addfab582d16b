import type { HostCapabilities, IsolationSupport } from "../core/admission.js";
import { isGpupoolError } from "../core/errors.js";
import { runtimeForIsolation } from "../engines/isolation.js";
import type { ContainerHost } from "./container-spec.js";

/** What this host offers for admission (core/admission.ts): its node, and each isolation level's runtime. */
export function hostCapabilities(host: ContainerHost): HostCapabilities {
  const level = (isolation: "sandbox" | "vm"): IsolationSupport => {
    try {
      const runtime = runtimeForIsolation(isolation, host.isolation, host.runtimes) ?? "";
      const flags = host.isolation[isolation]?.flags ?? [];
      const gpuDevices = isolation !== "sandbox" || flags.some((f) => /^nvproxy(=true)?$/.test(f));
      return { runtime, gpuDevices };
    } catch (err) {
      if (isGpupoolError(err) && err.code === "GP_RUNTIME_UNAVAILABLE") return { unavailable: err.message };
      throw err;
    }
  };
  return Object.freeze({
    nodes: [host.node],
    isolation: Object.freeze({ sandbox: level("sandbox"), vm: level("vm") }),
  });
}
