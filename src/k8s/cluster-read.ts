import type { V1Node, V1Pod } from "@kubernetes/client-node";
import { GpupoolError } from "../core/errors.js";
import { type ClusterView, clusterView } from "./cluster-view.js";
import { KubeHttp } from "./kube-http.js";
import { reachableKubeConfig } from "./scheduler-command.js";

/**
 * One read of the cluster for `gpupool nodes --k8s` / `ps --k8s`: the Nodes and the pods (of one
 * namespace, or all) from the API server, as cluster-view.ts shows them. GP_KUBE_UNREACHABLE when
 * the API server does not answer; its refusals (403 and the like) keep their message.
 */
export async function readClusterView(
  kubeconfig: string | undefined,
  namespace?: string,
): Promise<ClusterView> {
  const kc = await reachableKubeConfig(kubeconfig);
  const http = await KubeHttp.fromConfig(kc, 2);
  try {
    const list = async <T>(path: string): Promise<T[]> => {
      const r = await http.call("GET", path);
      if (r.status !== 200)
        throw new GpupoolError(
          "GP_KUBE_UNREACHABLE",
          `GET ${path}: HTTP ${r.status} ${r.body?.message ?? ""}`.trim(),
        );
      return ((r.body as { items?: T[] } | undefined)?.items ?? []) as T[];
    };
    const [nodes, pods] = await Promise.all([
      list<V1Node>("/api/v1/nodes"),
      list<V1Pod>(namespace ? `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods` : "/api/v1/pods"),
    ]);
    return clusterView(nodes, pods);
  } finally {
    await http.close();
  }
}
