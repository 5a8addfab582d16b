import type { Command } from "commander";

/**
 * What every CLI command module exports: a function that adds its command and flags to the program.
 * In a file of its own so that the commands and index.ts (which lists them) do not import each other.
 */
export type RegisterCommand = (program: Command) => void;
