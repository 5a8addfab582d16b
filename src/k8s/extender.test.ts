import { afterEach, describe, expect, it } from "vitest";
import { request } from "undici";
import { quietLogger } from "../loop/logger.js";
import { FakeClock } from "../loop/test-support/fake-clock.js";
import { type Extender, startExtender } from "./extender.js";
import { KubeCluster } from "./kube-cluster.js";
import type { KubeHttp } from "./kube-http.js";
import { inventoryAnnotation } from "./node-inventory.js";
import { okWrites } from "./test-support/recording-writes.js";

// The extender's HTTP face with gpupool's ledger behind it (its binds against a real API server
// and kubelet are in kubelet-foreign.k8s.test.ts): kube-scheduler's JSON (Go field names, matched
// case-insensitively), the room per node, and bad requests answered with an Error, never a crash.
describe("kube-scheduler's extender", () => {
  let ext: Extender | undefined;
  afterEach(async () => {
    await ext?.close();
    ext = undefined;
  });

  async function start(gets: Record<string, unknown> = {}) {
    const cluster = new KubeCluster({
      writes: okWrites(async () => "bound"),
      clock: new FakeClock(0),
      log: quietLogger,
    });
    for (const [name, cpu] of [
      ["big", "8"],
      ["small", "1"],
    ] as const)
      cluster.upsertNode({
        metadata: {
          name,
          annotations: {
            "gpupool.dev/inventory": inventoryAnnotation([
              { index: 0, model: "A100-80GB", memoryMiB: 81920 },
            ]),
          },
        },
        status: {
          allocatable: { cpu, memory: "16Gi", pods: "110" },
          conditions: [{ type: "Ready", status: "True" }],
        },
      });
    // Only bind reads the pod from the API server; a stand-in answers with `gets`.
    const http = {
      call: async (_method: string, path: string) =>
        path in gets ? { status: 200, body: gets[path] } : { status: 404, body: { message: "not found" } },
    } as unknown as KubeHttp;
    ext = await startExtender({ cluster, http, log: quietLogger, host: "127.0.0.1", port: 0 });
    return { cluster, url: ext.url };
  }
  const post = async (url: string, body: string, method: "POST" | "GET" = "POST") => {
    const r = await request(url, { method, body: method === "POST" ? body : null });
    return { status: r.statusCode, json: (await r.body.json()) as Record<string, unknown> };
  };
  const pod = (cpu: string) => ({
    metadata: { name: "web", namespace: "default", uid: "u1" },
    spec: { containers: [{ name: "c", resources: { requests: { cpu } } }] },
  });

  it("filter: the nodes with room for the pod, and why the others have none", async () => {
    const { url } = await start();
    const r = await post(
      `${url}/filter`,
      JSON.stringify({ Pod: pod("2"), NodeNames: ["big", "small", "gone"] }),
    );
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      NodeNames: ["big", "gone"], // a node gpupool does not track: kube-scheduler's own checks decide
      FailedNodes: { small: "Insufficient cpu (gpupool counts 1000m free)" },
      Error: "",
    });
    // Field names as Go's encoding/json reads them: any case.
    const lower = await post(`${url}/filter`, JSON.stringify({ pod: pod("100m"), nodenames: ["small"] }));
    expect(lower.json.NodeNames).toEqual(["small"]);
  });

  it("bind: refuses a pod for which the node has no room, before any Binding is sent", async () => {
    const { url } = await start({ "/api/v1/namespaces/default/pods/web": pod("4") });
    const r = await post(
      `${url}/bind`,
      JSON.stringify({ PodName: "web", PodNamespace: "default", PodUID: "u1", Node: "small" }),
    );
    expect(r.json.Error).toBe(
      "gpupool: no room for default/web on small: Insufficient cpu (gpupool counts 1000m free)",
    );
    const gone = await post(
      `${url}/bind`,
      JSON.stringify({ PodName: "nobody", PodNamespace: "default", PodUID: "u2", Node: "big" }),
    );
    expect(gone.json.Error).toContain("pod default/nobody: HTTP 404");
  });

  it("bad requests get an Error and a 4xx, and the server keeps serving", async () => {
    const { url } = await start();
    expect((await post(`${url}/filter`, "{not json")).status).toBe(400);
    expect((await post(`${url}/filter`, "{}", "GET")).status).toBe(405);
    const unknown = await post(`${url}/prioritize`, "{}");
    expect(unknown).toMatchObject({
      status: 404,
      json: { Error: expect.stringContaining("no such extender verb") },
    });
    expect((await post(`${url}/filter`, JSON.stringify({ Pod: pod("1") }))).json.Error).toContain(
      "filter needs Pod and NodeNames",
    );
    expect((await post(`${url}/bind`, JSON.stringify({ PodName: "web" }))).json.Error).toContain(
      "bind needs PodName, PodNamespace, PodUID and Node",
    );
    expect(
      (await post(`${url}/filter`, JSON.stringify({ Pod: pod("1"), NodeNames: ["big"] }))).json.NodeNames,
    ).toEqual(["big"]);
  });
});
