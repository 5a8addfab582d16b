import { mkdtempSync, rmSync, statSync, unlinkSync } from "node:fs";
import type net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import type { V1Pod } from "@kubernetes/client-node";
import type { NodeSpec } from "../core/node.js";
import type { Logger } from "../loop/logger.js";
import type { MpsPipes } from "../node/slice-for.js";
import { identifyPod, type ListedPod, slicelessPods } from "./allocate-pod.js";
import { startAuthorityProxy } from "./authority-proxy.js";
import { containerAllocation } from "./container-slice.js";
import { DEFAULT_SLOTS_PER_GPU, preferredSlots, slotDevices } from "./device-slots.js";
import {
  DEVICE_PLUGIN_VERSION,
  devicePluginApi,
  podResourcesApi,
  unary,
  unixClient,
} from "./kubelet-grpc.js";
import { RESOURCE } from "./names.js";

/**
 * The kubelet device plugin for `gpupool.dev/gpu` (API v1beta1): serves `<dir>/gpupool.sock`,
 * registers with the kubelet (`<dir>/kubelet.sock`), advertises `slots` devices per GPU
 * (device-slots.ts) with their health, and answers Allocate with the slice of the pod being
 * admitted, found through the kubelet's PodResources API (allocate-pod.ts). When the kubelet
 * restarts it wipes the directory: the plugin notices within `watchMs`, serves a new socket and
 * registers again; running containers are not touched. The gRPC server listens on a private socket;
 * the socket the kubelet dials is authority-proxy.ts in front of it (kubelets before ~1.26 send a
 * `:authority` Node's HTTP/2 refuses).
 */
export interface DevicePluginOptions {
  readonly dir: string;
  readonly podResourcesSocket: string;
  /** This node as the scheduler sees it (the agent's inventory). */
  readonly node: () => NodeSpec;
  /** Pods bound to this node (the agent's informer). */
  readonly pods: () => readonly V1Pod[];
  readonly slots?: number;
  /** MPS daemons: a share's Allocate starts its GPU's daemon (if not running) before answering. */
  readonly mps?: MpsPipes & { ensure(gpuUuid: string): Promise<unknown> };
  readonly watchMs?: number;
  readonly log: Logger;
  /** Told once per pod the kubelet admits asking for devices without a slice from gpupool (an Event). */
  readonly refused?: (pod: V1Pod, why: string) => void;
}

const SOCKET = "gpupool.sock";

// biome-ignore lint/suspicious/noExplicitAny: grpc-js handler types come from the untyped loaded package
type Call = any;

export class DevicePlugin {
  private server: grpc.Server | undefined;
  private proxy: net.Server | undefined;
  private privateDir: string | undefined;
  private readonly streams = new Set<Call>();
  private readonly answered = new Set<string>();
  private readonly told = new Set<string>();
  private watch: NodeJS.Timeout | undefined;
  private kubeletId = "";
  private closed = false;
  /** Registrations sent (tests: a kubelet restart makes another). */
  registrations = 0;

  constructor(private readonly o: DevicePluginOptions) {}

  get socket(): string {
    return path.join(this.o.dir, SOCKET);
  }

  async start(): Promise<void> {
    await this.serveAndRegister();
    this.watch = setInterval(() => void this.checkKubelet(), this.o.watchMs ?? 500);
    this.watch.unref();
  }

  /** The inventory changed (health): every ListAndWatch stream gets the new device list. */
  devicesChanged(): void {
    const devices = slotDevices(this.o.node().gpus, this.o.slots ?? DEFAULT_SLOTS_PER_GPU);
    for (const s of this.streams) s.write({ devices });
  }

  async stop(): Promise<void> {
    this.closed = true;
    if (this.watch) clearInterval(this.watch);
    for (const s of this.streams) s.end();
    this.streams.clear();
    await this.shutdown();
  }

