import type { NodeSpec } from "../core/node.js";
import type { ContainerSpec } from "../engines/engine.js";
import { type IsolationRuntimes, runtimeForIsolation } from "../engines/isolation.js";
import { jobLabels } from "../engines/labels.js";
import { type CdiContainerEdits, cdiDeviceName, sliceDeviceNodes } from "../node/cdi.js";
import { isSimulatedSlice, type Slice } from "../node/slice.js";
import { sliceEnv } from "../node/slice-env.js";
import type { JobRecord } from "../store/index.js";
import { gangEnv, gangPort } from "./gang-env.js";

/**
 * What the engine is asked to run for one attempt of a job (pure: the job, its slice and the host).
 * Podman gets the slice as one CDI device (env, device nodes and mounts in the CDI spec); Docker,
 * which has no CDI, gets the slice's env directly, the GPUs by UUID (a DeviceRequest), or for
 * simulated GPUs plain /dev/null stand-ins at the device paths.
 */

/** What containers of this host are made with; resolved once at start (runner options). */
export interface ContainerHost {
  readonly node: NodeSpec;
  /** Store instance id: label io.gpupool.instance on every container. */
  readonly instanceId: string;
  /** Podman: the CDI kind slices are written under (and their shared edits). Absent: Docker (no CDI). */
  readonly cdi?: { readonly kind: string; readonly dir: string; readonly common?: CdiContainerEdits };
  readonly isolation: IsolationRuntimes;
  /** OCI runtimes the engine offers; unchecked when absent. */
  readonly runtimes?: readonly string[];
  /** Network of job containers (gang members aside). */
  readonly network: "none" | "default";
}

export function containerSpec(job: JobRecord, slice: Slice | undefined, host: ContainerHost): ContainerSpec {
  const spec = job.spec;
  const env: Record<string, string> = {
    GPUPOOL_JOB_ID: job.id,
    GPUPOOL_JOB_NAME: job.name,
    GPUPOOL_TENANT: job.tenant,
    GPUPOOL_ATTEMPT: String(job.attempts),
  };
  if (job.gang && spec.rank !== undefined) {
    Object.assign(
      env,
      gangEnv({
        rank: spec.rank,
        worldSize: spec.replicas,
        masterAddr: "127.0.0.1",
        masterPort: spec.masterPort ?? gangPort(job.gang),
        gangId: job.gang,
      }),
    );
  }
  Object.assign(env, spec.env);
  if (spec.arrayIndexes && spec.arrayIndexes.length > 0) {
    // A batch array's task: its index under gpupool's name and Kubernetes' (Indexed Jobs); a packed
    // task's command gets all of its indexes and runs them in turn.
    const first = String(spec.arrayIndexes[0]);
    env.GPUPOOL_ARRAY_INDEX = first;
    env.JOB_COMPLETION_INDEX = first;
    env.GPUPOOL_ARRAY_INDEXES = spec.arrayIndexes.join(" ");
    if (job.owner) env.GPUPOOL_ARRAY_ID = job.owner;
  }
  if (spec.servicePort !== undefined) {
    // A service's replica serves on its own port of the host's network; the endpoint sends it requests there.
    env.PORT = String(spec.servicePort);
    env.GPUPOOL_SERVICE_PORT = env.PORT;
    if (job.owner) env.GPUPOOL_SERVICE_ID = job.owner;
    if (job.ownerSlot !== null) env.GPUPOOL_REPLICA = String(job.ownerSlot);
  }
  // Docker has no CDI: the slice's env goes in directly (device nodes need a real NVIDIA runtime).
  // Last, so nothing a job sets (specs refuse these names anyway) can widen its devices.
  if (slice && !host.cdi) Object.assign(env, sliceEnv(slice));
  else if (!slice) env.NVIDIA_VISIBLE_DEVICES = "void";
  const runtime = runtimeForIsolation(spec.isolation, host.isolation, host.runtimes);
  const simulated = slice ? isSimulatedSlice(slice) : false;
  // MPS clients share memory with their GPU's daemon (host IPC) and reach it through its pipe
  // directory: the CDI device mounts that on Podman; Docker needs the bind here.
  const mps = slice?.kind === "mps" ? slice : undefined;
  // Without CDI (Docker), simulated GPUs' stand-in device nodes go in as plain device mappings.
  const standIns =
    slice && simulated && !host.cdi
      ? sliceDeviceNodes(slice).flatMap((n) =>
          n.hostPath ? [{ hostPath: n.hostPath, containerPath: n.path }] : [],
        )
      : [];
  return {
    name: `gpupool-${job.id}-${job.attempts}`,
    image: spec.image,
    ...(spec.command ? { command: spec.command } : {}),
    env,
    labels: jobLabels(host.instanceId, job.id, job.attempts, job.tenant),
    // A CPU quota and a memory limit only when the spec asks for them (0: none, as in Kubernetes).
    ...(spec.cpuMilli > 0 ? { cpuMilli: spec.cpuMilli } : {}),
    ...(spec.memoryMiB > 0 ? { memoryMiB: spec.memoryMiB } : {}),
    network: networkFor(job, host.network),
    ...(runtime ? { runtime } : {}),
    stopGraceSeconds: spec.stopGraceSeconds,
    ...(standIns.length > 0 ? { devices: standIns } : {}),
    ...(mps ? { ipc: "host" as const } : {}),
    ...(mps && !host.cdi
      ? { mounts: [{ hostPath: mps.pipeDirectory, containerPath: mps.pipeDirectory }] }
      : {}),
    ...(slice
      ? {
          gpus: {
            cdi: host.cdi ? [cdiDeviceName(host.cdi.kind, slice.id)] : [],
            // Simulated GPUs have no NVIDIA runtime to take a DeviceRequest: stand-in mappings instead (above).
            uuids:
              host.cdi || simulated
                ? []
                : (job.allocation?.gpus ?? []).map((g) => host.node.gpus[g.index]?.uuid ?? ""),
          },
        }
      : {}),
  };
}

/**
 * Members of a multi-member gang share the host's network so they meet at MASTER_ADDR=127.0.0.1
 * (NCCL/torchrun/Horovod rendezvous), and a service's replicas serve on it at their $PORT (where the
 * endpoint on 127.0.0.1 reaches them); everything else gets the configured network (default none).
 * A sandboxed gang stays off the network: gVisor here runs only with network=none.
 */
function networkFor(job: JobRecord, network: "none" | "default"): "none" | "default" | "host" {
  if (job.gang && job.spec.replicas > 1 && job.spec.isolation !== "sandbox") return "host";
  if (job.spec.servicePort !== undefined) return "host";
  return network;
}
