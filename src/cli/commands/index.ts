import { registerCompat } from "./compat.js";
import { registerDemo } from "./demo.js";
import { registerGpus } from "./gpus.js";
import { registerSim } from "./sim.js";
import { registerUp } from "./up.js";
import { registerRun } from "./run.js";
import { registerApply } from "./apply.js";
import { registerJobs } from "./jobs.js";
import { registerCluster } from "./cluster.js";
import { registerCompletion } from "./completion.js";
import { registerLogin } from "./login.js";
import { registerBackup } from "./backup.js";
import { registerTokens } from "./tokens.js";
import { registerK8s } from "./k8s.js";
import type { RegisterCommand } from "./register.js";

/** Every CLI command registers its flags here; one line per command module. */
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
  registerLogin,
  registerCompletion,
  registerBackup,
  registerTokens,
  registerK8s,
];
