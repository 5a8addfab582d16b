/**
 * Reads `nvidia-smi topo -m` (and `-mp`): the GPU×GPU link matrix, each GPU's CPU and NUMA affinity,
 * and the NVLink groups the scheduler uses. Tolerates tab- or space-separated cells, the " X " self
 * cell, NIC rows/columns (`mlx5_N` or `NICn`), the newer "GPU NUMA ID" column with its empty cell,
 * ANSI escapes around the header, and legend text after the matrix.
 *
 * Strict by default (an unknown link code throws). Given a `warnings` array it reads what it can
 * instead: the legacy `SOC` code (drivers before `SYS` replaced it: "PCIe as well as the SMP link
 * between CPU sockets") is read as SYS with a warning, and any other unreadable cell loses only
 * that link, with a warning naming it.
 */

/** How two GPUs connect, best to worst: NVLink (with its bonded link count), then PCIe paths. */
export type LinkKind = "NV" | "PIX" | "PXB" | "PHB" | "NODE" | "SYS";

export interface Link {
  readonly kind: LinkKind;
  /** Bonded NVLinks for `NV#` (e.g. 12 for NV12); 0 for PCIe paths. */
  readonly nvlinks: number;
}

export interface TopoGpu {
  readonly index: number;
  /** CPU list as printed ("48-63,176-191"); null when N/A or absent. */
  readonly cpuAffinity: string | null;
  /** CPU ids expanded from cpuAffinity. */
  readonly cpus: readonly number[];
  readonly numaNode: number | null;
  /** Link to every other GPU, by GPU index. */
  readonly links: ReadonlyMap<number, Link>;
}

export interface Topology {
  readonly gpus: readonly TopoGpu[];
  /** Connected components of the NVLink graph, each sorted; single GPUs without NVLink are left out. */
  readonly nvlinkGroups: readonly (readonly number[])[];
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are what we strip.
const ANSI = /\x1b\[[0-9;]*m/g;
const LINK = /^(NV(\d+)|PIX|PXB|PHB|NODE|SYS)$/;

/** "48-63,176-191" → [48..63, 176..191]. */
export function expandCpuList(list: string): number[] {
  const out: number[] = [];
  for (const part of list.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return [];
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (let c = a; c <= b; c++) out.push(c);
  }
  return out;
}

function splitCells(line: string): string[] {
  // Tab-separated as printed; when pasted with tabs expanded, fall back to runs of 2+ spaces.
  if (line.includes("\t")) return line.split("\t").map((c) => c.trim());
  // That fallback is best effort: a single space left between two cells would merge them.
  return line
    .trim()
    .split(/\s{2,}/)
    .map((c) => c.trim());
}

export function parseTopoMatrix(text: string, warnings?: string[]): Topology {
  const lines = text.replace(ANSI, "").split(/\r?\n/);
  // The header row is the first that starts with whitespace and then GPU0; GPU rows start with "GPU0".
  const headerAt = lines.findIndex((l) => /^\s+GPU0\b/.test(l));
  if (headerAt === -1) throw new Error("nvidia-smi topo -m: no header row starting with GPU0");
  const header = splitCells(lines[headerAt]!).filter((c, i) => !(i === 0 && c === ""));
  const col = (name: string) => header.findIndex((h) => h.toLowerCase() === name.toLowerCase());
  const cpuCol = col("CPU Affinity");
  const numaCol = col("NUMA Affinity");
  const gpuCols = header.map((h, i) => [h, i] as const).filter(([h]) => /^GPU\d+$/.test(h));

  const gpus: TopoGpu[] = [];
  for (const line of lines.slice(headerAt + 1)) {
    const cells = splitCells(line);
    const rowName = cells[0] ?? "";
    if (!/^GPU\d+$/.test(rowName)) {
      // The matrix ends at the blank line before the legend; other rows are NICs.
      if (gpus.length > 0 && (line.trim() === "" || /^Legend/i.test(line.trim()))) break;
      continue;
    }
    const values = cells.slice(1);
    const index = Number(rowName.slice(3));
    const links = new Map<number, Link>();
    for (const [name, c] of gpuCols) {
      const peer = Number(name.slice(3));
      if (peer === index) continue;
      const cell = values[c] ?? "";
      if (warnings && cell === "SOC") {
        warnings.push(`nvidia-smi topo -m: GPU${index}–GPU${peer}: legacy link "SOC" read as SYS`);
        links.set(peer, { kind: "SYS", nvlinks: 0 });
        continue;
      }
      const m = LINK.exec(cell);
      if (!m) {
        const what = `nvidia-smi topo -m: bad link "${cell}" between GPU${index} and GPU${peer}`;
        if (!warnings) throw new Error(what);
        warnings.push(`${what}; that link is left out`);
        continue;
      }
      links.set(
        peer,
        m[2] !== undefined ? { kind: "NV", nvlinks: Number(m[2]) } : { kind: m[1] as LinkKind, nvlinks: 0 },
      );
    }
    const cpuText = cpuCol >= 0 ? (values[cpuCol] ?? "") : "";
    const numaText = numaCol >= 0 ? (values[numaCol] ?? "") : "";
    const cpuAffinity = cpuText === "" || /^n\/a$/i.test(cpuText) ? null : cpuText;
    gpus.push({
      index,
      cpuAffinity,
      cpus: cpuAffinity ? expandCpuList(cpuAffinity) : [],
      numaNode: /^\d+$/.test(numaText) ? Number(numaText) : null,
      links,
    });
  }
  if (gpus.length === 0) throw new Error("nvidia-smi topo -m: no GPU rows");
  return { gpus, nvlinkGroups: nvlinkGroups(gpus) };
}

/** Connected components over NV# links. */
export function nvlinkGroups(gpus: readonly TopoGpu[]): number[][] {
  const seen = new Set<number>();
  const groups: number[][] = [];
  const byIndex = new Map(gpus.map((g) => [g.index, g]));
  for (const g of gpus) {
    if (seen.has(g.index)) continue;
    const group: number[] = [];
    const todo = [g.index];
    seen.add(g.index);
    while (todo.length > 0) {
      const cur = todo.pop()!;
      group.push(cur);
      for (const [peer, link] of byIndex.get(cur)?.links ?? []) {
        if (link.kind === "NV" && !seen.has(peer)) {
          seen.add(peer);
          todo.push(peer);
        }
      }
    }
    if (group.length > 1) groups.push(group.sort((a, b) => a - b));
  }
  return groups.sort((a, b) => a[0]! - b[0]!);
}
