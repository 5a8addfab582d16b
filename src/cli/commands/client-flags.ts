import type { Command } from "commander";

/** -o/--output, on every command that prints data (see client/output.ts). */
export const OUTPUT_FLAG = "-o, --output <format>";
export const OUTPUT_HELP = "table (default), wide (more columns), json or yaml";

export function withOutputFlag(cmd: Command): Command {
  return cmd.option(OUTPUT_FLAG, OUTPUT_HELP);
}

/** --server, --token, --config and -o on every command that talks to a gpupool server. */
export function withClientFlags(cmd: Command, output = true): Command {
  cmd
    .option("--server <url>", "gpupool server (env GPUPOOL_SERVER; default http://127.0.0.1:7878)")
    .option("--token <token>", "API token (env GPUPOOL_TOKEN)")
    .option(
      "--config <file>",
      "config file with server: and token: (default ~/.config/gpupool/config.yaml; `gpupool login` writes it)",
    );
  return output ? withOutputFlag(cmd) : cmd;
}

/** Sets the exit code a command's work returned. */
export function exitWith(code: number): void {
  if (code !== 0) process.exitCode = code;
}

/** --k8s and --kubeconfig on the commands that can read a Kubernetes cluster instead (nodes, ps). */
export function withK8sFlags(cmd: Command): Command {
  return cmd
    .option("--k8s", "read the Kubernetes cluster's GPUs and GPU pods from its API server instead")
    .option(
      "--kubeconfig <file>",
      "with --k8s (implies it): kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, else in-cluster)",
    );
}

/** Whether the flags ask for the Kubernetes view. */
export function wantsK8s(opts: { k8s?: boolean; kubeconfig?: string }): boolean {
  return Boolean(opts.k8s || opts.kubeconfig);
}
