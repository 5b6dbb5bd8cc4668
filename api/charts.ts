// Small SVG charts shared by the dashboard (api/dashboard.ts) and the evaluation report
// (cli/report.ts): pure functions from numbers to an SVG string, no DOM, no network, no fonts
// to fetch. Every data point is an element with class "point" and data-* attributes, so a test
// (or a browser) can find what was drawn; text is escaped, non-finite values are gaps.

export interface Point {
  x: number;
  y: number;
  /** Tooltip text (an SVG <title>). */
  label?: string;
  /** Gate decision of the run the point stands for: drawn as a filled (pass) or crossed (fail) mark. */
  status?: 'pass' | 'fail';
}

export interface Series {
  name: string;
  points: Point[];
  color?: string;
  dash?: boolean;
}

export interface Tick {
  value: number;
  label: string;
}

export interface ChartFrame {
  title?: string;
  width?: number;
  height?: number;
  xLabel?: string;
  yLabel?: string;
  /** Value formatter of the y axis ticks; default: up to 3 significant digits. */
  yFormat?: (y: number) => string;
  /** Text shown instead of the plot when there is nothing to draw. */
  emptyText?: string;
  /** Adds xmlns, for a file of its own (inline SVG in HTML does not need it). */
  standalone?: boolean;
}

export interface LineChartOptions extends ChartFrame {
  /** Labelled x ticks (e.g. run dates at ordinal positions); default: numeric ticks. */
  xTicks?: Tick[];
  /** Most x tick labels to print; denser ticks are thinned evenly. */
  maxXTicks?: number;
  xMin?: number;
  xMax?: number;
  yMin?: number;
  yMax?: number;
  /** Draw the y = x diagonal (a Lorenz curve's line of equality). */
  diagonal?: boolean;
}

export interface BarChartOptions extends ChartFrame {
  yMax?: number;
}

export const PALETTE = ['#2563eb', '#f97316', '#16a34a', '#9333ea', '#dc2626', '#0891b2', '#ca8a04', '#64748b'];
export const PASS_COLOR = '#16a34a';
export const FAIL_COLOR = '#dc2626';

const MARGIN = { top: 34, right: 14, bottom: 42, left: 52 };

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Coordinates with at most two decimals: short strings, stable output. */
const f = (v: number) => String(Math.round(v * 100) / 100);

/** Up to 3 significant digits, no exponent for the ranges charts show. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return '–';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1000) return String(Math.round(v));
  return String(Number(v.toPrecision(3)));
}

/**
 * "Nice" axis ticks covering [min, max]: steps of 1, 2 or 5 × 10^n, about `count` of them.
 * Returns at least two ticks; a zero-width range is widened around its value.
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (max < min) [min, max] = [max, min];
  if (max === min) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  // The step whose number of intervals is closest to `count`; ties: the one covering the least.
  const intervals = (s: number) => Math.ceil(max / s - 1e-9) - Math.floor(min / s + 1e-9);
  const cost = (s: number) => [Math.abs(intervals(s) - count), intervals(s) * s];
  let step = 10 * mag;
  for (const s of [5, 2, 1].map((m) => m * mag)) {
    const [a, b] = cost(s);
    const [c, d] = cost(step);
    if (a < c || (a === c && b < d - 1e-12 * d)) step = s;
  }
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  const out: number[] = [];
  for (let v = lo; v <= hi + step * 1e-6; v += step) out.push(Math.round(v / step) * step);
  // Rounding artefacts (0.30000000000000004) out of the labels.
  return out.map((v) => Number(v.toPrecision(12)));
}

/** Evenly spaced ticks, at most `max` of them, the first and the last always kept. */
export function thinTicks<T>(ticks: T[], max: number): T[] {
  if (ticks.length <= max || max < 2) return ticks;
  const last = ticks.length - 1;
  // every·(max − 1) ≥ last, so 0, every, 2·every … plus `last` stays within `max`.
  const every = Math.ceil(last / (max - 1));
  const idx: number[] = [];
  for (let i = 0; i <= last; i += every) idx.push(i);
  if (idx[idx.length - 1] !== last) {
    if (last - idx[idx.length - 1] < every / 2) idx.pop(); // too close to the end: labels would overlap
    idx.push(last);
  }
  return idx.map((i) => ticks[i]);
}

function open(o: ChartFrame, kind: string, w: number, h: number): string {
  const ns = o.standalone ? ' xmlns="http://www.w3.org/2000/svg"' : '';
  const label = escapeXml(o.title ?? kind);
  return `<svg${ns} class="chart ${kind}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${label}" font-family="system-ui, sans-serif" font-size="11">`;
}

