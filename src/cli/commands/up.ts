import type { Command } from "commander";
import type { UpCliOptions } from "../../server/up-command.js";
import type { RegisterCommand } from "./register.js";

export const registerUp: RegisterCommand = (program: Command) => {
  program
    .command("up")
    .summary("run the standalone server: HTTP API, store, node agent and container engine on this host")
    .description(
      [
        "Starts gpupool on this host: the HTTP API (OpenAPI at /openapi.json), the SQLite store under --data,",
        "the node agent (nvidia-smi discovery, or SIMULATED GPUs with --simulate or when none are found) and",
        "the container engine (a Podman or Docker socket; with only the podman binary, a service gpupool owns;\n" +
          "with no engine at all and --engine auto, the in-memory engine, labelled SIMULATED).",
        "Job containers keep running when gpupool stops and are re-adopted when it starts again.",
      ].join("\n"),
    )
    .option(
      "--simulate <gpus>",
      "simulated GPUs, e.g. 2xA100-80GB or 1xA100-80GB:mig,1xA100-80GB (:mig = MIG-enabled; see below; default when nvidia-smi is absent: 2xA100-80GB)",
    )
    .option(
      "--simulate-cpus <n>",
      "CPUs the scheduler sees on this node instead of this host's count (containers are not confined to them)",
    )
    .option(
      "--engine <engine>",
      "auto (falls back to fake when there is none), podman, docker or fake (in-memory, runs no containers)",
      "auto",
    )
    .option("--data <dir>", "data directory (env GPUPOOL_DATA; default ~/.local/share/gpupool)")
    .option("--listen <host:port>", "address of the API", "127.0.0.1:7878")
    .option("--cdi-dir <dir>", "where CDI specs for slices are written", "/var/run/cdi")
    .option(
      "--gpu-sharing <mode>",
      "how GPU shares are enforced: auto, mps (hard limits) or timeslice (memory advisory); see below",
      "auto",
    )
    .option(
      "--vm-runtime <path>",
      "OCI runtime binary for isolation: vm, e.g. /usr/bin/kata-runtime (default: none, vm jobs are refused)",
    )
    .option(
      "--overuse-action <action>",
      "a time-sliced share over its GPU memory (gpuMemory): warn (an event) or kill (stop it, Failed); see below",
      "warn",
    )
    .option("--telemetry-interval <ms>", "how often time-sliced shares' GPU memory is sampled", "5000")
    .option(
      "--gpu-health-log <file>",
      "watch this kernel log for NVIDIA XID errors (e.g. /var/log/kern.log): a GPU with a fatal XID takes no new work; see below",
    )
    .option("--gpu-health-interval <ms>", "how often --gpu-health-log is read", "5000")
    .option(
      "--gpu-health-recover <seconds>",
      "a GPU is healthy again this long after its last fatal XID",
      "300",
    )
    .option("--log", "log every request (pino JSON on stdout)")
    .addHelpText(
      "after",
      [
        "",
        "GPU shares (gpu: 0.25, gpuMemory: 10Gi) are enforced by --gpu-sharing:",
        "  mps        each share is a client of its GPU's MPS control daemon (gpupool starts one per shared",
        "             GPU with nvidia-cuda-mps-control): a hard compute percentage and GPU memory limit;",
        "             its container joins the host's IPC namespace. Needs real GPUs and the binary.",
        "  timeslice  shares time-slice the GPU; their GPU memory is advisory (watched, not fenced).",
        "  auto       mps on real GPUs when nvidia-cuda-mps-control is on PATH, else timeslice.",
        "The mode is printed at start (GPU shares: …) and reported as gpuSharing in /v1/info.",
        "",
        "The admin token: the first start makes one once the server listens and prints it once (stored",
        "hashed). A start that fails (port in use, data directory not writable, another gpupool on it: one",
        "error[CODE] line, exit 4) creates nothing and makes no token. Lost it? Whoever can start gpupool on",
        "this data directory can install their own: stop gpupool, then GPUPOOL_ADMIN_TOKEN=<16+ characters>",
        "gpupool up --data DIR (that token then works alongside any earlier ones).",
        "",
        "MIG (mig: 1g.10gb) runs on simulated GPUs only in this version: --simulate COUNTxMODEL:mig starts",
        "those GPUs with MIG mode enabled (models with MIG: A100-40GB, A100-80GB, H100-80GB, H200). A MIG GPU",
        "is handed out only as MIG instances, placed by the model's slice geometry (A100-80GB: seven 1g.10gb,",
        "or one 4g.40gb + three 1g.10gb); each job's instance exists while it runs, its container sees only",
        "that instance (NVIDIA_VISIBLE_DEVICES = CUDA_VISIBLE_DEVICES = MIG-SIM-…), and `gpupool nodes` lists",
        "the instances with their jobs. On real GPUs, MIG jobs are refused (GP_MIG_UNSUPPORTED).",
        "",
        "GPU memory of time-sliced shares (--gpu-sharing timeslice, or simulated GPUs): every --telemetry-interval",
        "each share with a gpuMemory is compared with what its container uses (nvidia-smi's compute apps, mapped",
        "to containers; on SIMULATED GPUs a container reports its own with a log line",
        "GPUPOOL_SIMULATED_GPU_MEMORY_MIB=N). Over it: a GpuMemoryOveruse event (warn), or the job is stopped",
        "and fails (kill). /metrics: gpupool_job_gpu_memory_used_bytes (admin token), gpupool_gpu_memory_overuse_actions.",
        "",
        "GPU health (--gpu-health-log FILE): the file is read from its end at start, every interval. A fatal",
        "XID (48 double-bit ECC, 63/64 row remapping, 74 NVLink, 79 fallen off the bus, 94/95 ECC, 119/120",
        "GSP…) of a GPU, named by its PCI address, makes it unhealthy: it takes no new work, the jobs on it",
        "get an event (every XID does), and `gpupool nodes` and /metrics (gpupool_gpu_healthy) show it;",
        "application XIDs (13, 31, 43…) are only events. Simulated GPU N is at PCI 0000:(N+1):00.",
        "",
        "Isolation (a job's isolation field, run --isolation):",
        "  container  the engine's default runtime (runc).",
        "  sandbox    gVisor: /usr/bin/runsc (Podman: a second podman service gpupool owns; Docker: a runsc",
        "             runtime in daemon.json). Refused at submission when the engine does not offer it.",
        "  vm         the runtime given with --vm-runtime, named by its file name (Docker: registered in",
        "             daemon.json under that name). Without --vm-runtime, vm jobs are refused at submission",
        "             with GP_RUNTIME_UNAVAILABLE. No VM runtime (Kata) has been run with gpupool yet.",
        "",
        "Examples:",
        "  gpupool up                                   # real GPUs if nvidia-smi finds them, else simulated",
        "  gpupool up --simulate 2xH100-80GB --engine podman",
        "  gpupool up --simulate 1xA100-80GB:mig,1xA100-80GB   # GPU 0 MIG-enabled, GPU 1 whole/shares",
        "  gpupool up --gpu-health-log /var/log/kern.log",
        "  gpupool up --simulate 2xA100-80GB --simulate-cpus 2 --engine fake   # a small host, nothing run",
        "  gpupool up --gpu-sharing timeslice           # never start MPS daemons",
        "  gpupool up --vm-runtime /usr/bin/kata-runtime  # accept isolation: vm jobs",
      ].join("\n"),
    )
    .action(async (opts: UpCliOptions) => {
      const { runUp } = await import("../../server/up-command.js");
      await runUp(opts);
    });
};
