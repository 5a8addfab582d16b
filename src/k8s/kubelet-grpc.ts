import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

/**
 * The kubelet's gRPC APIs gpupool speaks, loaded from the .proto files in src/k8s/proto (shipped
 * with the package; dist/ reads them from there): the device-plugin API v1beta1 (Registration,
 * DevicePlugin) and PodResources v1.
 */
function protoPath(file: string): string {
  const beside = fileURLToPath(new URL(`proto/${file}`, import.meta.url)); // src/k8s (tests)
  return existsSync(beside) ? beside : fileURLToPath(new URL(`../../src/k8s/proto/${file}`, import.meta.url)); // dist/k8s
}

const OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

// biome-ignore lint/suspicious/noExplicitAny: grpc-js's loaded packages are untyped by design
type Loaded = any;

let deviceplugin: Loaded | undefined;
let podresources: Loaded | undefined;

export function devicePluginApi(): Loaded {
  deviceplugin ??= grpc.loadPackageDefinition(
    protoLoader.loadSync(protoPath("deviceplugin-v1beta1.proto"), OPTIONS),
  ).v1beta1;
  return deviceplugin;
}

export function podResourcesApi(): Loaded {
  podresources ??= grpc.loadPackageDefinition(
    protoLoader.loadSync(protoPath("podresources-v1.proto"), OPTIONS),
  ).v1;
  return podresources;
}

/** The API version string a device plugin registers with. */
export const DEVICE_PLUGIN_VERSION = "v1beta1";

/** A unary call as a promise. */
export function unary<Req, Res>(client: Loaded, method: string, req: Req, deadlineMs = 5000): Promise<Res> {
  return new Promise((resolve, reject) => {
    client[method](req, { deadline: Date.now() + deadlineMs }, (err: grpc.ServiceError | null, res: Res) =>
      err ? reject(err) : resolve(res),
    );
  });
}

/** A client on a unix socket. */
export function unixClient(Service: Loaded, socket: string): Loaded {
  return new Service(`unix://${socket}`, grpc.credentials.createInsecure());
}
