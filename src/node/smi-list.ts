/**
 * Reads `nvidia-smi -L`: one line per GPU and one indented line per MIG device. Handles both MIG
 * line layouts (R450: `MIG 1g.5gb Device 0: (UUID: MIG-GPU-<uuid>/<gi>/<ci>)`; newer drivers pad the
 * profile and right-align the index), compute-instance profiles (`1c.3g.71gb`) and CRLF line ends.
 * Strict by default; given a `warnings` array, a line it cannot read (an infoROM warning the driver
 * prints among the GPUs, say) is skipped with a warning instead.
 */

export interface ListedMigDevice {
  readonly index: number;
  /** Profile as printed: a GPU-instance profile (`3g.40gb`) or a compute-instance one (`1c.3g.71gb`). */
  readonly profile: string;
  readonly uuid: string;
}

export interface ListedGpu {
  readonly index: number;
  readonly name: string;
  readonly uuid: string;
  readonly migDevices: readonly ListedMigDevice[];
}

const GPU_LINE = /^GPU\s+(\d+):\s+(.+?)\s+\(UUID:\s*(GPU-[^)\s]+)\)\s*$/;
const MIG_LINE = /^\s+MIG\s+(\S+)\s+Device\s+(\d+):\s+\(UUID:\s*(MIG-[^)\s]+)\)\s*$/;

export function parseSmiList(text: string, warnings?: string[]): ListedGpu[] {
  const gpus: { index: number; name: string; uuid: string; migDevices: ListedMigDevice[] }[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "") continue;
    const g = GPU_LINE.exec(line);
    if (g) {
      gpus.push({ index: Number(g[1]), name: g[2]!, uuid: g[3]!, migDevices: [] });
      continue;
    }
    const m = MIG_LINE.exec(line);
    const parent = gpus[gpus.length - 1];
    if (m && parent) {
      parent.migDevices.push({ index: Number(m[2]), profile: m[1]!, uuid: m[3]! });
      continue;
    }
    const what = `unrecognised nvidia-smi -L line: ${JSON.stringify(line)}`;
    if (!warnings) throw new Error(what);
    warnings.push(`${what}; skipped`);
  }
  return gpus;
}

/** The GPU-instance part of a profile: `2c.3g.71gb` → `3g.71gb`; `1g.10gb` stays. */
export function gpuInstanceProfile(profile: string): string {
  return profile.replace(/^\d+c\./, "");
}
