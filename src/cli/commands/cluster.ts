import type { Command } from "commander";
import { exitWith, withClientFlags } from "./client-flags.js";
import type { RegisterCommand } from "./index.js";

/** nodes, usage, tenants: the host and the tenants on a server. */
export const registerCluster: RegisterCommand = (program: Command) => {
  withClientFlags(program.command("nodes").summary("the host, its GPUs and what is in use")).action(
    async (opts) => exitWith(await (await import("../client/cluster.js")).nodesCommand(opts)),
  );
  withClientFlags(program.command("usage").summary("GPU-seconds per tenant and job (share × time)")).action(
    async (opts) => exitWith(await (await import("../client/cluster.js")).usageCommand(opts)),
  );
  withClientFlags(
    program
      .command("tenants")
      .summary("list tenants; admin: create NAME, token NAME, quota NAME")
      .argument("[action]", "list (default), create, token or quota")
      .argument("[name]", "tenant name")
      .option("--gpu-limit <gpus>", "quota: GPUs the tenant may hold at once, e.g. 0.5")
      .option("--cpu-limit <cpus>", "quota: CPUs the tenant may hold at once")
      .option(
        "--gpu-guarantee <gpus>",
        "quota: GPUs always available to the tenant (others' excess is reclaimed)",
      )
      .option("--gpu-seconds <n>", "quota: GPU-seconds the tenant may use in total")
      .option("--active-jobs <n>", "quota: unfinished jobs the tenant may have"),
  ).action(async (action: string | undefined, name: string | undefined, opts) =>
    exitWith(await (await import("../client/cluster.js")).tenantsCommand(action, name, opts)),
  );
};
