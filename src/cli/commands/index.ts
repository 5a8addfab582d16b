import type { Command } from "commander";
import { registerCompat } from "./compat.js";
import { registerDemo } from "./demo.js";
import { registerGpus } from "./gpus.js";
import { registerSim } from "./sim.js";
import { registerUp } from "./up.js";
import { registerRun } from "./run.js";
import { registerApply } from "./apply.js";
import { registerJobs } from "./jobs.js";
import { registerCluster } from "./cluster.js";

/** Every CLI command registers its flags here; one line per command module. */
export type RegisterCommand = (program: Command) => void;

export const COMMANDS: RegisterCommand[] = [
  registerDemo,
  registerSim,
  registerGpus,
  registerCompat,
  registerUp,
  registerRun,
  registerApply,
  registerJobs,
  registerCluster,
];
