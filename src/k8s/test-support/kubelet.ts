import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type ControlPlane, until } from "../../bench/k8s-control-plane.js";

/**
 * One real kubelet (1.20.2, built by .ci/setup-k8s.sh) with a private containerd (Debian's 1.6),
 * joined to a test control plane as node `name`, for the device-plugin suites. Host-network pods
 * only (a loopback-only CNI config), images imported from Podman's store (localhost/busybox:latest)
 * plus a pause image built here from pause.c. The kubelet needs a node IP that is not 127/8: the
 * harness adds 10.254.0.1/32 to `lo` and removes it after. The kubelet changes three sysctls
 * (vm.overcommit_memory, kernel.panic, kernel.panic_on_oops); stop() puts them back. The device
 * plugin directory is the kubelet's fixed /var/lib/kubelet/device-plugins. Root only.
 */
export interface Kubelet {
  readonly name: string;
  readonly dir: string;
  readonly podResourcesSocket: string;
  readonly devicePluginDir: string;
  /** The kubelet process (restart() replaces it). */
  process(): ChildProcess;
  /** Stops the kubelet and starts it again (it wipes the device-plugin directory as it starts). */
  restart(): Promise<void>;
  /** A container's log lines, read from the kubelet's log directory. */
  logs(pod: { namespace: string; name: string; uid: string }, container: string): string;
  stop(): Promise<void>;
}

const NODE_IP = "10.254.0.1";
const SYSCTLS = ["vm.overcommit_memory", "kernel.panic", "kernel.panic_on_oops"];
const BIN = process.env.GPUPOOL_K8S_BIN ?? "/var/cache/gpupool/k8s/current";

/** Why a kubelet cannot run here, or undefined when it can. */
export function kubeletMissing(): string | undefined {
  if (process.getuid?.() !== 0) return "the kubelet suite needs root";
  for (const [file, hint] of [
    [path.join(BIN, "kubelet"), "run `sudo bash .ci/setup-k8s.sh`"],
    ["/usr/bin/containerd", "apt install containerd"],
    ["/usr/bin/ctr", "apt install containerd"],
    ["/usr/bin/podman", "run `sudo bash .ci/setup-podman.sh`"],
  ] as const)
    if (!existsSync(file)) return `no ${file}: ${hint}`;
  return undefined;
}

/**
 * Whether a kubelet suite runs here: with the control-plane binaries and a kubelet; in CI a missing
 * part is a failure (the suite runs and fails), on a laptop a skip with the hint.
 */
export function kubeletSuiteRuns(controlPlane: boolean): boolean {
  const missing = kubeletMissing();
  const run = controlPlane && (missing === undefined || Boolean(process.env.CI));
  if (!run && missing) console.warn(`skipping the kubelet suite: ${missing}`);
  return run;
}

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

