import { type ChildProcess, spawn } from "node:child_process";
import type { ControlPlane } from "../../bench/k8s-control-plane.js";
import { BIN } from "../../e2e/test-support/gpupool-bin.js";
import type { Kubelet } from "./kubelet.js";

/** A pod as the kubelet suites read it back from the API server. */
export interface FullPod {
  metadata: { name: string; uid: string; namespace: string; annotations?: Record<string, string> };
  spec: {
    nodeName?: string;
    schedulerName?: string;
    containers: { name: string; resources?: { requests?: Record<string, string> } }[];
  };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    containerStatuses?: {
      name: string;
      containerID?: string;
      restartCount: number;
      state: { running?: object };
    }[];
  };
}

export interface BusyboxContainer {
  readonly name: string;
  readonly command: readonly string[];
  readonly limits?: Readonly<Record<string, string>>;
  readonly requests?: Readonly<Record<string, string>>;
}

/** A pod of busybox containers (the image the kubelet harness loads), never restarted. */
export function busyboxPod(
  name: string,
  containers: readonly BusyboxContainer[],
  spec: Readonly<Record<string, unknown>> = {},
  annotations?: Readonly<Record<string, string>>,
): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default", ...(annotations ? { annotations } : {}) },
    spec: {
      schedulerName: "gpupool",
      hostNetwork: true,
      automountServiceAccountToken: false,
      restartPolicy: "Never",
      terminationGracePeriodSeconds: 0,
      ...spec,
      containers: containers.map((c) => ({
        name: c.name,
        image: "localhost/busybox:latest",
        imagePullPolicy: "Never",
        command: c.command,
        resources: {
          ...(c.limits ? { limits: c.limits } : {}),
          ...(c.requests ? { requests: c.requests } : {}),
        },
      })),
    },
  };
}

/** `gpupool k8s agent` for the harness's node, simulating 8 × H100-80GB; its stderr is kept. */
export interface AgentProcess {
  readonly child: ChildProcess;
  log(): string;
  /** How many times it registered with the kubelet. */
  registrations(): number;
}

export function spawnAgent(cp: ControlPlane, kubelet: Kubelet): AgentProcess {
  let log = "";
  const child = spawn(
    process.execPath,
    [
      BIN,
      "k8s",
      "agent",
      "--kubeconfig",
      cp.kubeconfigPath,
      "--node-name",
      kubelet.name,
      "--simulate",
      "8xH100-80GB",
      "--pod-resources-socket",
      kubelet.podResourcesSocket,
      "--no-taint",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  child.stderr?.on("data", (d: Buffer) => {
    log += d.toString();
  });
  return {
    child,
    log: () => log,
    registrations: () => log.split("\n").filter((l) => l.includes("registered gpupool.dev/gpu")).length,
  };
}

/** Whether the node advertises 8 GPUs × 16 slots of gpupool.dev/gpu. */
export async function advertised(cp: ControlPlane, kubelet: Kubelet): Promise<boolean> {
  const n = await cp.http.ok("GET", `/api/v1/nodes/${kubelet.name}`);
  const status = n?.status as { allocatable?: Record<string, string> } | undefined;
  return status?.allocatable?.["gpupool.dev/gpu"] === "128";
}
