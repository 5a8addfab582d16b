import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { V1Pod } from "@kubernetes/client-node";
import type { Logger } from "../loop/logger.js";
import type { KubeCluster } from "./kube-cluster.js";
import type { KubeHttp } from "./kube-http.js";
import { podRequests } from "./pod-workload.js";

/**
 * kube-scheduler's extender (filter and bind), served by the gpupool scheduler, so that ordinary
 * pods kube-scheduler places on gpupool's nodes never meet gpupool's in the node's last room. Two
 * schedulers that each count the pods bound on a node still race: each binds into room the other
 * has just given away and not yet seen, and the kubelet rejects the loser (OutOfcpu, OutOfmemory;
 * 4–6 of 24 pods in the burst kubelet-foreign.k8s.test.ts makes). With this extender kube-scheduler
 * asks gpupool which nodes have room (filter) and hands gpupool its bindings (bind): gpupool checks
 * the room against its own ledger — its slices being bound included — counts the pod from that
 * moment and only then sends the Binding, all in its one event loop, so the two never overlap.
 *
 * kube-scheduler's configuration (KubeSchedulerConfiguration `extenders`):
 *   urlPrefix: http://<gpupool>:<port>/gpupool, filterVerb: filter, bindVerb: bind,
 *   nodeCacheCapable: true. Its JSON carries Go's field names (Pod, NodeNames, PodName, …).
 */
export interface ExtenderOptions {
  readonly cluster: KubeCluster;
  readonly http: KubeHttp;
  readonly log: Logger;
  readonly host: string;
  readonly port: number;
}

export interface Extender {
  readonly url: string;
  /** Binds done and refused (tests, the status line). */
  readonly counts: { bound: number; refused: number; filtered: number };
  close(): Promise<void>;
}

export const EXTENDER_PREFIX = "/gpupool";

export async function startExtender(o: ExtenderOptions): Promise<Extender> {
  const counts = { bound: 0, refused: 0, filtered: 0 };
  const server: Server = createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method !== "POST") return reply(405, { Error: "POST only" });
    readJson(req)
      .then(async (body) => {
        if (req.url === `${EXTENDER_PREFIX}/filter`) return reply(200, filter(o.cluster, body, counts));
        if (req.url === `${EXTENDER_PREFIX}/bind`) return reply(200, await bind(o, body, counts));
        reply(404, { Error: `no such extender verb: ${req.url}` });
      })
      .catch((err: unknown) => {
        o.log.warn({ err, url: req.url }, "extender request refused");
        reply(400, { Error: `gpupool extender: ${(err as Error).message}` });
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${addr.address.includes(":") ? `[${addr.address}]` : addr.address}:${addr.port}${EXTENDER_PREFIX}`,
    counts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Go's encoding/json matches field names case-insensitively; so do we. */
function field(obj: unknown, name: string): unknown {
  if (typeof obj !== "object" || obj === null) return undefined;
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(obj)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

function filter(cluster: KubeCluster, body: unknown, counts: { filtered: number }) {
  const pod = field(body, "Pod") as V1Pod | undefined;
  const names = field(body, "NodeNames");
  if (!pod || !Array.isArray(names))
    return { Error: "gpupool extender: filter needs Pod and NodeNames (nodeCacheCapable: true)" };
  counts.filtered++;
  const room = cluster.roomFor(names as string[], podRequests(pod));
  const fit: string[] = [];
  const failed: Record<string, string> = {};
  for (const [name, why] of room) {
    if (why === null) fit.push(name);
    else failed[name] = why;
  }
  return { NodeNames: fit, FailedNodes: failed, Error: "" };
}

async function bind(o: ExtenderOptions, body: unknown, counts: { bound: number; refused: number }) {
  const name = String(field(body, "PodName") ?? "");
  const namespace = String(field(body, "PodNamespace") ?? "");
  const uid = String(field(body, "PodUID") ?? "");
  const node = String(field(body, "Node") ?? "");
  if (!name || !namespace || !uid || !node)
    return { Error: "gpupool extender: bind needs PodName, PodNamespace, PodUID and Node" };
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`;
  const got = await o.http.call("GET", path);
  if (got.status !== 200) return { Error: `gpupool extender: pod ${namespace}/${name}: HTTP ${got.status}` };
  const need = podRequests(got.body as V1Pod);
  // From here to hold() nothing awaits: no gpupool cycle can place into the same room meanwhile.
  const why = o.cluster.roomFor([node], need).get(node);
  if (why) {
    counts.refused++;
    return { Error: `gpupool: no room for ${namespace}/${name} on ${node}: ${why}` };
  }
  o.cluster.hold(uid, node, need);
  const r = await o.http.call("POST", `${path}/binding`, {
    apiVersion: "v1",
    kind: "Binding",
    metadata: { name, namespace, uid },
    target: { apiVersion: "v1", kind: "Node", name: node },
  });
  if (r.status < 200 || r.status >= 300) {
    o.cluster.releaseHeld(uid);
    return { Error: `binding ${namespace}/${name} to ${node}: HTTP ${r.status} ${r.body?.message ?? ""}` };
  }
  counts.bound++;
  return { Error: "" };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 64 * 2 ** 20) throw new Error("request body over 64 MiB");
    chunks.push(c as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}