export async function startKubelet(cp: ControlPlane, name = "kubelet-node"): Promise<Kubelet> {
  const dir = mkdtempSync(path.join(tmpdir(), "gpupool-kubelet-"));
  const saved = SYSCTLS.map((k) => [k, sh("sysctl", ["-n", k]).trim()] as const);
  const podLogs = "/var/log/pods";
  const logsBefore = new Set(existsSync(podLogs) ? readdirSync(podLogs) : []);
  const procs: ChildProcess[] = [];
  const run = (log: string, bin: string, args: string[]) => {
    const out = createWriteStream(path.join(dir, log), { flags: "a" });
    const p = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
    p.stdout?.pipe(out);
    p.stderr?.pipe(out);
    procs.push(p);
    return p;
  };
  try {
    sh("ip", ["addr", "add", `${NODE_IP}/32`, "dev", "lo"]);
  } catch {
    // already there (an earlier run that did not clean up)
  }
  // The pause image: a static binary from pause.c, imported through Podman into containerd.
  const here = path.dirname(fileURLToPath(import.meta.url));
  mkdirSync(path.join(dir, "pause-root"));
  sh("gcc", ["-static", "-O2", "-o", path.join(dir, "pause-root/pause"), path.join(here, "pause.c")]);
  execFileSync("sh", [
    "-c",
    `tar -C ${dir}/pause-root -c . | podman import --change 'ENTRYPOINT ["/pause"]' - localhost/gpupool-pause:latest >/dev/null && podman save --format docker-archive -o ${dir}/pause.tar localhost/gpupool-pause:latest 2>/dev/null && podman save --format docker-archive -o ${dir}/busybox.tar localhost/busybox:latest 2>/dev/null`,
  ]);
  mkdirSync(path.join(dir, "cni"));
  writeFileSync(
    path.join(dir, "cni/10-gpupool.conflist"),
    JSON.stringify({ cniVersion: "0.4.0", name: "gpupool-host-only", plugins: [{ type: "loopback" }] }),
  );
  const sock = path.join(dir, "containerd.sock");
  writeFileSync(
    path.join(dir, "containerd.toml"),
    [
      "version = 2",
      `root = "${dir}/containerd-root"`,
      `state = "${dir}/containerd-state"`,
      "[grpc]",
      `  address = "${sock}"`,
      '[plugins."io.containerd.grpc.v1.cri"]',
      '  sandbox_image = "localhost/gpupool-pause:latest"',
      "  restrict_oom_score_adj = true",
      '  [plugins."io.containerd.grpc.v1.cri".cni]',
      '    bin_dir = "/usr/lib/cni"',
      `    conf_dir = "${dir}/cni"`,
      "",
    ].join("\n"),
  );
  run("containerd.log", "/usr/bin/containerd", ["--config", path.join(dir, "containerd.toml")]);
  await until(async () => existsSync(sock), 20_000, "containerd's socket");
  for (const tar of ["pause.tar", "busybox.tar"])
    await until(
      async () => {
        sh("ctr", ["-a", sock, "-n", "k8s.io", "images", "import", path.join(dir, tar)]);
        return true;
      },
      20_000,
      `ctr import ${tar}`,
    );
  writeFileSync(
    path.join(dir, "kubelet.yaml"),
    [
      "apiVersion: kubelet.config.k8s.io/v1beta1",
      "kind: KubeletConfiguration",
      `address: ${NODE_IP}`,
      "port: 10350",
      "readOnlyPort: 0",
      "healthzPort: 0",
      "cgroupDriver: cgroupfs",
      "cgroupsPerQOS: false",
      "enforceNodeAllocatable: []",
      "failSwapOn: false",
      "authentication:\n  anonymous: {enabled: true}\n  webhook: {enabled: false}",
      "authorization: {mode: AlwaysAllow}",
      "evictionHard: {}",
      "imageGCHighThresholdPercent: 100",
      "imageGCLowThresholdPercent: 99",
      "",
    ].join("\n"),
  );
  const root = path.join(dir, "kubelet-root");
  const kubeletArgs = [
    `--config=${dir}/kubelet.yaml`,
    `--kubeconfig=${cp.kubeconfigPath}`,
    "--container-runtime=remote",
    `--container-runtime-endpoint=unix://${sock}`,
    `--root-dir=${root}`,
    `--hostname-override=${name}`,
    `--node-ip=${NODE_IP}`,
    "--pod-infra-container-image=localhost/gpupool-pause:latest",
  ];
  let kubelet = run("kubelet.log", path.join(BIN, "kubelet"), kubeletArgs);
  const kubeletProc = () => kubelet;
  const ready = async () => {
    // The node lifecycle controller is off in the test control plane: lift the not-ready taint.
    await until(
      async () => {
        const r = await cp.http.call("GET", `/api/v1/nodes/${name}`);
        const conds = (r.body?.status as { conditions?: { type: string; status: string }[] } | undefined)
          ?.conditions;
        return r.status === 200 && conds?.some((c) => c.type === "Ready" && c.status === "True") === true;
      },
      90_000,
      `node ${name} Ready`,
    );
    await cp.http.ok(
      "PATCH",
      `/api/v1/nodes/${name}`,
      { spec: { taints: null } },
      "application/merge-patch+json",
    );
  };
  const stop = async () => {
    // The kubelet first (so it restarts nothing), then every container it made, then containerd.
    // Killing a shim alone orphans its container's processes, so the tasks are killed through ctr
    // and whatever is left in their cgroups after that.
    kubeletProc()?.kill("SIGKILL");
    let ids: string[] = [];
    try {
      ids = sh("ctr", ["-a", sock, "-n", "k8s.io", "containers", "ls", "-q"]).split("\n").filter(Boolean);
      for (const id of ids)
        try {
          sh("ctr", ["-a", sock, "-n", "k8s.io", "tasks", "kill", "-s", "SIGKILL", id]);
        } catch {
          // not running
        }
    } catch {
      // containerd is gone already
    }
    await new Promise((r) => setTimeout(r, 500));
    for (const id of ids) {
      for (const ctl of ["pids", "memory", "cpu,cpuacct", "blkio", "devices", "freezer", "name=systemd"]) {
        const cg = path.join("/sys/fs/cgroup", ctl === "name=systemd" ? "systemd" : ctl, "k8s.io", id);
        try {
          for (const pid of readFileSync(path.join(cg, "cgroup.procs"), "utf8").split("\n").filter(Boolean))
            process.kill(Number(pid), "SIGKILL");
        } catch {
          // no such cgroup
        }
      }
    }
    for (const p of procs.reverse()) p.kill("SIGKILL");
    await new Promise((r) => setTimeout(r, 300));
    try {
      sh("pkill", ["-9", "-f", `containerd-shim-runc-v2 -namespace k8s.io -id [^ ]+ -address ${sock}`]);
    } catch {
      // none left
    }
    for (const [k, v] of saved) sh("sysctl", ["-q", "-w", `${k}=${v}`]);
    try {
      sh("ip", ["addr", "del", `${NODE_IP}/32`, "dev", "lo"]);
    } catch {
      // gone
    }
    // Mounts the kubelet and containerd left under the directory come off before it goes.
    try {
      const mounts = sh("findmnt", ["-rn", "-o", "TARGET"])
        .split("\n")
        .filter((m) => m.startsWith(dir))
        .sort()
        .reverse();
      for (const m of mounts) sh("umount", ["-l", m]);
    } catch {
      // nothing mounted
    }
    if (!process.env.GPUPOOL_KEEP_K8S) {
      rmSync(dir, { recursive: true, force: true });
      // The kubelet's log directories of this run's pods (it removes them only for pods it saw deleted).
      for (const d of existsSync(podLogs) ? readdirSync(podLogs) : [])
        if (!logsBefore.has(d)) rmSync(path.join(podLogs, d), { recursive: true, force: true });
    }
  };
  try {
    await ready();
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    name,
    dir,
    podResourcesSocket: path.join(root, "pod-resources/kubelet.sock"),
    devicePluginDir: "/var/lib/kubelet/device-plugins",
    process: () => kubelet,
    async restart() {
      kubelet.kill("SIGTERM");
      await new Promise((r) => kubelet.once("exit", r));
      kubelet = run("kubelet.log", path.join(BIN, "kubelet"), kubeletArgs);
    },
    logs(pod, container) {
      const f = path.join("/var/log/pods", `${pod.namespace}_${pod.name}_${pod.uid}`, container, "0.log");
      if (!existsSync(f)) return "";
      return sh("cat", [f])
        .split("\n")
        .map((l) => l.replace(/^\S+ (stdout|stderr) [FP] /, ""))
        .join("\n");
    },
    stop,
  };
}
