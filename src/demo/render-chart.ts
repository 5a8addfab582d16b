/**
 * The render-farm demo's chart (pure): replicas, queue length and frame latency over time, as one
 * SVG of three stacked panels sharing the time axis.
 */

export interface RenderSample {
  /** Seconds since the demo's load began. */
  readonly t: number;
  /** Ready replicas. */
  readonly replicas: number;
  /** Frames waiting or rendering (what the load generator reports as the service's queue). */
  readonly queue: number;
  /** Mean latency of the frames finished since the previous sample, ms; null when none finished. */
  readonly latencyMs: number | null;
}

const WIDTH = 860;
const PANEL = 130;
const GAP = 40;
const LEFT = 70;
const RIGHT = 20;
const TOP = 40;

interface Series {
  readonly title: string;
  readonly unit: string;
  readonly color: string;
  readonly value: (s: RenderSample) => number | null;
}

const SERIES: readonly Series[] = [
  { title: "ready replicas", unit: "", color: "#1f77b4", value: (s) => s.replicas },
  { title: "queue length (frames)", unit: "", color: "#ff7f0e", value: (s) => s.queue },
  { title: "frame latency", unit: " ms", color: "#2ca02c", value: (s) => s.latencyMs },
];

const esc = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A round upper bound for an axis: 1, 2, 5 × 10^k at or above `max`. */
export function niceCeil(max: number): number {
  if (max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

export function renderChart(samples: readonly RenderSample[], title: string): string {
  const tMax = Math.max(1, ...samples.map((s) => s.t));
  const plotW = WIDTH - LEFT - RIGHT;
  const x = (t: number) => LEFT + (t / tMax) * plotW;
  const height = TOP + SERIES.length * (PANEL + GAP) + 10;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${LEFT}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
  ];
  for (const [i, s] of SERIES.entries()) {
    const top = TOP + i * (PANEL + GAP);
    const values = samples.map(s.value).filter((v): v is number => v !== null);
    const yMax = niceCeil(Math.max(0, ...values));
    const y = (v: number) => top + PANEL - (v / yMax) * PANEL;
    parts.push(
      `<text x="${LEFT}" y="${top - 6}" fill="${s.color}" font-weight="bold">${esc(s.title)}</text>`,
      `<line x1="${LEFT}" y1="${top + PANEL}" x2="${WIDTH - RIGHT}" y2="${top + PANEL}" stroke="#444"/>`,
      `<line x1="${LEFT}" y1="${top}" x2="${LEFT}" y2="${top + PANEL}" stroke="#444"/>`,
      `<text x="${LEFT - 6}" y="${top + 4}" text-anchor="end">${yMax}${s.unit}</text>`,
      `<text x="${LEFT - 6}" y="${top + PANEL + 4}" text-anchor="end">0</text>`,
    );
    // A step line for counts; points joined for latency (a gap where no frame finished).
    let path = "";
    let pen = false;
    for (const sample of samples) {
      const v = s.value(sample);
      if (v === null) {
        pen = false;
        continue;
      }
      path += `${pen ? "L" : "M"}${x(sample.t).toFixed(1)},${y(v).toFixed(1)} `;
      pen = true;
    }
    if (path) parts.push(`<path d="${path.trim()}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
  }
  const axisY = TOP + SERIES.length * (PANEL + GAP) - GAP + 16;
  for (let t = 0; t <= tMax; t += niceCeil(tMax / 8)) {
    parts.push(`<text x="${x(t).toFixed(1)}" y="${axisY}" text-anchor="middle">${t} s</text>`);
  }
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}
