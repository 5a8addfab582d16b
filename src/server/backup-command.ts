import { backupStore, restoreStore } from "../store/index.js";
import { defaultDataDir } from "./up.js";

/** `gpupool backup` and `gpupool restore` (the work is the store's: src/store/backup.ts). */

export interface BackupCliOptions {
  data?: string;
}

export async function runBackup(file: string, opts: BackupCliOptions, out = stdout): Promise<void> {
  const data = opts.data ?? defaultDataDir();
  const r = await backupStore(data, file);
  out(
    `backed up ${data} to ${r.file}: ${r.jobs} jobs, ${r.tenants} tenants, ${r.tokens} tokens (instance ${r.instanceId}, schema ${r.schemaVersion}, ${r.bytes} bytes, ${r.ms} ms)`,
  );
}

export async function runRestore(file: string, opts: { data: string }, out = stdout): Promise<void> {
  const r = await restoreStore(file, opts.data);
  out(
    `restored ${file} into ${r.dataDir}: ${r.jobs} jobs, ${r.tenants} tenants, ${r.tokens} tokens (instance ${r.instanceId}, ${r.ms} ms)`,
  );
  out(
    `start it with: gpupool up --data ${r.dataDir}  (it re-adopts instance ${r.instanceId}'s containers: stop any gpupool still running on the old data directory first)`,
  );
}

function stdout(line: string): void {
  process.stdout.write(`${line}\n`);
}
