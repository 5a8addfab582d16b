import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, kubeAvailable, startControlPlane, until } from "../bench/k8s-control-plane.js";
import { createFakeNodes, createPods, listPods, podManifest } from "../bench/k8s-fake-cluster.js";
import { BIN } from "../e2e/test-support/gpupool-bin.js";
import { quietLogger } from "../loop/logger.js";
import { ensureBuilt } from "../server/test-support/kill9-suite.js";
import { parseQueues } from "./queues-file.js";
import { type K8sScheduler, startK8sScheduler } from "./scheduler.js";

// Queues and quotas in the Kubernetes mode: a namespace is a queue; `--queues` gives team-a a limit
// of 1 GPU, so of four half-GPU pods two bind and two wait with the quota as their reason, while
// another namespace without a limit takes the rest of the node.
describe.runIf(kubeAvailable())("gpupool k8s scheduler: queue quotas", () => {
  let cp: ControlPlane;
  let sched: K8sScheduler | undefined;
  beforeAll(async () => {
    ensureBuilt();
    cp = await startControlPlane();
  }, 120_000);
  afterAll(async () => {
    await sched?.stop();
    await cp?.stop();
  });

  it("a namespace's GPU limit holds its pods back, with the reason", async () => {
    await createFakeNodes(cp.http, ["q-node"], { gpus: 4, model: "A100-80GB", gpuMemoryMiB: 81_920 });
    for (const ns of ["team-a", "team-b"]) {
      await cp.http.ok("POST", "/api/v1/namespaces", {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: ns },
      });
      await until(
        async () =>
          (await cp.http.call("GET", `/api/v1/namespaces/${ns}/serviceaccounts/default`)).status === 200,
        30_000,
        `${ns}'s service account`,
      );
    }
    sched = await startK8sScheduler({
      kubeconfig: cp.kubeconfigPath,
      log: quietLogger,
      queues: parseQueues("queues:\n  - name: team-a\n    limit: { gpu: 1 }\n"),
    });
    const half = (name: string, ns: string) => podManifest(name, { gpu: 1, milli: 500 }, ns);
    await createPods(
      cp.http,
      [0, 1, 2, 3].map((i) => half(`a-${i}`, "team-a")),
    );
    await createPods(
      cp.http,
      [0, 1, 2, 3].map((i) => half(`b-${i}`, "team-b")),
    );
    await until(
      async () => {
        const a = await listPods(cp.http, "team-a");
        const b = await listPods(cp.http, "team-b");
        const marked = a.filter((p) =>
          p.status?.conditions?.some((c) => c.type === "PodScheduled" && c.status === "False"),
        );
        return (
          a.filter((p) => p.spec.nodeName).length === 2 &&
          marked.length === 2 &&
          b.every((p) => p.spec.nodeName)
        );
      },
      60_000,
      "team-a at its limit, team-b all bound",
    );
    const waiting = (await listPods(cp.http, "team-a")).find((p) => !p.spec.nodeName)!;
    const reason = waiting.status!.conditions!.find((c) => c.type === "PodScheduled")!.message!;
    console.log(`k8s queues: team-a 2 of 4 bound, the rest wait: "${reason}"`);
    expect(reason).toMatch(/team-a/);
    expect(reason).toMatch(/quota|limit/i);
  }, 120_000);

  it("`k8s scheduler --queues FILE` reads the file again on SIGHUP: a raised limit lets the rest bind", async () => {
    await sched?.stop();
    sched = undefined;
    const file = path.join(cp.dir, "queues.yaml");
    writeFileSync(file, "queues:\n  - name: team-a\n    limit: { gpu: 1 }\n");
    const child = spawn(
      process.execPath,
      [BIN, "k8s", "scheduler", "--kubeconfig", cp.kubeconfigPath, "--no-leader-elect", "--queues", file],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let log = "";
    child.stderr?.on("data", (d: Buffer) => {
      log += d.toString();
    });
    try {
      await until(async () => log.includes("gpupool scheduler started"), 30_000, "the scheduler started");
      const boundA = async () => (await listPods(cp.http, "team-a")).filter((p) => p.spec.nodeName).length;
      await new Promise((r) => setTimeout(r, 1500)); // a few cycles under the old limit: still 2
      expect(await boundA()).toBe(2);
      writeFileSync(file, "queues:\n  - name: team-a\n    limit: { gpu: 2 }\n");
      child.kill("SIGHUP");
      await until(async () => (await boundA()) === 4, 30_000, "team-a's other two bound under the new limit");
      expect(log).toContain("queues read again");
      // A broken file keeps the queues in force and says so.
      writeFileSync(file, "queues: [{ name: team-a, limit: { gpu: lots } }]\n");
      child.kill("SIGHUP");
      await until(async () => log.includes("the queues file is not valid"), 10_000, "the refusal logged");
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill("SIGTERM");
    }
  }, 120_000);
});
