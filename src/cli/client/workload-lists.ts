import type { z } from "zod";
import { type CommonFlags, client, type Io } from "./common.js";
import { type Column, emit, outputFormat, table } from "./output.js";

/** What `arrays` and `services` share: the list (running ones; -a all; -A every tenant's) and one shown by `get`. */

export interface ListFlags extends CommonFlags {
  readonly all?: boolean;
  readonly allTenants?: boolean;
}

/** GETs `path` with the list flags as its query and prints `key`'s rows under `columns`. */
export async function listWorkloads<K extends string, T>(
  f: ListFlags,
  io: Io,
  path: string,
  schema: z.ZodType<Record<K, T[]>>,
  key: K,
  columns: readonly Column<T>[],
): Promise<number> {
  const q = new URLSearchParams();
  if (f.allTenants) q.set("all", "true");
  if (!f.all) q.set("running", "true");
  const doc = await client(f).json(schema, "GET", `${path}?${q}`);
  const rows = doc[key];
  emit(outputFormat(f), { [key]: rows }, (wide) => table(columns, rows, wide), io.out);
  return 0;
}

/** `get REF` of one workload: YAML by default (`{key: value}`), -o table one row. */
export function printWorkload<T>(
  key: string,
  value: T,
  columns: readonly Column<T>[],
  f: CommonFlags,
  io: Io,
): number {
  emit(outputFormat(f, "yaml"), { [key]: value }, (wide) => table(columns, [value], wide), io.out);
  return 0;
}
