import { unlinkSync } from "node:fs";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { devicePluginApi, podResourcesApi, unary } from "../kubelet-grpc.js";

/**
 * A kubelet stand-in for device-plugin tests (grpc-js on unix sockets): the Registration service on
 * `<dir>/kubelet.sock` and PodResources on `<podResourcesSocket>`, whose List answers what the test
 * says the kubelet has admitted so far. `plugin()` dials the registered plugin as a kubelet would.
 */
export interface AdmittedContainer {
  name: string;
  deviceIds: string[];
}
export interface AdmittedPod {
  namespace: string;
  name: string;
  containers: AdmittedContainer[];
}

export class FakeKubelet {
  readonly registrations: { endpoint: string; resource_name: string; version: string }[] = [];
  readonly admitted: AdmittedPod[] = [];
  private registration: grpc.Server | undefined;
  private podResources: grpc.Server | undefined;

  constructor(
    readonly dir: string,
    readonly podResourcesSocket: string,
  ) {}

  async start(): Promise<void> {
    const reg = new grpc.Server();
    reg.addService(devicePluginApi().Registration.service, {
      Register: (
        call: { request: FakeKubelet["registrations"][number] },
        cb: (e: null, r: object) => void,
      ) => {
        this.registrations.push(call.request);
        cb(null, {});
      },
    });
    await bind(reg, path.join(this.dir, "kubelet.sock"));
    this.registration = reg;
    if (!this.podResources) {
      const pr = new grpc.Server();
      pr.addService(podResourcesApi().PodResourcesLister.service, {
        List: (_call: unknown, cb: (e: null, r: object) => void) =>
          cb(null, {
            pod_resources: this.admitted.map((p) => ({
              namespace: p.namespace,
              name: p.name,
              containers: p.containers.map((c) => ({
                name: c.name,
                devices: c.deviceIds.length
                  ? [{ resource_name: "gpupool.dev/gpu", device_ids: c.deviceIds }]
                  : [],
              })),
            })),
          }),
      });
      await bind(pr, this.podResourcesSocket);
      this.podResources = pr;
    }
  }

  /** As a kubelet restart does: its socket and every plugin socket in the directory go, a new one comes. */
  async restart(pluginSocket: string): Promise<void> {
    await stop(this.registration);
    for (const f of [path.join(this.dir, "kubelet.sock"), pluginSocket])
      try {
        unlinkSync(f);
      } catch {
        // gone
      }
    await this.start();
  }

  /** A client of the plugin dialled as a 1.20 kubelet does: the socket's path as the HTTP/2 :authority. */
  // biome-ignore lint/suspicious/noExplicitAny: a grpc-js client of the loaded package
  plugin(socket: string): any {
    return new (devicePluginApi().DevicePlugin)(`unix://${socket}`, grpc.credentials.createInsecure(), {
      "grpc.default_authority": socket,
    });
  }

  call<Res>(client: unknown, method: string, req: object): Promise<Res> {
    return unary<object, Res>(client, method, req);
  }

  async stop(): Promise<void> {
    await stop(this.registration);
    await stop(this.podResources);
  }
}

function bind(server: grpc.Server, socket: string): Promise<void> {
  try {
    unlinkSync(socket);
  } catch {
    // not there
  }
  return new Promise((resolve, reject) =>
    server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (err) =>
      err ? reject(err) : resolve(),
    ),
  );
}

async function stop(server: grpc.Server | undefined): Promise<void> {
  if (!server) return;
  await new Promise<void>((r) => server.tryShutdown(() => r()));
  server.forceShutdown();
}