  private async shutdown(): Promise<void> {
    await this.closeProxy();
    const server = this.server;
    this.server = undefined;
    if (server) {
      await new Promise<void>((r) => server.tryShutdown(() => r()));
      server.forceShutdown();
    }
    if (this.privateDir) rmSync(this.privateDir, { recursive: true, force: true });
    this.privateDir = undefined;
  }

  private async closeProxy(): Promise<void> {
    const proxy = this.proxy;
    this.proxy = undefined;
    if (proxy) await new Promise<void>((r) => proxy.close(() => r()));
  }

  private async serveAndRegister(): Promise<void> {
    if (!this.server) await this.serve();
    await this.closeProxy();
    try {
      unlinkSync(this.socket);
    } catch {
      // not there
    }
    this.proxy = await startAuthorityProxy(this.socket, path.join(this.privateDir!, "grpc.sock"));
    await this.register();
  }

  private async serve(): Promise<void> {
    const privateDir = mkdtempSync(path.join(tmpdir(), "gpupool-device-plugin-"));
    this.privateDir = privateDir;
    const api = devicePluginApi();
    const server = new grpc.Server();
    server.addService(api.DevicePlugin.service, {
      GetDevicePluginOptions: (_call: Call, cb: Call) =>
        cb(null, { pre_start_required: true, get_preferred_allocation_available: true }),
      ListAndWatch: (call: Call) => {
        this.streams.add(call);
        call.on("cancelled", () => this.streams.delete(call));
        call.on("close", () => this.streams.delete(call));
        call.write({ devices: slotDevices(this.o.node().gpus, this.o.slots ?? DEFAULT_SLOTS_PER_GPU) });
      },
      GetPreferredAllocation: (call: Call, cb: Call) => {
        this.preferred(call.request).then(
          (r) => cb(null, r),
          (err: Error) => cb({ code: grpc.status.INTERNAL, message: err.message }),
        );
      },
      Allocate: (call: Call, cb: Call) => {
        this.allocate(call.request).then(
          (r) => cb(null, r),
          (err: Error & { code?: number }) =>
            cb({ code: err.code ?? grpc.status.FAILED_PRECONDITION, message: err.message }),
        );
      },
      PreStartContainer: (_call: Call, cb: Call) => cb(null, {}),
    });
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(
        `unix://${path.join(privateDir, "grpc.sock")}`,
        grpc.ServerCredentials.createInsecure(),
        (err) => (err ? reject(err) : resolve()),
      ),
    );
    this.server = server;
  }

  private async register(): Promise<void> {
    const api = devicePluginApi();
    const kubelet = path.join(this.o.dir, "kubelet.sock");
    const client = unixClient(api.Registration, kubelet);
    try {
      await unary(client, "Register", {
        version: DEVICE_PLUGIN_VERSION,
        endpoint: SOCKET,
        resource_name: RESOURCE.gpu,
        options: { pre_start_required: true, get_preferred_allocation_available: true },
      });
      this.registrations++;
      this.kubeletId = fileId(kubelet);
      this.o.log.info({ socket: this.socket }, "registered gpupool.dev/gpu with the kubelet");
    } finally {
      client.close();
    }
  }

  /** A kubelet restart re-creates kubelet.sock and removes our socket: serve and register again. */
  private async checkKubelet(): Promise<void> {
    if (this.closed) return;
    const kubelet = fileId(path.join(this.o.dir, "kubelet.sock"));
    const mine = fileId(this.socket);
    if (kubelet !== "" && (kubelet !== this.kubeletId || mine === "")) {
      this.o.log.info({}, "the kubelet restarted; registering again");
      this.kubeletId = kubelet; // one attempt per restart; a failure retries on the next tick
      await this.serveAndRegister().catch((err: unknown) => {
        this.kubeletId = "";
        this.o.log.warn({ err }, "registering with the kubelet failed; retrying");
      });
    }
  }

  private async listed(): Promise<ListedPod[]> {
    const client = unixClient(podResourcesApi().PodResourcesLister, this.o.podResourcesSocket);
    try {
      const r = await unary<object, { pod_resources: RawPod[] }>(client, "List", {});
      return r.pod_resources.map((p) => ({
        namespace: p.namespace,
        name: p.name,
        containers: p.containers.map((c) => ({
          name: c.name,
          deviceIds: c.devices.filter((d) => d.resource_name === RESOURCE.gpu).flatMap((d) => d.device_ids),
        })),
      }));
    } finally {
      client.close();
    }
  }

  /** The pod an Allocate (of `count` devices) is for: re-listed briefly on a tie, then refused. */
  private async identify(count: number, tell = false) {
    for (let attempt = 0; ; attempt++) {
      const listed = await this.listed();
      const id = identifyPod(listed, this.o.pods(), count, this.answered);
      if (id.kind === "found") return id.target;
      if (attempt >= 5) {
        const sliceless = id.kind === "none" ? slicelessPods(listed, this.o.pods(), count) : [];
        if (tell)
          for (const { pod, why } of sliceless) {
            const uid = pod.metadata?.uid ?? "";
            if (this.told.has(uid)) continue;
            this.told.add(uid);
            this.o.log.warn(
              { pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, why },
              "refused a GPU slice",
            );
            this.o.refused?.(pod, why);
          }
        throw Object.assign(
          new Error(
            sliceless.length > 0
              ? `gpupool: ${sliceless.map((p) => `${p.pod.metadata?.namespace}/${p.pod.metadata?.name} holds no GPU slice: ${p.why}`).join("; ")}`
              : id.kind === "none"
                ? "gpupool: no pod bound here by gpupool's scheduler waits for these devices (a pod must use schedulerName: gpupool)"
                : `gpupool: cannot tell which pod this is for (${id.candidates.join(", ")}); refusing rather than guessing`,
          ),
          { code: grpc.status.FAILED_PRECONDITION },
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private async preferred(req: {
    container_requests: {
      available_deviceIDs: string[];
      must_include_deviceIDs: string[];
      allocation_size: number;
    }[];
  }) {
    const node = this.o.node();
    const out = [];
    for (const c of req.container_requests) {
      let uuids: string[] = [];
      try {
        const t = await this.identify(c.allocation_size);
        uuids = t.allocation.gpus.map((g) => node.gpus.find((d) => d.index === g.index)?.uuid ?? "");
      } catch {
        // no preference: Allocate refuses if it still cannot tell
      }
      out.push({
        deviceIDs: preferredSlots(c.available_deviceIDs, c.must_include_deviceIDs, c.allocation_size, uuids),
      });
    }
    return { container_responses: out };
  }

  private async allocate(req: { container_requests: { devicesIDs: string[] }[] }) {
    const node = this.o.node();
    const out = [];
    for (const c of req.container_requests) {
      const t = await this.identify(c.devicesIDs.length, true);
      const uid = t.pod.metadata!.uid!;
      this.answered.add(`${uid}/${t.container}`);
      const a = containerAllocation(
        { uid, namespace: t.pod.metadata?.namespace ?? "default", name: t.pod.metadata?.name ?? uid },
        t.allocation,
        node,
        this.o.mps,
      );
      if (a.annotations["gpupool.dev/slice"] === "mps" && this.o.mps) {
        const uuid = node.gpus.find((g) => g.index === t.allocation.gpus[0]?.index)?.uuid;
        if (uuid) await this.o.mps.ensure(uuid); // a failure refuses the Allocate with its message
      }
      out.push(a);
      this.o.log.info({ pod: a.envs.GPUPOOL_POD, container: t.container }, "allocated the pod's slice");
    }
    return { container_responses: out };
  }
}

interface RawPod {
  namespace: string;
  name: string;
  containers: { name: string; devices: { resource_name: string; device_ids: string[] }[] }[];
}

/** A file's identity: inode and change time (a re-created socket may get its inode back); "" when absent. */
function fileId(file: string): string {
  try {
    const st = statSync(file);
    return `${st.ino}:${st.ctimeMs}`;
  } catch {
    return "";
  }
}
