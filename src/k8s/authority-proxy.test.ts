import { mkdtempSync, rmSync } from "node:fs";
import type net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAuthorityProxy } from "./authority-proxy.js";
import { devicePluginApi, unary } from "./kubelet-grpc.js";

// A kubelet before ~1.26 sends the plugin socket's path as :authority; Node's HTTP/2 server resets
// such streams. Through the proxy, unary and streaming calls work; straight to the server they fail.
describe("the :authority proxy in front of the device plugin", () => {
  let dir: string;
  let server: grpc.Server;
  let proxy: net.Server;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "gpupool-authority-"));
    const api = devicePluginApi();
    server = new grpc.Server();
    server.addService(api.DevicePlugin.service, {
      GetDevicePluginOptions: (_c: unknown, cb: (e: null, r: object) => void) =>
        cb(null, { pre_start_required: true }),
      ListAndWatch: (call: { write(r: object): void }) => {
        for (let i = 0; i < 3; i++) call.write({ devices: [{ ID: `gpu-${i}`, health: "Healthy" }] });
      },
    });
    await new Promise<void>((r, j) =>
      server.bindAsync(`unix://${dir}/grpc.sock`, grpc.ServerCredentials.createInsecure(), (e) =>
        e ? j(e) : r(),
      ),
    );
    proxy = await startAuthorityProxy(`${dir}/plugin.sock`, `${dir}/grpc.sock`);
  });
  afterAll(async () => {
    await new Promise<void>((r) => proxy.close(() => r()));
    server.forceShutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  const client = (socket: string) =>
    new (devicePluginApi().DevicePlugin)(`unix://${socket}`, grpc.credentials.createInsecure(), {
      "grpc.default_authority": socket, // what the 1.20 kubelet sends
    });

  it("straight to grpc-js, the kubelet's :authority is refused", async () => {
    const c = client(`${dir}/grpc.sock`);
    await expect(unary(c, "GetDevicePluginOptions", {})).rejects.toThrow(/RST_STREAM/);
    c.close();
  });

  it("through the proxy, unary and streaming calls answer, many times over one connection", async () => {
    const c = client(`${dir}/plugin.sock`);
    for (let i = 0; i < 20; i++)
      expect(await unary(c, "GetDevicePluginOptions", {})).toMatchObject({ pre_start_required: true });
    const seen = await new Promise<string[]>((resolve, reject) => {
      const ids: string[] = [];
      const s = c.ListAndWatch({});
      s.on("data", (r: { devices: { ID: string }[] }) => {
        ids.push(r.devices[0]!.ID);
        if (ids.length === 3) {
          s.cancel();
          resolve(ids);
        }
      });
      s.on("error", (e: Error & { code?: number }) =>
        e.code === grpc.status.CANCELLED ? undefined : reject(e),
      );
    });
    expect(seen).toEqual(["gpu-0", "gpu-1", "gpu-2"]);
    c.close();
  });
});
