/**
 * Reads the MIG listings of `nvidia-smi mig`: GPU-instance profiles (`-lgip`) and their placements
 * (`-lgipp`), the GPU instances that exist (`-lgi`) and their compute instances (`-lci`). Pure; one
 * text may hold several listings one after another (a saved file of `-lgi` then `-lci`), each
 * recognised by its title row. Unreadable rows are skipped and reported in `warnings`, so one odd
 * line loses only itself.
 *
 * Layouts (89/79/71-column boxes, `|` cells):
 * - `-lgip`: "GPU instance profiles:"; a row per profile, `GPU  MIG <name>  ID  free/total  GiB
 *   P2P  SM  DEC  ENC`, then an optional second line `CE  JPEG  OFA`.
 * - `-lgi`: "GPU instances:"; `GPU  MIG <name>  profile-ID  instance-ID  start:size`.
 * - `-lci`: "Compute instances:"; `GPU  GI-ID  MIG <name>  profile-ID  instance-ID  start:size`.
 * - `-lgipp`: lines `GPU  0 Profile ID 19 Placements: {0,1,2,3,4,5,6}:1` (`Placement :` when one).
 * "No GPU instances found: Not Found" (and the compute-instance form) mean an empty listing.
 */

export interface MigProfileListing {
  readonly gpu: number;
  /** "1g.10gb", "1g.10gb+me" (without the "MIG " prefix). */
  readonly name: string;
  readonly profileId: number;
  readonly free: number;
  readonly total: number;
  /** Instance memory, MiB: the printed GiB (2 decimals) rounded to the 64 MiB sizes come in. */
  readonly memoryMiB: number;
  readonly p2p: boolean;
  readonly sms: number;
  readonly decoders: number | null;
  readonly encoders: number | null;
  readonly copyEngines: number | null;
  readonly jpegs: number | null;
  readonly ofas: number | null;
}

export interface MigPlacementListing {
  readonly gpu: number;
  readonly profileId: number;
  readonly starts: readonly number[];
  readonly size: number;
}

export interface MigGpuInstanceListing {
  readonly gpu: number;
  readonly profile: string;
  readonly profileId: number;
  readonly gpuInstanceId: number;
  readonly start: number;
  readonly size: number;
}

export interface MigComputeInstanceListing {
  readonly gpu: number;
  readonly gpuInstanceId: number;
  /** "3g.40gb" for a CI spanning its GI, "1c.3g.40gb" for a part of it. */
  readonly profile: string;
  readonly profileId: number;
  readonly computeInstanceId: number;
  readonly start: number;
  readonly size: number;
}

export interface MigListings {
  readonly profiles: readonly MigProfileListing[];
  readonly placements: readonly MigPlacementListing[];
  readonly gpuInstances: readonly MigGpuInstanceListing[];
  readonly computeInstances: readonly MigComputeInstanceListing[];
  /** Which listings the text held (so "none found" differs from "not given"). */
  readonly seen: readonly ("profiles" | "placements" | "gpuInstances" | "computeInstances")[];
  readonly warnings: readonly string[];
}

/**
 * "9.75" GiB → 9984 MiB. Instance sizes are multiples of 64 MiB (A30 1g.6gb: 5952 MiB, printed
 * 5.81), and two decimals tell every sixteenth of a GiB apart, so the conversion is exact.
 */
export function gibToMiB(gib: number): number {
  return Math.round(gib * 16) * 64;
}

const num = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : null);

const PROFILE_ROW =
  /^\|\s*(\d+)\s+MIG\s+(\S+)\s+(\d+)\s+(\d+)\/(\d+)\s+([\d.]+)\s+(Yes|No)\s+(\d+)\s+(\d+)\s+(\d+)\s*\|$/;
const ENGINE_ROW = /^\|\s+(\d+)\s+(\d+)\s+(\d+)\s*\|$/;
const GI_ROW = /^\|\s*(\d+)\s+MIG\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+):(\d+)\s*\|$/;
const CI_ROW = /^\|\s*(\d+)\s+(\d+)\s+MIG\s+(\S+)\s+(\d+)\*?\s+(\d+)\s+(\d+):(\d+)\s*\|$/;
const PLACEMENT = /^GPU\s+(\d+)\s+Profile ID\s+(\d+)\s+Placements?\s*:\s*\{([\d,\s]*)\}:(\d+)\s*$/;
/** Box rules, header rows and blank lines: nothing to read. */
const FRAME = /^(\+[-=+]*\+|\|[=+]+\||\|\s*(GPU|Free\/Total|ID|Instance|\(MIG\))\b.*\||\s*)$/;

type Section = "profiles" | "gpuInstances" | "computeInstances" | null;

