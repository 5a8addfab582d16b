import { readFile } from "node:fs/promises";
import { GpupoolError } from "../core/errors.js";
import { inventoryFromSmi } from "./discover.js";
import type { GpuInventory } from "./gpu-info.js";
import { type ListedGpu, parseSmiList } from "./smi-list.js";
import { type MigListings, parseMigListings } from "./smi-mig.js";
import { parseTopoMatrix, type Topology } from "./smi-topo.js";

/**
 * `gpupool gpus` on saved nvidia-smi outputs instead of a live nvidia-smi: `-q -x`
 * (--nvidia-smi-xml), `topo -m` (--nvidia-smi-topo), `-L` (--nvidia-smi-list) and
 * `mig -lgip/-lgipp/-lgi/-lci` (--nvidia-smi-mig). With `-q -x` the others are merged into the
 * GPU inventory as discovery merges them; without it each file is reported on its own. Either way a
 * line a parser cannot read is skipped with a warning and the rest of the file is used.
 */

export interface SavedFiles {
  readonly xml?: string;
  readonly topo?: string;
  readonly list?: string;
  readonly mig?: string;
}

/** What the saved files hold when there is no `-q -x` to build an inventory from. */
export interface SavedSections {
  readonly source: string;
  readonly topology: Topology | null;
  readonly listed: readonly ListedGpu[] | null;
  readonly mig: MigListings | null;
  readonly warnings: readonly string[];
}

export type SavedReport =
  | { readonly kind: "inventory"; readonly inventory: GpuInventory }
  | { readonly kind: "sections"; readonly sections: SavedSections };

async function read(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    throw new GpupoolError("GP_INVALID_ARGUMENT", `cannot read ${path}: ${(err as Error).message}`, { path });
  }
}

function unreadable(what: string, path: string, why: string): GpupoolError {
  return new GpupoolError("GP_NVIDIA_SMI_PARSE", `cannot read \`nvidia-smi ${what}\` from ${path}: ${why}`, {
    command: what,
    path,
  });
}

const sourceOf = (files: SavedFiles) =>
  `file:${[files.xml, files.topo, files.list, files.mig].filter((f) => f !== undefined).join(",")}`;

export async function loadSavedFiles(files: SavedFiles): Promise<SavedReport> {
  const [xml, topo, list, mig] = await Promise.all(
    [files.xml, files.topo, files.list, files.mig].map((f) => (f === undefined ? undefined : read(f))),
  );
  if (xml !== undefined) {
    const texts = {
      ...(topo !== undefined ? { topo } : {}),
      ...(list !== undefined ? { list } : {}),
      ...(mig !== undefined ? { mig } : {}),
    };
    return { kind: "inventory", inventory: inventoryFromSmi(xml, sourceOf(files), texts) };
  }
  // Each file on its own: it must hold what it claims to; a bad line only loses itself.
  const warnings: string[] = [];
  let topology: Topology | null = null;
  if (topo !== undefined) {
    try {
      topology = parseTopoMatrix(topo, warnings);
    } catch (err) {
      throw unreadable("topo -m", files.topo!, (err as Error).message);
    }
  }
  let listed: ListedGpu[] | null = null;
  if (list !== undefined) {
    listed = parseSmiList(list, warnings);
    if (listed.length === 0) throw unreadable("-L", files.list!, "no GPU line");
  }
  let listings: MigListings | null = null;
  if (mig !== undefined) {
    listings = parseMigListings(mig);
    if (listings.seen.length === 0)
      throw unreadable("mig", files.mig!, "no -lgip, -lgipp, -lgi or -lci listing");
    warnings.push(...listings.warnings);
  }
  return {
    kind: "sections",
    sections: { source: sourceOf(files), topology, listed, mig: listings, warnings },
  };
}
