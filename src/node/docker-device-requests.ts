import { isSimulatedSlice, type Slice, sliceGpus } from "./slice.js";
import { sliceEnv } from "./slice-env.js";

/**
 * The Docker Engine API's view of a slice (HostConfig fields + Env). Real GPUs go through the NVIDIA
 * runtime's DeviceRequests (`Driver: "nvidia"`, device IDs = GPU or MIG UUIDs, capability "gpu").
 * Simulated GPUs cannot use DeviceRequests (no NVIDIA runtime), so they become plain Devices backed
 * by /dev/null at the same container paths.
 */

export interface DockerDeviceRequest {
  readonly Driver: string;
  readonly Count: number;
  readonly DeviceIDs: readonly string[];
  readonly Capabilities: readonly (readonly string[])[];
  readonly Options: Readonly<Record<string, string>>;
}

export interface DockerDevice {
  readonly PathOnHost: string;
  readonly PathInContainer: string;
  readonly CgroupPermissions: string;
}

export interface DockerSliceConfig {
  readonly Env: readonly string[];
  readonly HostConfig: {
    readonly DeviceRequests: readonly DockerDeviceRequest[];
    readonly Devices: readonly DockerDevice[];
    readonly Binds: readonly string[];
    /** "host" for MPS clients (they share the daemon's IPC namespace); absent otherwise. */
    readonly IpcMode?: string;
  };
}

export function dockerConfigForSlice(slice: Slice): DockerSliceConfig {
  const env = Object.entries(sliceEnv(slice)).map(([k, v]) => `${k}=${v}`);
  const simulated = isSimulatedSlice(slice);
  const ids = slice.kind === "mig" ? [slice.migUuid] : sliceGpus(slice).map((g) => g.uuid);
  const deviceRequests: DockerDeviceRequest[] = simulated
    ? []
    : [{ Driver: "nvidia", Count: 0, DeviceIDs: ids, Capabilities: [["gpu"]], Options: {} }];
  const devices: DockerDevice[] = simulated
    ? sliceGpus(slice).map((g) => ({
        PathOnHost: "/dev/null",
        PathInContainer: `/dev/nvidia${g.minor ?? g.index}`,
        CgroupPermissions: "rw",
      }))
    : [];
  const binds = slice.kind === "mps" ? [`${slice.pipeDirectory}:${slice.pipeDirectory}`] : [];
  return {
    Env: env,
    HostConfig: {
      DeviceRequests: deviceRequests,
      Devices: devices,
      Binds: binds,
      ...(slice.kind === "mps" ? { IpcMode: "host" } : {}),
    },
  };
}