export function parseMigListings(text: string): MigListings {
  const profiles: MigProfileListing[] = [];
  const placements: MigPlacementListing[] = [];
  const gpuInstances: MigGpuInstanceListing[] = [];
  const computeInstances: MigComputeInstanceListing[] = [];
  const seen = new Set<MigListings["seen"][number]>();
  const warnings: string[] = [];
  let section: Section = null;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\s+$/, "");
    if (/^\|\s*GPU instance profiles:/.test(line)) section = "profiles";
    else if (/^\|\s*GPU instances:/.test(line)) section = "gpuInstances";
    else if (/^\|\s*Compute instances:/.test(line)) section = "computeInstances";
    if (section !== null && /:\s*\|$/.test(line) && /instance/i.test(line)) {
      seen.add(section);
      continue;
    }
    if (/^No (GPU|compute) instances found/i.test(line.trim())) {
      seen.add(/GPU/.test(line) ? "gpuInstances" : "computeInstances");
      section = null;
      continue;
    }
    const pl = PLACEMENT.exec(line);
    if (pl) {
      seen.add("placements");
      placements.push({
        gpu: Number(pl[1]),
        profileId: Number(pl[2]),
        starts: pl[3]!
          .split(",")
          .map((s) => s.trim())
          .filter((s) => s !== "")
          .map(Number),
        size: Number(pl[4]),
      });
      continue;
    }
    if (FRAME.test(line)) continue;
    if (section === "profiles") {
      const m = PROFILE_ROW.exec(line);
      if (m) {
        const engines = ENGINE_ROW.exec(lines[i + 1]?.replace(/\s+$/, "") ?? "");
        if (engines) i++;
        profiles.push({
          gpu: Number(m[1]),
          name: m[2]!,
          profileId: Number(m[3]),
          free: Number(m[4]),
          total: Number(m[5]),
          memoryMiB: gibToMiB(Number(m[6])),
          p2p: m[7] === "Yes",
          sms: Number(m[8]),
          decoders: num(m[9]),
          encoders: num(m[10]),
          copyEngines: num(engines?.[1]),
          jpegs: num(engines?.[2]),
          ofas: num(engines?.[3]),
        });
        continue;
      }
    } else if (section === "gpuInstances") {
      const m = GI_ROW.exec(line);
      if (m) {
        gpuInstances.push({
          gpu: Number(m[1]),
          profile: m[2]!,
          profileId: Number(m[3]),
          gpuInstanceId: Number(m[4]),
          start: Number(m[5]),
          size: Number(m[6]),
        });
        continue;
      }
    } else if (section === "computeInstances") {
      const m = CI_ROW.exec(line);
      if (m) {
        computeInstances.push({
          gpu: Number(m[1]),
          gpuInstanceId: Number(m[2]),
          profile: m[3]!,
          profileId: Number(m[4]),
          computeInstanceId: Number(m[5]),
          start: Number(m[6]),
          size: Number(m[7]),
        });
        continue;
      }
    }
    warnings.push(`nvidia-smi mig: skipped a line it could not read: ${JSON.stringify(line.trim())}`);
  }
  return { profiles, placements, gpuInstances, computeInstances, seen: [...seen], warnings };
}

/** One GPU instance with its compute instances: the node's actual MIG layout on one GPU. */
export interface MigInstanceLayout {
  readonly gpuInstanceId: number;
  readonly profile: string;
  readonly profileId: number;
  /** First memory slice and slice count (`-lgi` Placement Start:Size). */
  readonly start: number;
  readonly size: number;
  readonly computeInstances: readonly {
    readonly computeInstanceId: number;
    readonly profile: string;
    readonly profileId: number;
    readonly start: number;
    readonly size: number;
  }[];
}

/** GPU index → its GPU instances (by start slice) with their compute instances (by start). */
export function migLayout(
  l: Pick<MigListings, "gpuInstances" | "computeInstances">,
): Map<number, MigInstanceLayout[]> {
  const out = new Map<number, MigInstanceLayout[]>();
  for (const gi of [...l.gpuInstances].sort((a, b) => a.gpu - b.gpu || a.start - b.start)) {
    const cis = l.computeInstances
      .filter((c) => c.gpu === gi.gpu && c.gpuInstanceId === gi.gpuInstanceId)
      .sort((a, b) => a.start - b.start)
      .map(({ computeInstanceId, profile, profileId, start, size }) => ({
        computeInstanceId,
        profile,
        profileId,
        start,
        size,
      }));
    const list = out.get(gi.gpu) ?? [];
    list.push({
      gpuInstanceId: gi.gpuInstanceId,
      profile: gi.profile,
      profileId: gi.profileId,
      start: gi.start,
      size: gi.size,
      computeInstances: cis,
    });
    out.set(gi.gpu, list);
  }
  return out;
}
