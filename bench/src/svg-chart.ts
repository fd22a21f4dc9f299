/**
 * The run as an SVG chart, written by hand (no browser, no chart library): keys/s and latency
 * (p50 dashed, p99 solid, log scale) per second over the whole run, rows one after another,
 * Atoll in blue and etcd in orange, warm-up seconds faded, each row numbered as in the table.
 */

import type { ReportRow } from './report.js';
import type { SeriesPoint } from './row-runner.js';

const WIDTH = 1100;
const PANEL_HEIGHT = 260;
const MARGIN = { left: 80, right: 20, top: 40, gap: 60 };
const LEGEND_LINE = 16;
const LEGEND_COLUMNS = 3;
const COLORS: Record<string, string> = { atoll: '#1f77b4', etcd: '#ff7f0e' };

const esc = (s: string) =>
  s
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');

/** Round tick values (1, 2, 5 x 10^n) covering 0..max. */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const ticks = [];
  // Up to the first tick at or above max, so the data never leaves the plot.
  for (let v = 0; v < max + step * (1 - 1e-9); v += step) ticks.push(v);
  return ticks;
}

const compact = (v: number) =>
  v >= 1e6
    ? `${+(v / 1e6).toFixed(1)}M`
    : v >= 1e3
      ? `${+(v / 1e3).toFixed(1)}k`
      : `${+v.toFixed(2)}`;

/** The chart of a run's rows as an SVG document. */
export function renderChart(rows: readonly ReportRow[], title: string): string {
  const points = rows.flatMap((r) => r.series);
  const legendRows = Math.ceil(rows.length / LEGEND_COLUMNS);
  const height = MARGIN.top + 2 * PANEL_HEIGHT + MARGIN.gap + 40 + legendRows * LEGEND_LINE + 20;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${MARGIN.left}" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  if (points.length === 0) {
    out.push(`<text x="${MARGIN.left}" y="60">no data</text>`, '</svg>');
    return out.join('\n');
  }
  const t0 = Math.min(...points.map((p) => p.t)) - 1;
  const t1 = Math.max(...points.map((p) => p.t));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const x = (t: number) => MARGIN.left + ((t - t0) / Math.max(1, t1 - t0)) * plotW;

  // Panel 1: keys/s (writes + reads) per second.
  const top1 = MARGIN.top;
  // Keys per second: a batch counts its keys, a read or single write counts one.
  const tput = (p: SeriesPoint) => Math.max(p.writesPerSec, p.opsPerSec);
  const maxT = Math.max(1, ...points.map(tput));
  const yTicks = niceTicks(maxT);
  const yMax = yTicks.at(-1)!;
  const y1 = (v: number) => top1 + PANEL_HEIGHT - (v / yMax) * PANEL_HEIGHT;
  out.push(
    `<text x="${MARGIN.left}" y="${top1 - 6}" font-weight="bold">keys/s per second (a batch counts its keys)</text>`,
  );
  for (const v of yTicks) {
    out.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y1(v)}" y2="${y1(v)}" stroke="#ddd"/>`,
      `<text x="${MARGIN.left - 6}" y="${y1(v) + 4}" text-anchor="end">${compact(v)}</text>`,
    );
  }

  // Panel 2: latency, log scale.
  const top2 = top1 + PANEL_HEIGHT + MARGIN.gap;
  const lat = points.flatMap((p) => [p.p50Ms, p.p99Ms]).filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...lat, 1)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...lat, lo * 10)));
  const y2 = (v: number) =>
    top2 +
    PANEL_HEIGHT -
    ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) *
      PANEL_HEIGHT;
  out.push(
    `<text x="${MARGIN.left}" y="${top2 - 6}" font-weight="bold">latency ms (log scale): p50 dashed, p99 solid</text>`,
  );
  for (let v = lo; v <= hi * 1.0001; v *= 10) {
    out.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y2(v)}" y2="${y2(v)}" stroke="#ddd"/>`,
      `<text x="${MARGIN.left - 6}" y="${y2(v) + 4}" text-anchor="end">${compact(v)}</text>`,
    );
  }

  // Rows: separators, numbers, lines.
  const poly = (pts: [number, number][], color: string, extra: string) =>
    pts.length === 0
      ? ''
      : `<polyline fill="none" stroke="${color}" stroke-width="1.5" ${extra} points="${pts.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' ')}"/>`;
  for (const r of rows) {
    if (r.series.length === 0) continue;
    const color = COLORS[r.system] ?? '#555';
    const start = Math.min(...r.series.map((p) => p.t)) - 1;
    for (const [top, h] of [
      [top1, PANEL_HEIGHT],
      [top2, PANEL_HEIGHT],
    ] as const)
      out.push(
        `<line x1="${x(start)}" x2="${x(start)}" y1="${top}" y2="${top + h}" stroke="#bbb" stroke-dasharray="2,3"/>`,
      );
    out.push(`<text x="${x(start) + 2}" y="${top1 + 10}" fill="${color}">${r.index}</text>`);
    const warm = r.series.filter((p) => p.warmup);
    const measured = r.series.filter((p) => !p.warmup);
    // The faded warm-up line runs into the first measured second, so a row reads as one line.
    const segments: [readonly SeriesPoint[], string][] = [
      [[...warm, ...measured.slice(0, 1)], 'stroke-opacity="0.3"'],
      [measured, ''],
    ];
    for (const [ps, opacity] of segments) {
      out.push(
        poly(
          ps.map((p) => [x(p.t), y1(tput(p))]),
          color,
          opacity,
        ),
        poly(
          ps.filter((p) => p.p50Ms > 0).map((p) => [x(p.t), y2(p.p50Ms)]),
          color,
          `${opacity} stroke-dasharray="4,3"`,
        ),
        poly(
          ps.filter((p) => p.p99Ms > 0).map((p) => [x(p.t), y2(p.p99Ms)]),
          color,
          opacity,
        ),
      );
    }
    // A dot per measured second: a one-second row still shows.
    for (const p of measured)
      out.push(
        `<circle cx="${x(p.t).toFixed(1)}" cy="${y1(tput(p)).toFixed(1)}" r="2" fill="${color}"/>`,
        ...(p.p99Ms > 0
          ? [
              `<circle cx="${x(p.t).toFixed(1)}" cy="${y2(p.p99Ms).toFixed(1)}" r="2" fill="${color}"/>`,
            ]
          : []),
      );
  }
  // Seconds along the time axis, under both panels.
  for (const v of niceTicks(t1 - t0, 10))
    for (const top of [top1, top2])
      out.push(
        `<text x="${x(t0 + v).toFixed(1)}" y="${top + PANEL_HEIGHT + 12}" text-anchor="middle" fill="#666">${v}</text>`,
      );
  const axisY = top2 + PANEL_HEIGHT + 28;
  out.push(
    `<text x="${MARGIN.left + plotW / 2}" y="${axisY}" text-anchor="middle">seconds since the run started (faded: warm-up)</text>`,
  );

  // Legend.
  const colW = plotW / LEGEND_COLUMNS;
  rows.forEach((r, i) => {
    const lx = MARGIN.left + (i % LEGEND_COLUMNS) * colW;
    const ly = axisY + 24 + Math.floor(i / LEGEND_COLUMNS) * LEGEND_LINE;
    const label = `#${r.index} ${r.system} ${r.mode} c=${r.concurrency}${r.regions ? ` r=${r.regions}` : ''}`;
    out.push(`<text x="${lx}" y="${ly}" fill="${COLORS[r.system] ?? '#555'}">${esc(label)}</text>`);
  });
  out.push('</svg>');
  return out.filter(Boolean).join('\n');
}
