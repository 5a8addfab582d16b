import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { KubeHttp } from "../k8s/kube-http.js";
import { freePort } from "./free-port.js";

/**
 * A real Kubernetes 1.20 control plane for tests and `npm run bench:k8s`: etcd (Debian's), kube-apiserver and
 * kube-controller-manager (and kube-scheduler when asked), built by .ci/setup-k8s.sh. Loopback
 * only, one admin token, a self-signed serving certificate; fake nodes are Node objects the test
 * makes through the API. Ready in ~5 s.
 */
export interface ControlPlane {
  readonly dir: string;
  readonly kubeconfigPath: string;
  readonly kc: KubeConfig;
  readonly http: KubeHttp;
  /** Starts kube-scheduler against this control plane (client QPS/burst as given; an extender's URL prefix). */
  startKubeScheduler(qps?: number, extender?: string): Promise<ChildProcess>;
  stop(): Promise<void>;
}

const DEFAULT_CACHE = "/var/cache/gpupool/k8s/current";

/** Where the Kubernetes binaries are, or why there are none (for a skip message). */
export function kubeBinaries(): { dir: string } | { missing: string } {
  const dir = process.env.GPUPOOL_K8S_BIN ?? DEFAULT_CACHE;
  for (const b of ["kube-apiserver", "kube-controller-manager", "kube-scheduler"])
    if (!existsSync(path.join(dir, b)))
      return {
        missing: `no ${b} in ${dir}: run \`sudo bash .ci/setup-k8s.sh\` (builds Kubernetes 1.20.2, ~5 min) or set GPUPOOL_K8S_BIN`,
      };
  if (!existsSync("/usr/bin/etcd")) return { missing: "no /usr/bin/etcd: run `sudo bash .ci/setup-k8s.sh`" };
  return { dir };
}

/** Whether K8s suites run here; in CI a missing control plane fails them instead of skipping. */
export function kubeAvailable(): boolean {
  const b = kubeBinaries();
  if ("dir" in b) return true;
  if (process.env.CI) return true; // the suite fails at start with the reason
  console.warn(`skipping Kubernetes suite: ${b.missing}`);
  return false;
}

export async function startControlPlane(): Promise<ControlPlane> {
  const bins = kubeBinaries();
  if ("missing" in bins) throw new Error(bins.missing);
  const dir = mkdtempSync(path.join(tmpdir(), "gpupool-k8s-"));
  const procs: ChildProcess[] = [];
  const run = (name: string, bin: string, args: string[]) => {
    const log = createWriteStream(path.join(dir, `${name}.log`));
    const p = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
    p.stdout?.pipe(log);
    p.stderr?.pipe(log);
    procs.push(p);
    return p;
  };
  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  run("etcd", "/usr/bin/etcd", [
    `--data-dir=${dir}/etcd`,
    `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
    `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
    `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
    `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
    "--unsafe-no-fsync",
  ]);
  execFileSync("openssl", ["genrsa", "-out", `${dir}/sa.key`, "2048"], { stdio: "ignore" });
  const token = "gpupool-test-admin";
  writeFileSync(`${dir}/tokens.csv`, `${token},admin,admin,system:masters\n`);
  run("kube-apiserver", path.join(bins.dir, "kube-apiserver"), [
    `--etcd-servers=http://127.0.0.1:${etcdPort}`,
    `--secure-port=${apiPort}`,
    "--bind-address=127.0.0.1",
    "--insecure-port=0",
    "--endpoint-reconciler-type=none",
    "--authorization-mode=Node,RBAC",
    `--token-auth-file=${dir}/tokens.csv`,
    "--service-account-issuer=https://kubernetes.default.svc",
    `--service-account-key-file=${dir}/sa.key`,
    `--service-account-signing-key-file=${dir}/sa.key`,
    `--cert-dir=${dir}/certs`,
    "--service-cluster-ip-range=10.96.0.0/16",
    "--max-requests-inflight=3000",
    "--max-mutating-requests-inflight=1500",
    "--enable-priority-and-fairness=false",
  ]);
  const kubeconfigPath = path.join(dir, "kubeconfig");
  writeFileSync(
    kubeconfigPath,
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      `- name: test\n  cluster:\n    server: https://127.0.0.1:${apiPort}\n    insecure-skip-tls-verify: true`,
      "users:",
      `- name: admin\n  user:\n    token: ${token}`,
      "contexts:",
      "- name: test\n  context:\n    cluster: test\n    user: admin",
      "current-context: test",
      "",
    ].join("\n"),
  );
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const http = await KubeHttp.fromConfig(kc);
  const stop = async () => {
    for (const p of procs.reverse()) p.kill("SIGKILL");
    await http.close().catch(() => {});
    if (!process.env.GPUPOOL_KEEP_K8S) rmSync(dir, { recursive: true, force: true });
  };
  try {
    await until(
      async () => (await http.call("GET", "/readyz")).status === 200,
      60_000,
      "kube-apiserver ready",
    );
    run("kube-controller-manager", path.join(bins.dir, "kube-controller-manager"), [
      `--kubeconfig=${kubeconfigPath}`,
      "--controllers=*,-nodeipam,-nodelifecycle",
      "--leader-elect=false",
      `--service-account-private-key-file=${dir}/sa.key`,
      "--use-service-account-credentials=false",
      "--port=0",
      "--secure-port=0",
      "--kube-api-qps=1000",
      "--kube-api-burst=1000",
    ]);
    // The default ServiceAccount is what pods need to be created at all.
    await until(
      async () =>
        (await http.call("GET", "/api/v1/namespaces/default/serviceaccounts/default")).status === 200,
      60_000,
      "default service account",
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    dir,
    kubeconfigPath,
    kc,
    http,
    async startKubeScheduler(qps = 1000, extender?: string) {
      writeFileSync(
        `${dir}/kube-scheduler.yaml`,
        [
          "apiVersion: kubescheduler.config.k8s.io/v1beta1",
          "kind: KubeSchedulerConfiguration",
          "leaderElection:\n  leaderElect: false",
          `clientConnection:\n  kubeconfig: ${kubeconfigPath}\n  qps: ${qps}\n  burst: ${qps}`,
          ...(extender
            ? [
                `extenders:\n- urlPrefix: ${extender}\n  filterVerb: filter\n  bindVerb: bind\n  nodeCacheCapable: true\n  weight: 1`,
              ]
            : []),
          "",
        ].join("\n"),
      );
      return run("kube-scheduler", path.join(bins.dir, "kube-scheduler"), [
        `--config=${dir}/kube-scheduler.yaml`,
        "--port=0",
        "--secure-port=0",
      ]);
    },
    stop,
  };
}

export async function until(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  let last = "";
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      last = `: ${(err as Error).message}`; // not up yet
    }
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}${last}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
