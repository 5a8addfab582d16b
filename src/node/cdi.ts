import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GpupoolError } from "../core/errors.js";
import { checkSliceId, isSimulatedSlice, type Slice, sliceGpus } from "./slice.js";
import { sliceEnv } from "./slice-env.js";

/**
 * CDI (Container Device Interface) specs for slices: one spec per vendor/class, one device per slice,
 * each with its env, device nodes and mounts. cdiVersion 0.5.0: Podman 4.3 rejects 0.6.0.
 * Simulated GPUs get device nodes backed by /dev/null (same container path, harmless host node), so a
 * real engine injects them on hosts without GPUs.
 */

export const CDI_VERSION = "0.5.0";
/** Default CDI kind for gpupool slices; tests use their own to stay apart. */
export const CDI_KIND = "gpupool.dev/slice";

export interface CdiDeviceNode {
  readonly path: string;
  readonly hostPath?: string;
  readonly permissions?: string;
}

export interface CdiMount {
  readonly hostPath: string;
  readonly containerPath: string;
  readonly options?: readonly string[];
}

/** A CDI OCI hook (e.g. nvidia-ctk's update-ldcache), passed through as given. */
export interface CdiHook {
  readonly hookName: string;
  readonly path: string;
  readonly args?: readonly string[];
  readonly env?: readonly string[];
}

export interface CdiContainerEdits {
  readonly env?: readonly string[];
  readonly deviceNodes?: readonly CdiDeviceNode[];
  readonly mounts?: readonly CdiMount[];
  readonly hooks?: readonly CdiHook[];
}

export interface CdiSpec {
  readonly cdiVersion: string;
  readonly kind: string;
  readonly devices: readonly { readonly name: string; readonly containerEdits: CdiContainerEdits }[];
  readonly containerEdits?: CdiContainerEdits;
}

/** Device nodes every CUDA container needs besides its GPUs (control and unified-memory nodes). */
const CONTROL_NODES = ["/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools"];

function node(path: string, simulated: boolean): CdiDeviceNode {
  return simulated ? { path, hostPath: "/dev/null", permissions: "rw" } : { path, permissions: "rw" };
}

/** The device nodes a slice's container gets: its GPUs', MIG capability nodes, the control nodes. */
export function sliceDeviceNodes(slice: Slice): CdiDeviceNode[] {
  const simulated = isSimulatedSlice(slice);
  const nodes: CdiDeviceNode[] = sliceGpus(slice).map((g) =>
    node(`/dev/nvidia${g.minor ?? g.index}`, simulated),
  );
  if (slice.kind === "mig") for (const cap of slice.capDevices ?? []) nodes.push(node(cap, simulated));
  nodes.push(...CONTROL_NODES.map((p) => node(p, simulated)));
  return nodes;
}

/** The container edits of one slice (env, its GPUs' device nodes, MPS pipe directory). */
export function cdiEditsForSlice(slice: Slice): CdiContainerEdits {
  const env = Object.entries(sliceEnv(slice)).map(([k, v]) => `${k}=${v}`);
  const nodes = sliceDeviceNodes(slice);
  const mounts: CdiMount[] = [];
  if (slice.kind === "mps") {
    // The client talks to the daemon through its pipe directory; it also needs the daemon's IPC
    // namespace (engines run MPS containers with --ipc=host), which CDI cannot express.
    mounts.push({
      hostPath: slice.pipeDirectory,
      containerPath: slice.pipeDirectory,
      options: ["rbind", "rw"],
    });
  }
  return { env, deviceNodes: nodes, ...(mounts.length ? { mounts } : {}) };
}

/** Checks a CDI kind ("vendor/class": vendor domain-like, class alphanumeric with - _ .). */
export function checkCdiKind(kind: string): string {
  if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?\/[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/.test(kind)) {
    throw new GpupoolError("GP_INVALID_ARGUMENT", `CDI kind "${kind}" must look like vendor.example/class`);
  }
  return kind;
}

/**
 * One spec holding one device per slice, named by slice id; `kind` defaults to CDI_KIND. `common`
 * edits apply to every device: on real GPU hosts pass the driver's library mounts and hooks there
 * (e.g. the top-level containerEdits of `nvidia-ctk cdi generate`); gpupool does not discover them.
 */
export function cdiSpecForSlices(
  slices: readonly Slice[],
  kind: string = CDI_KIND,
  common?: CdiContainerEdits,
): CdiSpec {
  checkCdiKind(kind);
  const seen = new Set<string>();
  const devices = slices.map((s) => {
    checkSliceId(s.id);
    if (seen.has(s.id)) throw new GpupoolError("GP_INVALID_ARGUMENT", `two slices share the id "${s.id}"`);
    seen.add(s.id);
    return { name: s.id, containerEdits: cdiEditsForSlice(s) };
  });
  return { cdiVersion: CDI_VERSION, kind, devices, ...(common ? { containerEdits: common } : {}) };
}

/** The fully-qualified name an engine is given: `vendor/class=name`. */
export function cdiDeviceName(kind: string, sliceId: string): string {
  return `${kind}=${sliceId}`;
}

/** Spec file name for a kind: `vendor-class.json` (one file per kind, replaced as a whole). */
export function cdiSpecFileName(kind: string): string {
  return `${kind.replace("/", "-")}.json`;
}

/** Writes the spec atomically (temp file + rename) into `dir` (default /etc/cdi); returns its path. */
export function writeCdiSpec(spec: CdiSpec, dir = "/etc/cdi"): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, cdiSpecFileName(spec.kind));
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(spec, null, 2)}\n`, { mode: 0o644 });
  renameSync(tmp, path);
  return path;
}

export function removeCdiSpec(kind: string, dir = "/etc/cdi"): void {
  rmSync(join(dir, cdiSpecFileName(kind)), { force: true });
}