function titleText(o: ChartFrame, w: number): string {
  return o.title ? `<text x="${f(w / 2)}" y="16" text-anchor="middle" font-size="13" font-weight="600" fill="#111827">${escapeXml(o.title)}</text>` : '';
}

function emptyChart(o: ChartFrame, kind: string, w: number, h: number): string {
  return `${open(o, `${kind} empty`, w, h)}${titleText(o, w)}<rect x="0.5" y="24.5" width="${w - 1}" height="${h - 25}" fill="#f9fafb" stroke="#e5e7eb"/><text x="${f(w / 2)}" y="${f(h / 2 + 8)}" text-anchor="middle" fill="#6b7280">${escapeXml(o.emptyText ?? 'no data yet')}</text></svg>`;
}

function legend(series: { name: string; color: string; dash?: boolean }[], x0: number, y: number, maxX: number): string {
  let x = x0;
  let row = 0;
  const parts: string[] = [];
  for (const s of series) {
    const wText = 6.5 * s.name.length + 26;
    if (x + wText > maxX && x > x0) {
      x = x0;
      row++;
    }
    const yy = y + row * 13;
    parts.push(`<g class="legend-item"><line x1="${f(x)}" y1="${f(yy - 3.5)}" x2="${f(x + 16)}" y2="${f(yy - 3.5)}" stroke="${s.color}" stroke-width="2.5"${s.dash ? ' stroke-dasharray="4 3"' : ''}/><text x="${f(x + 20)}" y="${f(yy)}" fill="#374151">${escapeXml(s.name)}</text></g>`);
    x += wText;
  }
  return parts.join('');
}

