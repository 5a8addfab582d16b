import { findGpuModel } from "../core/catalog.js";
import type { SavedSections } from "./saved-files.js";
import { migLayout } from "./smi-mig.js";
import { table } from "./gpus-report.js";

/**
 * What `gpupool gpus` prints for saved `topo -m` / `-L` / `mig` files given without a `-q -x`
 * document: one section per file, then the lines that could not be read.
 */

export function savedJson(s: SavedSections) {
  return {
    source: s.source,
    topology: s.topology && {
      gpus: s.topology.gpus.map((g) => ({
        index: g.index,
        cpuAffinity: g.cpuAffinity,
        numaNode: g.numaNode,
        links: Object.fromEntries(
          [...g.links].map(([peer, l]) => [String(peer), l.kind === "NV" ? `NV${l.nvlinks}` : l.kind]),
        ),
      })),
      nvlinkGroups: s.topology.nvlinkGroups,
    },
    list:
      s.listed?.map((g) => ({
        index: g.index,
        name: g.name,
        model: findGpuModel(g.name)?.name ?? g.name,
        uuid: g.uuid,
        migDevices: g.migDevices.map((d) => ({ index: d.index, profile: d.profile, uuid: d.uuid })),
      })) ?? null,
    mig: s.mig && {
      profiles: s.mig.profiles,
      placements: s.mig.placements,
      layout: Object.fromEntries([...migLayout(s.mig)].map(([gpu, l]) => [String(gpu), l])),
    },
    warnings: s.warnings,
  };
}

export function renderSavedSections(s: SavedSections): string {
  const out = [`Saved nvidia-smi outputs from ${s.source}`];
  if (s.topology) {
    const groups = s.topology.nvlinkGroups;
    out.push("", "Topology (topo -m):");
    out.push(
      ...table(
        ["GPU", "CPU AFFINITY", "NUMA", "NVLINK PEERS", "LINKS"],
        s.topology.gpus.map((g) => [
          String(g.index),
          g.cpuAffinity ?? "N/A",
          g.numaNode === null ? "N/A" : String(g.numaNode),
          (groups.find((x) => x.includes(g.index)) ?? []).filter((i) => i !== g.index).join(",") || "-",
          [...g.links].map(([p, l]) => `${p}:${l.kind === "NV" ? `NV${l.nvlinks}` : l.kind}`).join(" "),
        ]),
      ),
    );
    out.push(`NVLink groups: ${groups.length ? groups.map((g) => `[${g.join(",")}]`).join(" ") : "none"}`);
  }
  if (s.listed) {
    out.push("", "GPUs (-L):");
    out.push(
      ...table(
        ["GPU", "MODEL", "NAME", "UUID"],
        s.listed.map((g) => [String(g.index), findGpuModel(g.name)?.name ?? "?", g.name, g.uuid]),
      ),
    );
    const mig = s.listed.flatMap((g) =>
      g.migDevices.map((d) => [String(g.index), String(d.index), d.profile, d.uuid]),
    );
    if (mig.length) out.push("", ...table(["GPU", "DEV", "PROFILE", "UUID"], mig));
  }
  if (s.mig) {
    if (s.mig.profiles.length) {
      out.push("", "MIG GPU-instance profiles (mig -lgip):");
      out.push(
        ...table(
          ["GPU", "PROFILE", "ID", "FREE/TOTAL", "MEMORY", "SMS", "CE"],
          s.mig.profiles.map((p) => [
            String(p.gpu),
            p.name,
            String(p.profileId),
            `${p.free}/${p.total}`,
            `${p.memoryMiB} MiB`,
            String(p.sms),
            p.copyEngines === null ? "?" : String(p.copyEngines),
          ]),
        ),
      );
    }
    const layout = [...migLayout(s.mig)].flatMap(([gpu, gis]) =>
      gis.map((gi) => [
        String(gpu),
        String(gi.gpuInstanceId),
        gi.profile,
        `${gi.start}:${gi.size}`,
        gi.computeInstances.map((c) => `${c.computeInstanceId}:${c.profile}`).join(" ") || "-",
      ]),
    );
    if (s.mig.seen.includes("gpuInstances")) {
      out.push("", "MIG instances (mig -lgi / -lci):");
      out.push(
        ...(layout.length
          ? table(["GPU", "GI", "PROFILE", "PLACEMENT", "COMPUTE INSTANCES"], layout)
          : ["  none"]),
      );
    }
  }
  out.push("", "Warnings:", ...(s.warnings.length ? s.warnings.map((w) => `  ${w}`) : ["  none"]));
  return `${out.join("\n")}\n`;
}
