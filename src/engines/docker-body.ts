import { GpupoolError } from "../core/errors.js";
import { envList } from "./api-engine.js";
import { type ContainerSpec, DEFAULT_STOP_GRACE_SECONDS, STOP_SIGNAL, mibToBytes } from "./engine.js";

/**
 * The body of Docker Engine API v1.41 `POST /containers/create` for a ContainerSpec (the name goes
 * in the query). GPUs become one DeviceRequest for the "nvidia" driver listing the device UUIDs,
 * which the NVIDIA container toolkit turns into exactly those devices; Docker 20.10 has no CDI.
 */
export function dockerCreateBody(spec: ContainerSpec): Record<string, unknown> {
  const hostConfig: Record<string, unknown> = {
    NetworkMode: spec.network ?? "none",
    Init: false,
    AutoRemove: false,
    RestartPolicy: { Name: "no" },
  };
  if (spec.memoryMiB && spec.memoryMiB > 0) {
    // Swap equal to memory: the limit is a hard one.
    hostConfig.Memory = mibToBytes(spec.memoryMiB);
    hostConfig.MemorySwap = mibToBytes(spec.memoryMiB);
  }
  // NanoCpus = CPUs × 10^9; Docker turns it into a CFS quota over a 100 ms period.
  if (spec.cpuMilli && spec.cpuMilli > 0) hostConfig.NanoCpus = spec.cpuMilli * 1_000_000;
  if (spec.runtime) hostConfig.Runtime = spec.runtime;
  const gpus = spec.gpus;
  if (gpus && (gpus.uuids.length > 0 || gpus.cdi.length > 0)) {
    if (gpus.uuids.length === 0) {
      throw new GpupoolError(
        "GP_ENGINE_UNSUPPORTED",
        `docker cannot attach CDI devices (${gpus.cdi.join(", ")}); give GPU UUIDs for a DeviceRequest`,
      );
    }
    hostConfig.DeviceRequests = [
      { Driver: "nvidia", Count: 0, DeviceIDs: [...gpus.uuids], Capabilities: [["gpu"]], Options: {} },
    ];
  }
  if (spec.devices && spec.devices.length > 0)
    hostConfig.Devices = spec.devices.map((d) => ({
      PathOnHost: d.hostPath,
      PathInContainer: d.containerPath,
      CgroupPermissions: "rw",
    }));
  if (spec.ipc === "host") hostConfig.IpcMode = "host";
  // `Mounts` rather than `Binds`: a missing source is an error instead of an empty directory made as root.
  if (spec.mounts && spec.mounts.length > 0)
    hostConfig.Mounts = spec.mounts.map((m) => ({
      Type: "bind",
      Source: m.hostPath,
      Target: m.containerPath,
      ReadOnly: m.readOnly === true,
    }));
  return {
    Image: spec.image,
    ...(spec.command ? { Cmd: [...spec.command] } : {}),
    Env: envList(spec.env),
    Labels: { ...(spec.labels ?? {}) },
    Tty: false,
    OpenStdin: false,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    StopSignal: STOP_SIGNAL,
    StopTimeout: spec.stopGraceSeconds ?? DEFAULT_STOP_GRACE_SECONDS,
    HostConfig: hostConfig,
  };
}
