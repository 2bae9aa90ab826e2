/**
 * Hand-written SVG charts for the HTML report (no library, nothing to load):
 * a line chart (throughput over time, stress ramps, memory over a soak) and
 * a latency histogram on a log-scale axis with the p50/p95/p99 marks.
 */
import type { Histogram } from "../stats.js";

export const PALETTE = [
  "#2563eb",
  "#dc2626",
  "#16a34a",
  "#9333ea",
  "#ea580c",
  "#0891b2",
  "#be185d",
  "#4d7c0f",
  "#a16207",
  "#475569",
  "#7c3aed",
  "#0f766e",
  "#db2777",
  "#65a30d",
  "#0284c7",
  "#b45309",
];

export const esc = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const num = (n: number) => (Number.isFinite(n) ? Math.round(n * 10) / 10 : 0);

/** About `count` round tick values covering [min, max]. */
function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

const label = (v: number) => (Math.abs(v) >= 10_000 ? `${(v / 1000).toFixed(0)}k` : String(Number(v.toPrecision(4))));

export interface Series {
  name: string;
  points: { x: number; y: number }[];
  color?: string;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  /** Vertical marks (e.g. the knee), with a caption. */
  marks?: { x: number; text: string }[];
  /** Draw points as dots too (few points, e.g. a stress ramp). */
  dots?: boolean;
}

export function lineChart(series: Series[], o: LineChartOptions): string {
  const width = o.width ?? 900;
  const height = o.height ?? 300;
  const m = { left: 64, right: 16, top: 28, bottom: 44 };
  const all = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  // Reduced, not spread into Math.min/max: a long run's timeline can exceed the engine's argument limit.
  const xMin = [...all.map((p) => p.x), ...(o.marks ?? []).map((k) => k.x)].reduce(
    (a, b) => Math.min(a, b),
    Number.POSITIVE_INFINITY,
  );
  const xMax = all.reduce((a, p) => Math.max(a, p.x), xMin + 1);
  const yMax = all.reduce((a, p) => Math.max(a, p.y), 1) * 1.05;
  const sx = (x: number) => m.left + ((x - xMin) / (xMax - xMin || 1)) * (width - m.left - m.right);
  const sy = (y: number) => height - m.bottom - (y / yMax) * (height - m.top - m.bottom);
  const parts: string[] = [];
  parts.push(`<text x="${m.left}" y="18" class="title">${esc(o.title)}</text>`);
  for (const t of niceTicks(0, yMax)) {
    parts.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${num(sy(t))}" y2="${num(sy(t))}" class="grid"/>`);
    parts.push(`<text x="${m.left - 6}" y="${num(sy(t)) + 4}" class="tick" text-anchor="end">${label(t)}</text>`);
  }
  for (const t of niceTicks(xMin, xMax, 8)) {
    parts.push(
      `<text x="${num(sx(t))}" y="${height - m.bottom + 16}" class="tick" text-anchor="middle">${label(t)}</text>`,
    );
  }
  parts.push(
    `<text x="${(m.left + width - m.right) / 2}" y="${height - 6}" class="axis" text-anchor="middle">${esc(o.xLabel)}</text>`,
  );
  parts.push(
    `<text x="14" y="${(m.top + height - m.bottom) / 2}" class="axis" text-anchor="middle" transform="rotate(-90 14 ${(m.top + height - m.bottom) / 2})">${esc(o.yLabel)}</text>`,
  );
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const points = s.points.filter((p) => Number.isFinite(p.y));
    if (points.length === 0) return;
    const d = points.map((p, j) => `${j ? "L" : "M"}${num(sx(p.x))},${num(sy(p.y))}`).join("");
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.8"><title>${esc(s.name)}</title></path>`);
    if (o.dots || points.length === 1)
      for (const p of points)
        parts.push(
          `<circle cx="${num(sx(p.x))}" cy="${num(sy(p.y))}" r="3" fill="${color}"><title>${esc(`${s.name}: ${label(p.x)}, ${label(p.y)}`)}</title></circle>`,
        );
  });
  for (const mark of o.marks ?? []) {
    parts.push(
      `<line x1="${num(sx(mark.x))}" x2="${num(sx(mark.x))}" y1="${m.top}" y2="${height - m.bottom}" class="mark"/>`,
    );
    parts.push(`<text x="${num(sx(mark.x)) + 4}" y="${m.top + 12}" class="marktext">${esc(mark.text)}</text>`);
  }
  const legend = series
    .map(
      (s, i) =>
        `<span class="key"><i style="background:${s.color ?? PALETTE[i % PALETTE.length]}"></i>${esc(s.name)}</span>`,
    )
    .join(" ");
  return `<figure><svg viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${esc(o.title)}">${parts.join("")}</svg><figcaption>${legend}</figcaption></figure>`;
}

