import type { Command } from "commander";
import type { RegisterCommand } from "./register.js";

/** backup, restore: copies of a data directory's store (see docs/store.md, Backup). */
export const registerBackup: RegisterCommand = (program: Command) => {
  program
    .command("backup")
    .summary("copy the store of a data directory to FILE (works while gpupool up runs)")
    .description(
      [
        "Copies the store (<data>/gpupool.db: jobs, events, tenants, tokens, usage) to FILE with SQLite's online",
        "backup, as of one moment, whether or not `gpupool up` is running on the directory: the copy reads the",
        "database alongside the server without blocking it. FILE is replaced only once the copy is complete and",
        "passes SQLite's integrity check. Run it on the host that has the data directory. Job logs (<data>/logs)",
        "are not part of it.",
      ].join("\n"),
    )
    .argument("<file>", "where to write the backup")
    .option("--data <dir>", "data directory (env GPUPOOL_DATA; default ~/.local/share/gpupool)")
    .addHelpText(
      "after",
      "\nExamples:\n  gpupool backup --data /var/lib/gpupool /backups/gpupool-$(date +%F).db\n  gpupool backup backup.db                     # the default data directory",
    )
    .action(async (file: string, opts: { data?: string }) => {
      const { runBackup } = await import("../../server/backup-command.js");
      await runBackup(file, opts);
    });

  program
    .command("restore")
    .summary("make a new data directory from a backup")
    .description(
      [
        "Checks FILE (a `gpupool backup`) and copies it into the data directory given with --data, which must",
        "not exist or be empty; then `gpupool up --data DIR` starts on it with the backup's jobs, tenants and",
        "tokens. The restored store keeps its instance id, so that server re-adopts the store's containers:",
        "stop any gpupool still running on the old data directory first.",
      ].join("\n"),
    )
    .argument("<file>", "a backup made by gpupool backup")
    .requiredOption("--data <dir>", "the new data directory (must not exist, or be empty)")
    .addHelpText(
      "after",
      "\nExamples:\n  gpupool restore /backups/gpupool-2026-12-01.db --data /var/lib/gpupool-restored\n  gpupool up --data /var/lib/gpupool-restored   # then start on it",
    )
    .action(async (file: string, opts: { data: string }) => {
      const { runRestore } = await import("../../server/backup-command.js");
      await runRestore(file, opts);
    });
};
