import { hostname } from "node:os";
import { pino } from "pino";
import { GpupoolError } from "../core/errors.js";
import { requirePolicy } from "../scheduler/policies.js";
import { KubeHttp } from "./kube-http.js";
import { LeaderElector } from "./leader.js";
import { readQueuesFile } from "./queues-file.js";
import { loadKubeConfig, startK8sScheduler } from "./scheduler.js";
import type { KubeConfig } from "@kubernetes/client-node";

export interface SchedulerCommandOptions {
  readonly kubeconfig?: string;
  readonly policy: string;
  readonly leaderElect: boolean;
  readonly leaseNamespace: string;
  readonly leaseDuration: string;
  readonly concurrency: string;
  readonly logLevel: string;
  readonly queues?: string;
  readonly extenderListen?: string;
}

/** `gpupool k8s scheduler`: run until SIGINT/SIGTERM; exits 1 when the lease is lost. */
export async function runSchedulerCommand(o: SchedulerCommandOptions): Promise<void> {
  const policy = requirePolicy(o.policy);
  const leaseSeconds = positive("--lease-duration", o.leaseDuration);
  const concurrency = positive("--concurrency", o.concurrency);
  const queues = o.queues ? readQueuesFile(o.queues) : undefined;
  const extender = o.extenderListen !== undefined ? listenAddress(o.extenderListen) : undefined;
  const log = pino({ level: o.logLevel, base: { component: "gpupool-scheduler" } }, pino.destination(2));
  const kc = await reachableKubeConfig(o.kubeconfig);
  const http = await KubeHttp.fromConfig(kc);
  const identity = process.env.POD_NAME ?? `${hostname()}_${process.pid}`;
  const elector = o.leaderElect
    ? new LeaderElector({
        http,
        namespace: o.leaseNamespace,
        name: "gpupool-scheduler",
        identity,
        leaseDurationSeconds: leaseSeconds,
        log,
        onLost: () => process.exit(1),
      })
    : undefined;
  if (elector) {
    log.info({ identity, namespace: o.leaseNamespace }, "waiting for the gpupool-scheduler lease");
    await elector.acquire();
    log.info({ identity }, "leading");
  }
  const sched = await startK8sScheduler({
    ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}),
    ...(queues ? { queues } : {}),
    ...(extender ? { extender } : {}),
    policy,
    log,
    concurrency,
  });
  log.info(
    {
      policy,
      nodes: sched.cluster.nodes().length,
      ...sched.cluster.stats(),
      ...(sched.extender ? { extender: sched.extender.url } : {}),
    },
    "gpupool scheduler started",
  );
  let last = "";
  const status = setInterval(() => {
    const s = JSON.stringify(sched.cluster.stats());
    if (s !== last) log.info({ ...sched.cluster.stats(), ...sched.cluster.counts }, "status");
    last = s;
  }, 10_000);
  status.unref();
  const reload = () => {
    if (!o.queues) return log.warn("SIGHUP: no --queues file to read again");
    try {
      const next = readQueuesFile(o.queues);
      sched.setQueues(next);
      log.info({ file: o.queues, queues: next.length }, "queues read again");
    } catch (err) {
      log.error({ err, file: o.queues }, "SIGHUP: the queues file is not valid; keeping the queues in force");
    }
  };
  process.on("SIGHUP", reload);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  process.off("SIGHUP", reload);
  clearInterval(status);
  log.info("stopping");
  await sched.stop();
  await elector?.release();
  await http.close();
}

/** The kubeconfig, once its API server answered /version; GP_KUBE_UNREACHABLE with why, else. */
export async function reachableKubeConfig(file: string | undefined): Promise<KubeConfig> {
  const fail = (why: string) => new GpupoolError("GP_KUBE_UNREACHABLE", why);
  let kc: KubeConfig;
  let http: KubeHttp;
  try {
    kc = loadKubeConfig(file);
    http = await KubeHttp.fromConfig(kc, 1);
  } catch (err) {
    throw fail(`cannot use the kubeconfig${file ? ` ${file}` : ""}: ${(err as Error).message}`);
  }
  try {
    const probe = await http
      .call("GET", "/version")
      .catch((err: Error) => ({ status: 0, body: { message: err.message } }));
    if (probe.status !== 200)
      throw fail(
        `the API server at ${kc.getCurrentCluster()?.server ?? "?"} did not answer: ${probe.body?.message ?? `HTTP ${probe.status}`}`,
      );
  } finally {
    await http.close();
  }
  return kc;
}

/** "HOST:PORT" or ":PORT" (all addresses) for --extender-listen. */
function listenAddress(text: string): { host: string; port: number } {
  const m = /^(.*):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port < 1 || port > 65_535)
    throw new GpupoolError(
      "GP_INVALID_ARGUMENT",
      `--extender-listen must be HOST:PORT or :PORT (e.g. :8888), got "${text}"`,
    );
  return { host: m[1]?.replace(/^\[|\]$/g, "") || "0.0.0.0", port };
}

function positive(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new GpupoolError("GP_INVALID_ARGUMENT", `${flag} must be a whole number ≥ 1, got "${text}"`);
  return n;
}
