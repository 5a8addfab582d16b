import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, kubeAvailable, startControlPlane } from "../bench/k8s-control-plane.js";

describe.runIf(kubeAvailable())("the test control plane (Kubernetes 1.20 built by .ci/setup-k8s.sh)", () => {
  let cp: ControlPlane;
  beforeAll(async () => {
    cp = await startControlPlane();
  }, 120_000);
  afterAll(async () => {
    await cp?.stop();
  });

  it("serves the API with the admin token and has the default namespaces", async () => {
    const r = await cp.http.ok("GET", "/api/v1/namespaces");
    const names = ((r?.items ?? []) as { metadata: { name: string } }[]).map((n) => n.metadata.name);
    expect(names).toEqual(expect.arrayContaining(["default", "kube-system"]));
    const v = await cp.http.ok("GET", "/version");
    expect(v?.gitVersion).toMatch(/^v1\.20\./);
  });
});
