/**
 * An SVG line chart: unallocated GPU % (100 − allocated) against arrived workload % per policy,
 * from each policy's median curve over seeds. Self-contained, no dependencies.
 */
export interface PlotSeries {
  readonly name: string;
  /** allocated % at arrived % = k, for k = 0..n */
  readonly allocated: readonly number[];
}

const COLORS = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#17becf",
];

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function plotSvg(
  series: readonly PlotSeries[],
  title = "Unallocated GPUs vs arrived workload",
): string {
  const W = 760;
  const H = 440;
  const m = { l: 60, r: 160, t: 40, b: 50 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const xMax = Math.max(...series.map((s) => s.allocated.length - 1), 1);
  let yMax = 0;
  for (const s of series) {
    for (let k = 50; k < s.allocated.length; k++) {
      const v = s.allocated[k]!;
      if (!Number.isNaN(v)) yMax = Math.max(yMax, 100 - v);
    }
  }
  const yStep = yMax > 30 ? 10 : yMax > 10 ? 5 : 1;
  yMax = Math.max(yStep, Math.ceil(yMax / yStep) * yStep);
  const xMin = 50;
  const x = (k: number) => m.l + ((k - xMin) / (xMax - xMin)) * pw;
  const y = (v: number) => m.t + ph - (v / yMax) * ph;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${m.l + pw / 2}" y="22" text-anchor="middle" font-size="14">${esc(title)}</text>`,
  ];
  for (let v = 0; v <= yMax; v += yStep) {
    out.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${m.l - 6}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(0)}</text>`);
  }
  for (let k = xMin; k <= xMax; k += 10) {
    out.push(`<line x1="${x(k)}" x2="${x(k)}" y1="${m.t}" y2="${m.t + ph}" stroke="#eee"/>`);
    out.push(`<text x="${x(k)}" y="${m.t + ph + 16}" text-anchor="middle">${k}</text>`);
  }
  out.push(
    `<text x="${m.l + pw / 2}" y="${H - 12}" text-anchor="middle">arrived workload (% of cluster GPUs)</text>`,
  );
  out.push(
    `<text transform="translate(16 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">unallocated GPUs (%)</text>`,
  );
  out.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const pts: string[] = [];
    s.allocated.forEach((v, k) => {
      if (k >= xMin && !Number.isNaN(v)) pts.push(`${x(k).toFixed(1)},${y(100 - v).toFixed(1)}`);
    });
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(" ")}"/>`);
    const ly = m.t + 14 + i * 18;
    out.push(
      `<line x1="${m.l + pw + 12}" x2="${m.l + pw + 32}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="3"/>`,
    );
    out.push(`<text x="${m.l + pw + 38}" y="${ly}">${esc(s.name)}</text>`);
  });
  out.push("</svg>");
  return out.join("\n");
}
