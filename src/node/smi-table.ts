/**
 * Reads the table plain `nvidia-smi` prints: one block per GPU (index, name, memory, MIG mode) and,
 * when MIG is on, the "MIG devices:" block (GPU, GI, CI, device index, memory, SMs, shared engines).
 * It is the only output that shows a MIG device's memory and SM count next to its GI/CI ids without
 * `-q`, so saved tables (bug reports, READMEs) can be checked against the catalog. Both table widths
 * are read (the 89-column one of 525+ drivers and the narrower R450 one): cells are split on `|`.
 */

export interface TableGpu {
  readonly index: number;
  readonly name: string;
  readonly memoryUsedMiB: number | null;
  readonly memoryTotalMiB: number | null;
  /** The "MIG M." cell: Enabled / Disabled; null when N/A or absent. */
  readonly migMode: "enabled" | "disabled" | null;
}

export interface TableMigDevice {
  readonly gpu: number;
  readonly gpuInstanceId: number;
  readonly computeInstanceId: number;
  /** MIG device index on its GPU (the "MIG Dev" column). */
  readonly index: number;
  readonly memoryUsedMiB: number;
  readonly memoryTotalMiB: number;
  readonly multiprocessors: number | null;
  /** Shared copy engines (the first number of the "CE ENC DEC OFA JPG" cell). */
  readonly copyEngines: number | null;
}

export interface SmiTable {
  readonly driverVersion: string | null;
  readonly cudaVersion: string | null;
  readonly gpus: readonly TableGpu[];
  readonly migDevices: readonly TableMigDevice[];
}

const cells = (line: string) =>
  line
    .trim()
    .replace(/^\||\|$/g, "")
    .split("|")
    .map((c) => c.trim());

const MEMORY = /(\d+)\s*MiB\s*\/\s*(\d+)\s*MiB/;

export function parseSmiTable(text: string): SmiTable {
  const lines = text.split(/\r?\n/);
  const header = lines.find((l) => /NVIDIA-SMI\s/.test(l)) ?? "";
  const driverVersion = /(?:Driver|KMD) Version:\s*([\d.]+)/.exec(header)?.[1] ?? null;
  const cudaVersion = /CUDA(?: UMD)? Version:\s*([\d.]+)/.exec(header)?.[1] ?? null;
  const gpus: TableGpu[] = [];
  const migDevices: TableMigDevice[] = [];
  let inMig = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\|\s*MIG devices:/.test(line)) inMig = true;
    else if (/^\|\s*Processes:/.test(line)) inMig = false;
    if (!line.startsWith("|")) continue;
    const c = cells(line);
    if (inMig) {
      const ids = /^(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$/.exec(c[0] ?? "");
      const mem = MEMORY.exec(c[1] ?? "");
      if (!ids || !mem) continue;
      const sm = /^(\d+)/.exec(c[2] ?? "");
      const ce = /^(\d+)/.exec(c[3] ?? "");
      migDevices.push({
        gpu: Number(ids[1]),
        gpuInstanceId: Number(ids[2]),
        computeInstanceId: Number(ids[3]),
        index: Number(ids[4]),
        memoryUsedMiB: Number(mem[1]),
        memoryTotalMiB: Number(mem[2]),
        multiprocessors: sm ? Number(sm[1]) : null,
        copyEngines: ce ? Number(ce[1]) : null,
      });
      continue;
    }
    // A GPU row: "0  NVIDIA H200   On" (persistence mode, or WDDM/TCC on Windows) in the first cell.
    const g = /^(\d+)\s+(.+?)\s+(On|Off|WDDM|TCC)$/.exec(c[0] ?? "");
    if (!g || c.length < 3) continue;
    const second = lines[i + 1]?.startsWith("|") ? cells(lines[i + 1]!) : [];
    const third = lines[i + 2]?.startsWith("|") ? cells(lines[i + 2]!) : [];
    const mem = MEMORY.exec(second[1] ?? "");
    const mig = (third[2] ?? "").toLowerCase();
    gpus.push({
      index: Number(g[1]),
      name: g[2]!,
      memoryUsedMiB: mem ? Number(mem[1]) : null,
      memoryTotalMiB: mem ? Number(mem[2]) : null,
      migMode: mig === "enabled" ? "enabled" : mig === "disabled" ? "disabled" : null,
    });
  }
  return { driverVersion, cudaVersion, gpus, migDevices };
}
