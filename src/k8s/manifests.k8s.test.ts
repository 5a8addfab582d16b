import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { BIN } from "../e2e/test-support/gpupool-bin.js";
import { ensureBuilt } from "../server/test-support/kill9-suite.js";
import { manifestsYaml } from "./manifests.js";
import { type ControlPlane, kubeAvailable, startControlPlane } from "../bench/k8s-control-plane.js";

/** Where each kind is created (cluster-scoped or in the object's namespace). */
function collection(doc: { apiVersion: string; kind: string; metadata: { namespace?: string } }): string {
  const plural: Record<string, string> = {
    Namespace: "namespaces",
    ServiceAccount: "serviceaccounts",
    ClusterRole: "clusterroles",
    ClusterRoleBinding: "clusterrolebindings",
    Deployment: "deployments",
    DaemonSet: "daemonsets",
    PriorityClass: "priorityclasses",
    Pod: "pods",
  };
  const base = doc.apiVersion === "v1" ? "/api/v1" : `/apis/${doc.apiVersion}`;
  const ns = doc.metadata.namespace ? `/namespaces/${doc.metadata.namespace}` : "";
  return `${base}${ns}/${plural[doc.kind]}`;
}

describe.runIf(kubeAvailable())("gpupool k8s manifests", () => {
  let cp: ControlPlane;
  beforeAll(async () => {
    ensureBuilt();
    cp = await startControlPlane();
  }, 120_000);
  afterAll(async () => {
    await cp?.stop();
  });

  it("deploy/kubernetes/gpupool.yaml is what `gpupool k8s manifests` prints", () => {
    const printed = execFileSync(process.execPath, [BIN, "k8s", "manifests"], { encoding: "utf8" });
    expect(readFileSync(new URL("../../deploy/kubernetes/gpupool.yaml", import.meta.url), "utf8")).toBe(
      printed,
    );
    expect(printed).toBe(manifestsYaml());
  });

  it("every object is accepted by a real API server, and the RBAC lets the scheduler do its work", async () => {
    const docs = parseAllDocuments(manifestsYaml({ namespace: "gpupool-test", image: "gpupool:test" })).map(
      (d) => d.toJS() as { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } },
    );
    expect(docs.map((d) => d.kind)).toEqual(
      expect.arrayContaining([
        "Namespace",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Deployment",
        "DaemonSet",
        "PriorityClass",
        "Pod",
      ]),
    );
    for (const d of docs) {
      const r = await cp.http.call("POST", collection(d), d);
      expect(r.status, `${d.kind} ${d.metadata.name}: ${r.body?.message}`).toBe(201);
    }
    // What the scheduler's service account may do, asked of the API server itself.
    const can = async (
      verb: string,
      resource: string,
      subresource = "",
      group = "",
      who = "gpupool-scheduler",
    ) => {
      const r = await cp.http.ok("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SubjectAccessReview",
        spec: {
          user: `system:serviceaccount:gpupool-test:${who}`,
          groups: ["system:serviceaccounts"],
          resourceAttributes: { verb, resource, subresource, group, namespace: "default" },
        },
      });
      return (r?.status as { allowed?: boolean } | undefined)?.allowed === true;
    };
    expect(await can("watch", "pods")).toBe(true);
    expect(await can("watch", "nodes")).toBe(true);
    expect(await can("create", "pods", "binding")).toBe(true);
    expect(await can("create", "pods", "eviction")).toBe(true);
    expect(await can("patch", "pods", "status")).toBe(true);
    expect(await can("create", "events")).toBe(true);
    expect(await can("update", "leases", "", "coordination.k8s.io")).toBe(true);
    expect(await can("delete", "pods")).toBe(false);
    // The agent: its Node's annotation, labels and taint; the pods bound there; refusal events.
    const agent = (verb: string, resource: string) => can(verb, resource, "", "", "gpupool-agent");
    expect(await agent("patch", "nodes")).toBe(true);
    expect(await agent("watch", "pods")).toBe(true);
    expect(await agent("create", "events")).toBe(true);
    expect(await can("patch", "leases", "", "coordination.k8s.io", "gpupool-agent")).toBe(true);
    expect(await can("watch", "leases", "", "coordination.k8s.io")).toBe(true);
    expect(await agent("create", "pods")).toBe(false);
    expect(await agent("delete", "nodes")).toBe(false);
  });
});
