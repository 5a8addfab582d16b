import { existsSync } from "node:fs";
import { pino } from "pino";
import { GpupoolError } from "../core/errors.js";
import { GPU_SHARING_MODES } from "../node/gpu-sharing.js";
import { startK8sAgent } from "./agent.js";
import { reachableKubeConfig } from "./scheduler-command.js";

export interface AgentCommandOptions {
  readonly kubeconfig?: string;
  readonly nodeName?: string;
  readonly simulate?: string;
  readonly interval: string;
  readonly leaseDuration: string;
  readonly taint: boolean;
  readonly devicePlugin: boolean;
  readonly devicePluginDir: string;
  readonly podResourcesSocket: string;
  readonly slots: string;
  readonly gpuSharing: string;
  readonly mpsDir: string;
  readonly logLevel: string;
}

/** `gpupool k8s agent`: publish this node's GPUs until SIGINT/SIGTERM. */
export async function runAgentCommand(o: AgentCommandOptions): Promise<void> {
  const seconds = Number(o.interval);
  if (!Number.isInteger(seconds) || seconds < 1)
    throw new GpupoolError(
      "GP_INVALID_ARGUMENT",
      `--interval must be a whole number of seconds ≥ 1, got "${o.interval}"`,
    );
  const leaseSeconds = Number(o.leaseDuration);
  if (!Number.isInteger(leaseSeconds) || leaseSeconds < 2)
    throw new GpupoolError(
      "GP_INVALID_ARGUMENT",
      `--lease-duration must be a whole number of seconds ≥ 2, got "${o.leaseDuration}"`,
    );
  const slots = Number(o.slots);
  if (!Number.isInteger(slots) || slots < 1 || slots > 1000)
    throw new GpupoolError(
      "GP_INVALID_ARGUMENT",
      `--slots must be a whole number from 1 to 1000, got "${o.slots}"`,
    );
  const gpuSharing = GPU_SHARING_MODES.find((m) => m === o.gpuSharing);
  if (!gpuSharing)
    throw new GpupoolError(
      "GP_INVALID_ARGUMENT",
      `--gpu-sharing must be one of ${GPU_SHARING_MODES.join(", ")}, got "${o.gpuSharing}"`,
    );
  if (o.simulate) {
    const { simulateGpus } = await import("../node/simulate.js");
    simulateGpus(o.simulate); // a bad spec is refused here, with its code, before anything starts
  }
  const kc = await reachableKubeConfig(o.kubeconfig);
  const log = pino({ level: o.logLevel, base: { component: "gpupool-agent" } }, pino.destination(2));
  const serve = o.devicePlugin && existsSync(o.devicePluginDir);
  if (o.devicePlugin && !serve)
    log.warn(
      { dir: o.devicePluginDir },
      "no kubelet device-plugin directory here: publishing the inventory only (--no-device-plugin says so on purpose)",
    );
  const agent = await startK8sAgent({
    kc,
    log,
    intervalMs: seconds * 1000,
    leaseDurationSeconds: leaseSeconds,
    gpuSharing,
    mpsDir: o.mpsDir,
    taint: o.taint,
    ...(o.nodeName ? { nodeName: o.nodeName } : {}),
    ...(o.simulate ? { simulate: o.simulate } : {}),
    ...(serve
      ? { devicePlugin: { dir: o.devicePluginDir, podResourcesSocket: o.podResourcesSocket, slots } }
      : {}),
  });
  log.info(
    { node: agent.nodeName, sharing: agent.sharing.mode, why: agent.sharing.why },
    "gpupool agent started",
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  await agent.stop();
}
