import type { Command } from "commander";
import { registerSim } from "./sim.js";

/** Every CLI command registers its flags here; one line per command module. */
export type RegisterCommand = (program: Command) => void;

export const COMMANDS: RegisterCommand[] = [registerSim];