/** Lines (gaps at non-finite values) with a mark at every point; gate decisions as pass/fail marks. */
export function lineChart(series: Series[], o: LineChartOptions = {}): string {
  const w = o.width ?? 420;
  const h = o.height ?? 240;
  const finite = (p: Point) => Number.isFinite(p.x) && Number.isFinite(p.y);
  const all = series.flatMap((s) => s.points.filter(finite));
  if (all.length === 0) return emptyChart(o, 'line-chart', w, h);

  const named = series.map((s, i) => ({ ...s, color: s.color ?? PALETTE[i % PALETTE.length] }));
  const legendRows = named.length > 1 ? 1 + Math.floor(named.reduce((a, s) => a + 6.5 * s.name.length + 26, 0) / (w - MARGIN.left - MARGIN.right)) : 0;
  const top = MARGIN.top + legendRows * 13;
  const pw = w - MARGIN.left - MARGIN.right;
  const ph = h - top - MARGIN.bottom;

  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y);
  let xMin = o.xMin ?? Math.min(...xs);
  let xMax = o.xMax ?? Math.max(...xs);
  if (xMax === xMin) {
    xMin -= 0.5;
    xMax += 0.5;
  }
  const yTicks = niceTicks(o.yMin ?? Math.min(0, ...ys), o.yMax ?? Math.max(...ys), 4);
  const yMin = o.yMin ?? yTicks[0];
  const yMax = o.yMax ?? yTicks[yTicks.length - 1];
  const sx = (x: number) => MARGIN.left + ((x - xMin) / (xMax - xMin)) * pw;
  const sy = (y: number) => top + ph - ((y - yMin) / (yMax - yMin || 1)) * ph;
  const yFmt = o.yFormat ?? formatNumber;

  const parts: string[] = [open(o, 'line-chart', w, h), titleText(o, w)];
  if (legendRows > 0) parts.push(legend(named, MARGIN.left, 32, w - MARGIN.right));
  // grid and y axis
  for (const t of yTicks) {
    if (t < yMin - 1e-12 || t > yMax + 1e-12) continue;
    parts.push(`<line class="grid" x1="${f(MARGIN.left)}" y1="${f(sy(t))}" x2="${f(MARGIN.left + pw)}" y2="${f(sy(t))}" stroke="#e5e7eb"/>`);
    parts.push(`<text x="${f(MARGIN.left - 6)}" y="${f(sy(t) + 3.5)}" text-anchor="end" fill="#4b5563">${escapeXml(yFmt(t))}</text>`);
  }
  // x axis
  const xTicks = thinTicks(o.xTicks ?? niceTicks(xMin, xMax, 5).filter((v) => v >= xMin - 1e-9 && v <= xMax + 1e-9).map((v) => ({ value: v, label: formatNumber(v) })), o.maxXTicks ?? 6);
  parts.push(`<line x1="${f(MARGIN.left)}" y1="${f(top + ph)}" x2="${f(MARGIN.left + pw)}" y2="${f(top + ph)}" stroke="#9ca3af"/>`);
  for (const t of xTicks) {
    parts.push(`<line x1="${f(sx(t.value))}" y1="${f(top + ph)}" x2="${f(sx(t.value))}" y2="${f(top + ph + 4)}" stroke="#9ca3af"/>`);
    // A label at the right edge would be cut off by the SVG's bounds: right-align it there.
    const anchor = sx(t.value) > MARGIN.left + pw - 3.2 * t.label.length ? 'end' : 'middle';
    parts.push(`<text x="${f(sx(t.value))}" y="${f(top + ph + 15)}" text-anchor="${anchor}" fill="#4b5563">${escapeXml(t.label)}</text>`);
  }
  if (o.xLabel) parts.push(`<text x="${f(MARGIN.left + pw / 2)}" y="${f(h - 6)}" text-anchor="middle" fill="#374151">${escapeXml(o.xLabel)}</text>`);
  if (o.yLabel) parts.push(`<text transform="translate(12 ${f(top + ph / 2)}) rotate(-90)" text-anchor="middle" fill="#374151">${escapeXml(o.yLabel)}</text>`);
  if (o.diagonal) parts.push(`<line class="diagonal" x1="${f(sx(xMin))}" y1="${f(sy(yMin))}" x2="${f(sx(xMax))}" y2="${f(sy(yMax))}" stroke="#9ca3af" stroke-dasharray="3 3"/>`);

  // The first series is drawn last, on top: where lines coincide, the leading one stays visible.
  for (const s of [...named].reverse()) {
    // one path, split at gaps
    let d = '';
    let pen = false;
    for (const p of s.points) {
      if (!finite(p)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${f(sx(p.x))} ${f(sy(p.y))}`;
      pen = true;
    }
    parts.push(`<g class="series" data-series="${escapeXml(s.name)}">`);
    if (d) parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ' stroke-dasharray="5 4"' : ''}/>`);
    const dense = s.points.length > 60;
    for (const p of s.points) {
      if (!finite(p)) continue;
      const cx = f(sx(p.x));
      const cy = f(sy(p.y));
      const tip = `<title>${escapeXml(p.label ?? `${s.name}: ${formatNumber(p.y)}`)}</title>`;
      const data = `data-series="${escapeXml(s.name)}" data-x="${p.x}" data-y="${p.y}"`;
      if (p.status === 'fail') {
        parts.push(`<g class="point fail" ${data}><circle cx="${cx}" cy="${cy}" r="5" fill="#fff" stroke="${FAIL_COLOR}" stroke-width="2"/><path d="M${f(sx(p.x) - 2.5)} ${f(sy(p.y) - 2.5)}l5 5m0 -5l-5 5" stroke="${FAIL_COLOR}" stroke-width="1.6"/>${tip}</g>`);
      } else if (p.status === 'pass') {
        parts.push(`<g class="point pass" ${data}><circle cx="${cx}" cy="${cy}" r="4.5" fill="${PASS_COLOR}" stroke="#fff" stroke-width="1"/>${tip}</g>`);
      } else {
        parts.push(`<g class="point" ${data}><circle cx="${cx}" cy="${cy}" r="${dense ? 1.8 : 3}" fill="${s.color}"/>${tip}</g>`);
      }
    }
    parts.push('</g>');
  }
  parts.push('</svg>');
  return parts.join('');
}

