import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Watch } from "@kubernetes/client-node";
import { type ControlPlane, startControlPlane, until } from "./k8s-control-plane.js";
import { createFakeNodes, createPods, podManifest } from "./k8s-fake-cluster.js";

/**
 * `npm run bench:k8s` (Kubernetes mode, acceptance 2): gpupool's scheduler against kube-scheduler
 * 1.20 on the same real control plane, one after the other in one run, both with client QPS/burst
 * 1000 (gpupool: 64 writes in flight), whole GPUs (nvidia.com/gpu: 1) so kube-scheduler can place
 * them. For each size: the pods are made first, then the scheduler starts; throughput counts from
 * the first pod seen bound to the last (a watch on the pods), so neither start-up nor pod creation
 * is in it. CPU-seconds per pod come from /proc (the scheduler process, start to end), RSS from its
 * VmHWM. Sizes: 100 nodes × 800 pods and 1,000 nodes × 8 GPUs × 5,000 pods (BENCH_K8S_SIZES=
 * "100x800,1000x5000" changes them). Prints what it measured and the ratios.
 */

const BIN = join(dirname(fileURLToPath(import.meta.url)), "../../bin/gpupool");
const TICK = 100; // USER_HZ on Linux

interface Round {
  readonly scheduler: "kube-scheduler" | "gpupool";
  readonly nodes: number;
  readonly pods: number;
  readonly bound: number;
  readonly podsPerSecond: number;
  readonly cpuMsPerPod: number;
  readonly rssMiB: number;
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICK; // utime, stime
}

function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : 0;
}

async function round(
  cp: ControlPlane,
  which: Round["scheduler"],
  nodes: number,
  count: number,
): Promise<Round> {
  const ns = `bench-${which === "gpupool" ? "g" : "k"}-${nodes}`;
  await cp.http.ok("POST", "/api/v1/namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: ns },
  });
  await until(
    async () =>
      (await cp.http.call("GET", `/api/v1/namespaces/${ns}/serviceaccounts/default`)).status === 200,
    30_000,
    "service account",
  );
  const schedulerName = which === "gpupool" ? "gpupool" : "default-scheduler";
  const pods = Array.from({ length: count }, (_, i) =>
    podManifest(`p-${i}`, { nvidiaGpu: 1, cpu: "10m", memory: "16Mi", schedulerName }, ns),
  );
  await createPods(cp.http, pods, 48);
  const boundAt: number[] = [];
  const seen = new Set<string>();
  const watch = new Watch(cp.kc);
  const req = await watch.watch(
    `/api/v1/namespaces/${ns}/pods`,
    {},
    (_type: string, pod: { metadata?: { name?: string }; spec?: { nodeName?: string } }) => {
      const name = pod.metadata?.name;
      if (name && pod.spec?.nodeName && !seen.has(name)) {
        seen.add(name);
        boundAt.push(performance.now());
      }
    },
    () => {},
  );
  let child: ChildProcess;
  if (which === "gpupool") {
    const prof = process.env.BENCH_K8S_PROF
      ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_K8S_PROF}`]
      : [];
    child = spawn(
      process.execPath,
      [
        ...prof,
        BIN,
        "k8s",
        "scheduler",
        "--kubeconfig",
        cp.kubeconfigPath,
        "--no-leader-elect",
        "--concurrency",
        "64",
        "--log-level",
        "warn",
      ],
      { stdio: ["ignore", "ignore", "inherit"] },
    );
  } else {
    child = await cp.startKubeScheduler(1000);
  }
  const pid = child.pid!;
  const expected = Math.min(count, nodes * 8);
  await until(async () => seen.size >= expected, 600_000, `${expected} pods bound by ${which}`);
  await new Promise((r) => setTimeout(r, 500));
  const cpu = cpuSeconds(pid);
  const rss = peakRssMiB(pid);
  if (which === "gpupool") {
    // A clean stop (its CPU profile, when asked, is written on exit).
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  } else child.kill("SIGKILL");
  req.abort();
  const span = (boundAt[boundAt.length - 1]! - boundAt[0]!) / 1000;
  await cp.http.ok("DELETE", `/api/v1/namespaces/${ns}/pods?gracePeriodSeconds=0`);
  await until(
    async () =>
      (((await cp.http.ok("GET", `/api/v1/namespaces/${ns}/pods?limit=1`))?.items ?? []) as unknown[])
        .length === 0,
    120_000,
    "pods deleted",
  );
  return {
    scheduler: which,
    nodes,
    pods: count,
    bound: seen.size,
    podsPerSecond: (seen.size - 1) / span,
    cpuMsPerPod: (cpu * 1000) / seen.size,
    rssMiB: rss,
  };
}

async function main(): Promise<void> {
  const sizes = (process.env.BENCH_K8S_SIZES ?? "100x800,1000x5000").split(",").map((s) => {
    const [n, p] = s.split("x").map(Number);
    return { nodes: n!, pods: p! };
  });
  const cp = await startControlPlane();
  const results: Round[] = [];
  try {
    let made = 0;
    for (const { nodes, pods } of sizes) {
      if (nodes > made) {
        const names = Array.from(
          { length: nodes - made },
          (_, i) => `bench-${String(made + i).padStart(4, "0")}`,
        );
        const t0 = performance.now();
        await createFakeNodes(cp.http, names, {
          gpus: 8,
          model: "A100-80GB",
          gpuMemoryMiB: 81_920,
          nvidiaGpu: true,
          taint: false,
        });
        console.log(
          `made ${names.length} fake nodes in ${((performance.now() - t0) / 1000).toFixed(1)} s (${nodes} now)`,
        );
        made = nodes;
      }
      for (const which of ["kube-scheduler", "gpupool"] as const) {
        const r = await round(cp, which, nodes, pods);
        results.push(r);
        console.log(
          `${r.scheduler.padEnd(14)} ${String(r.nodes).padStart(5)} nodes ${String(r.pods).padStart(5)} pods: ${r.bound} bound, ${r.podsPerSecond.toFixed(0)} pods/s, ${r.cpuMsPerPod.toFixed(2)} ms CPU/pod, RSS ${r.rssMiB.toFixed(0)} MiB`,
        );
      }
      const k = results.find((r) => r.scheduler === "kube-scheduler" && r.nodes === nodes)!;
      const g = results.find((r) => r.scheduler === "gpupool" && r.nodes === nodes)!;
      console.log(
        `  ratio at ${nodes} nodes: gpupool/kube-scheduler pods/s ${(g.podsPerSecond / k.podsPerSecond).toFixed(2)}×, CPU per pod ${(g.cpuMsPerPod / k.cpuMsPerPod).toFixed(2)}× (bar: ≥ 1.0× and ≤ 0.33× at 1,000 nodes; RSS ≤ 300 MB)`,
      );
    }
  } finally {
    await cp.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