/** Latency distribution: request counts per log-spaced bucket, with the percentiles marked. */
export function histogramChart(
  h: Histogram,
  o: { title: string; color?: string; marks: { p: string; ms: number }[]; width?: number; height?: number },
): string {
  const width = o.width ?? 440;
  const height = o.height ?? 200;
  const m = { left: 48, right: 12, top: 26, bottom: 36 };
  if (h.counts.length === 0)
    return `<figure><svg viewBox="0 0 ${width} ${height}" width="100%"><text x="10" y="20" class="title">${esc(o.title)}: no data</text></svg></figure>`;
  const lo = Math.log10(h.edges[0] as number);
  const hi = Math.log10(h.edges.at(-1) as number);
  const sx = (ms: number) => m.left + ((Math.log10(ms) - lo) / (hi - lo || 1)) * (width - m.left - m.right);
  const maxCount = h.counts.reduce((a, c) => Math.max(a, c), 1);
  const sy = (c: number) => height - m.bottom - (c / maxCount) * (height - m.top - m.bottom);
  const color = o.color ?? PALETTE[0];
  const values = o.marks.map((k) => `${k.p} ${k.ms.toFixed(2)}`).join(" · ");
  const parts = [
    `<text x="${m.left}" y="16" class="title">${esc(o.title)}</text>`,
    `<text x="${width - m.right}" y="16" class="tick" text-anchor="end">${esc(values)} ms</text>`,
  ];
  h.counts.forEach((c, i) => {
    if (!c) return;
    const x0 = sx(h.edges[i] as number);
    const x1 = sx(h.edges[i + 1] as number);
    parts.push(
      `<rect x="${num(x0)}" y="${num(sy(c))}" width="${num(Math.max(1, x1 - x0 - 0.5))}" height="${num(height - m.bottom - sy(c))}" fill="${color}"><title>${label(h.edges[i] as number)}–${label(h.edges[i + 1] as number)} ms: ${c}</title></rect>`,
    );
  });
  for (let d = Math.ceil(lo); d <= Math.floor(hi); d++) {
    parts.push(
      `<line x1="${num(sx(10 ** d))}" x2="${num(sx(10 ** d))}" y1="${m.top}" y2="${height - m.bottom}" class="grid"/>`,
    );
    parts.push(
      `<text x="${num(sx(10 ** d))}" y="${height - m.bottom + 14}" class="tick" text-anchor="middle">${label(10 ** d)}</text>`,
    );
  }
  parts.push(
    `<text x="${(m.left + width) / 2}" y="${height - 4}" class="axis" text-anchor="middle">latency (ms, log scale)</text>`,
  );
  parts.push(`<text x="${m.left - 6}" y="${m.top + 8}" class="tick" text-anchor="end">${label(maxCount)}</text>`);
  o.marks.forEach((mark, i) => {
    if (!(mark.ms > 0)) return;
    const x = num(sx(mark.ms));
    parts.push(`<line x1="${x}" x2="${x}" y1="${m.top}" y2="${height - m.bottom}" class="mark"/>`);
    parts.push(
      `<text x="${x + 3}" y="${m.top + 10 + i * 11}" class="marktext">${esc(mark.p)} ${mark.ms.toFixed(2)}</text>`,
    );
  });
  return `<figure><svg viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${esc(o.title)}">${parts.join("")}</svg></figure>`;
}