/** Grouped vertical bars: one group per category, one bar per series inside it. */
export function barChart(categories: string[], series: { name: string; values: number[]; color?: string }[], o: BarChartOptions = {}): string {
  const w = o.width ?? 420;
  const h = o.height ?? 240;
  const vals = series.flatMap((s) => s.values.filter((v) => Number.isFinite(v)));
  if (categories.length === 0 || vals.length === 0) return emptyChart(o, 'bar-chart', w, h);
  const named = series.map((s, i) => ({ ...s, color: s.color ?? PALETTE[i % PALETTE.length] }));
  const legendRows = named.length > 1 ? 1 + Math.floor(named.reduce((a, s) => a + 6.5 * s.name.length + 26, 0) / (w - MARGIN.left - MARGIN.right)) : 0;
  const top = MARGIN.top + legendRows * 13;
  const pw = w - MARGIN.left - MARGIN.right;
  const ph = h - top - MARGIN.bottom;
  const yTicks = niceTicks(0, o.yMax ?? Math.max(...vals, 0), 4);
  const yMax = o.yMax ?? yTicks[yTicks.length - 1];
  const sy = (y: number) => top + ph - (Math.max(0, y) / (yMax || 1)) * ph;
  const yFmt = o.yFormat ?? formatNumber;
  const groupW = pw / categories.length;
  const barW = Math.max(1, (groupW * 0.8) / Math.max(1, named.length));

  const parts: string[] = [open(o, 'bar-chart', w, h), titleText(o, w)];
  if (legendRows > 0) parts.push(legend(named, MARGIN.left, 32, w - MARGIN.right));
  for (const t of yTicks) {
    if (t > yMax + 1e-12) continue;
    parts.push(`<line class="grid" x1="${f(MARGIN.left)}" y1="${f(sy(t))}" x2="${f(MARGIN.left + pw)}" y2="${f(sy(t))}" stroke="#e5e7eb"/>`);
    parts.push(`<text x="${f(MARGIN.left - 6)}" y="${f(sy(t) + 3.5)}" text-anchor="end" fill="#4b5563">${escapeXml(yFmt(t))}</text>`);
  }
  parts.push(`<line x1="${f(MARGIN.left)}" y1="${f(top + ph)}" x2="${f(MARGIN.left + pw)}" y2="${f(top + ph)}" stroke="#9ca3af"/>`);
  const labelEvery = Math.ceil(categories.length / Math.max(1, Math.floor(pw / 34)));
  categories.forEach((c, ci) => {
    const gx = MARGIN.left + ci * groupW + groupW * 0.1;
    named.forEach((s, si) => {
      const v = s.values[ci];
      if (!Number.isFinite(v)) return;
      const y = sy(v);
      parts.push(`<rect class="point bar" data-series="${escapeXml(s.name)}" data-x="${escapeXml(c)}" data-y="${v}" x="${f(gx + si * barW)}" y="${f(y)}" width="${f(Math.max(0.5, barW - 1))}" height="${f(top + ph - y)}" fill="${s.color}"><title>${escapeXml(`${s.name}, ${c}: ${yFmt(v)}`)}</title></rect>`);
    });
    if (ci % labelEvery === 0) parts.push(`<text x="${f(MARGIN.left + ci * groupW + groupW / 2)}" y="${f(top + ph + 15)}" text-anchor="middle" fill="#4b5563">${escapeXml(c)}</text>`);
  });
  if (o.xLabel) parts.push(`<text x="${f(MARGIN.left + pw / 2)}" y="${f(h - 6)}" text-anchor="middle" fill="#374151">${escapeXml(o.xLabel)}</text>`);
  if (o.yLabel) parts.push(`<text transform="translate(12 ${f(top + ph / 2)}) rotate(-90)" text-anchor="middle" fill="#374151">${escapeXml(o.yLabel)}</text>`);
  parts.push('</svg>');
  return parts.join('');
}

/**
 * Lorenz curve of non-negative amounts: titles sorted from least to most, x = cumulative share
 * of titles, y = cumulative share of the amount; starts at (0,0), ends at (1,1). At most
 * `maxPoints` + 1 points (evenly spaced in x) so a 10^5-title catalog stays a small SVG.
 */
export function lorenzPoints(amounts: ArrayLike<number>, maxPoints = 100): Point[] {
  const n = amounts.length;
  if (n === 0) return [];
  const sorted = Float64Array.from(amounts, (v) => (Number.isFinite(v) && v > 0 ? v : 0)).sort();
  const total = sorted.reduce((a, b) => a + b, 0);
  const cum = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) cum[i + 1] = cum[i] + sorted[i];
  const steps = Math.min(n, maxPoints);
  const out: Point[] = [];
  for (let s = 0; s <= steps; s++) {
    const i = Math.round((s * n) / steps);
    out.push({ x: i / n, y: total > 0 ? cum[i] / total : i / n });
  }
  return out;
}

/** Gini coefficient of non-negative amounts: 0 = all equal, → 1 = one title takes everything. */
export function gini(amounts: ArrayLike<number>): number {
  const n = amounts.length;
  if (n === 0) return 0;
  const sorted = Float64Array.from(amounts, (v) => (Number.isFinite(v) && v > 0 ? v : 0)).sort();
  let total = 0;
  let weighted = 0;
  // G = Σ_i (2i − n − 1)·x_(i) / (n Σ x), i = 1..n over ascending x
  for (let i = 0; i < n; i++) {
    total += sorted[i];
    weighted += (2 * (i + 1) - n - 1) * sorted[i];
  }
  return total > 0 ? weighted / (n * total) : 0;
}
