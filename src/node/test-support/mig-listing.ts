/**
 * Lays out `nvidia-smi mig -lgip / -lgipp / -lgi / -lci` text from figures, in the box layout the
 * driver prints, for parser tests. No `-lgip`-style output with a license that allows copying was
 * found (fixtures/nvidia-smi-added/SOURCES.md), so tests build their inputs from the figures of
 * the cited outputs instead of copying their text.
 */

export interface ProfileRow {
  readonly name: string;
  readonly id: number;
  readonly free: number;
  readonly total: number;
  readonly gib: string;
  readonly sms: number;
  readonly dec: number;
  readonly enc: number;
  readonly ce: number;
  readonly jpeg: number;
  readonly ofa: number;
}

function box(width: number, title: string, header: string[], rows: string[][]): string {
  const rule = `+${"-".repeat(width - 2)}+`;
  const line = (s: string) => `|${s.padEnd(width - 2)}|`;
  const out = [rule, line(` ${title}`), ...header.map(line), `|${"=".repeat(width - 2)}|`];
  for (const r of rows) out.push(...r.map(line), rule);
  return `${out.join("\n")}\n`;
}

export function renderLgip(gpu: number, rows: readonly ProfileRow[]): string {
  return box(
    79,
    "GPU instance profiles:",
    [
      " GPU   Name             ID    Instances   Memory     P2P    SM    DEC   ENC  ",
      "                              Free/Total   GiB              CE    JPEG  OFA  ",
    ],
    rows.map((r) => [
      `   ${gpu}  ${`MIG ${r.name}`.padEnd(16)}${String(r.id).padStart(3)}     ${`${r.free}/${r.total}`.padEnd(11)}${r.gib.padEnd(11)}No     ${String(r.sms).padEnd(7)}${String(r.dec).padEnd(6)}${r.enc}   `,
      `${" ".repeat(61)}${String(r.ce).padEnd(6)}${String(r.jpeg).padEnd(6)}${r.ofa}   `,
    ]),
  );
}

export function renderLgipp(
  gpu: number,
  rows: readonly [id: number, starts: number[], size: number][],
): string {
  return rows
    .map(([id, starts, size]) =>
      starts.length === 1
        ? `GPU  ${gpu} Profile ID ${String(id).padStart(2)} Placement : {${starts.join(",")}}:${size}`
        : `GPU  ${gpu} Profile ID ${String(id).padStart(2)} Placements: {${starts.join(",")}}:${size}`,
    )
    .join("\n")
    .concat("\n");
}

export function renderLgi(
  rows: readonly [gpu: number, profile: string, profileId: number, gi: number, start: number, size: number][],
): string {
  return box(
    57,
    "GPU instances:",
    [
      " GPU   Name             Profile  Instance   Placement  ",
      "                          ID       ID       Start:Size ",
    ],
    rows.map(([gpu, profile, id, gi, start, size]) => [
      `   ${gpu}  ${`MIG ${profile}`.padEnd(16)}${String(id).padStart(4)}${String(gi).padStart(9)}${`${start}:${size}`.padStart(13)}     `,
    ]),
  );
}

export function renderLci(
  rows: readonly [
    gpu: number,
    gi: number,
    profile: string,
    profileId: number,
    ci: number,
    start: number,
    size: number,
  ][],
): string {
  return box(
    70,
    "Compute instances:",
    [
      " GPU     GPU       Name             Profile   Instance   Placement  ",
      "       Instance                       ID        ID       Start:Size ",
      "         ID                                                         ",
    ],
    rows.map(([gpu, gi, profile, id, ci, start, size]) => [
      `   ${gpu}${String(gi).padStart(7)}       ${`MIG ${profile}`.padEnd(16)}${String(id).padStart(6)}${String(ci).padStart(10)}${`${start}:${size}`.padStart(11)}     `,
    ]),
  );
}
