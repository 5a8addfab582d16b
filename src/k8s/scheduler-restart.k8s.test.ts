import { type ChildProcess, spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN } from "../e2e/test-support/gpupool-bin.js";
import { ensureBuilt } from "../server/test-support/kill9-suite.js";
import { assignmentOf } from "./assignment.js";
import { type ControlPlane, kubeAvailable, startControlPlane, until } from "../bench/k8s-control-plane.js";
import { createFakeNodes, createPods, listPods, podManifest } from "../bench/k8s-fake-cluster.js";

// Acceptance 4 of the Kubernetes mode: `kill -9` of the scheduler (the real `gpupool k8s
// scheduler` process, leader-elected) halfway through, a new one resumes after the lease expires,
// and no GPU ends up held twice: the ledger is rebuilt from the pods' Binding annotations.
describe.runIf(kubeAvailable())("gpupool k8s scheduler: kill -9 and restart", () => {
  let cp: ControlPlane;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    ensureBuilt();
    cp = await startControlPlane();
  }, 180_000);
  afterAll(async () => {
    for (const c of children) c.kill("SIGKILL");
    await cp?.stop();
  });

  const scheduler = () => {
    const c = spawn(
      process.execPath,
      [
        BIN,
        "k8s",
        "scheduler",
        "--kubeconfig",
        cp.kubeconfigPath,
        "--lease-duration",
        "3",
        "--log-level",
        "warn",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let err = "";
    c.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
    });
    children.push(c);
    return { child: c, stderr: () => err };
  };
  const bound = async () => (await listPods(cp.http)).filter((p) => p.spec.nodeName);

  it("resumes after kill -9 with no GPU double-booked", async () => {
    const nodes = Array.from({ length: 100 }, (_, i) => `k-${String(i).padStart(3, "0")}`);
    await createFakeNodes(cp.http, nodes, { gpus: 8, model: "A100-80GB", gpuMemoryMiB: 81_920 });
    // 1,200 whole GPUs asked of 800: 400 must stay pending whatever the crash did.
    await createPods(
      cp.http,
      Array.from({ length: 1200 }, (_, i) => podManifest(`w-${i}`, { gpu: 1 })),
    );
    const first = scheduler();
    await until(
      async () => {
        const n = (await bound()).length;
        if (n >= 200) return true;
        throw new Error(`${n} bound; scheduler said: ${first.stderr().slice(-400)}`);
      },
      120_000,
      "200 pods bound",
    );
    first.child.kill("SIGKILL");
    const atKill = (await bound()).length;
    expect(atKill).toBeLessThan(800);
    const second = scheduler();
    await until(
      async () => {
        const n = (await bound()).length;
        if (n === 800) return true;
        throw new Error(`${n} bound; scheduler said: ${second.stderr().slice(-400)}`);
      },
      120_000,
      "800 pods bound",
    );
    await new Promise((r) => setTimeout(r, 2000)); // would a double booking bind more?
    const pods = await bound();
    expect(pods.length).toBe(800);
    const holders = new Map<string, string[]>();
    for (const p of pods) {
      const a = assignmentOf(p as never)!;
      for (const g of a.gpus) {
        const k = `${a.node}/${g.index}`;
        holders.set(k, [...(holders.get(k) ?? []), p.metadata.name]);
      }
    }
    const twice = [...holders].filter(([, who]) => who.length > 1);
    console.log(
      `k8s restart: killed at ${atKill} bound; after restart 800 bound on ${holders.size} GPUs, ${twice.length} held twice`,
    );
    expect(twice).toEqual([]);
    expect(holders.size).toBe(800);
    second.child.kill("SIGTERM");
  }, 300_000);
});
