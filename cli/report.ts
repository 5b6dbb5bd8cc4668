// recs report [--version V] --out report.html: a self-contained HTML evaluation report of one run
// (default: the live version) from the analysts' Parquet views — metrics against the baselines,
// Recall@K curves, how popular the recommended titles are against the catalog, and the cold-user
// and cold-title slices. One file: inline CSS and SVG (api/charts.ts), no scripts, no URLs.
import { renameSync, statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { barChart, escapeXml as esc, gini, lineChart, lorenzPoints, type Series } from '../api/charts';
import { loadConfigOrExit } from '../config';
import { LIGHT_MAX } from '../model/evaluate';
import { openAnalytics, type AnalyticsDb } from '../storage/analytics';
import { tradeoffSection } from './report-tradeoffs';
import { redisClient } from '../storage/clients';
import { sqlText } from '../storage/duckdb';
import { assertVersion } from '../storage/redis-keys';
import { VersionStore } from '../storage/redis-versions';

export interface RunRow {
  version: string;
  created_at: string | null;
  data_as_of: string | null;
  cutoff: string | null;
  published_at: string | null;
  model: string | null;
  params: string | null;
  gate_passed: boolean | null;
  /** pass | fail | inconclusive (null on runs from before outcomes existed) and what the run did with it. */
  gate_outcome: string | null;
  release: string | null;
  gate_reason: string | null;
  published: boolean | null;
  live_version: string | null;
  ndcg_10: number | null;
  popularity_ndcg_10: number | null;
  live_ndcg_10: number | null;
  n_users: number | null;
  n_items: number | null;
  n_train_interactions: number | null;
}

export interface MetricRow {
  model: string;
  holdout: string;
  slice: string;
  metric: string;
  value: number | null;
}

export interface TitleRow {
  movie_id: string;
  watches: number;
  slots: number;
  added_after_cutoff: boolean;
}

export interface ReportData {
  version: string;
  generatedAt: string;
  run: RunRow | null;
  metrics: MetricRow[];
  /** Per-title popularity vs recommendation slots, or null when a view it needs is missing. */
  titles: TitleRow[] | null;
  /** Why `titles` is missing or partial. */
  titlesNote?: string;
}

// ---- loading -----------------------------------------------------------------------------

const toNum = (v: unknown): number | null => (v === null || v === undefined || !Number.isFinite(Number(v)) ? null : Number(v));
const toStr = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const toBool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);

export async function loadReportData(db: AnalyticsDb, version: string, now = new Date()): Promise<ReportData> {
  const has = (v: string) => db.views.includes(v);
  let run: RunRow | null = null;
  if (has('model_runs')) {
    const r = (await db.query(sqlText('rpt_report_run'), { version })).rows[0];
    if (r) {
      run = {
        version,
        created_at: toStr(r.created_at),
        data_as_of: toStr(r.data_as_of),
        cutoff: toStr(r.cutoff),
        published_at: toStr(r.published_at),
        model: toStr(r.model),
        params: toStr(r.params),
        gate_passed: toBool(r.gate_passed),
        gate_outcome: toStr(r.gate_outcome),
        release: toStr(r.release),
        gate_reason: toStr(r.gate_reason),
        published: toBool(r.published),
        live_version: toStr(r.live_version),
        ndcg_10: toNum(r.ndcg_10),
        popularity_ndcg_10: toNum(r.popularity_ndcg_10),
        live_ndcg_10: toNum(r.live_ndcg_10),
        n_users: toNum(r.n_users),
        n_items: toNum(r.n_items),
        n_train_interactions: toNum(r.n_train_interactions),
      };
    }
  }
  const metrics: MetricRow[] = has('eval_metrics')
    ? (await db.query(sqlText('rpt_report_metrics'), { version })).rows.map((r) => ({ model: String(r.model), holdout: String(r.holdout), slice: String(r.slice), metric: String(r.metric), value: toNum(r.value) }))
    : [];

  let titles: TitleRow[] | null = null;
  let titlesNote: string | undefined;
  const missing = ['catalog', 'events', 'recommendations'].filter((v) => !has(v));
  if (missing.length > 0) titlesNote = `the analysts' views ${missing.join(', ')} have no data yet`;
  else {
    const rows = (await db.query(sqlText('rpt_report_title_popularity'), { version, as_of: run?.data_as_of ?? '9999-12-31T00:00:00Z', cutoff: run?.cutoff ?? '9999-12-31T00:00:00Z' })).rows;
    titles = rows.map((r) => ({ movie_id: String(r.movie_id), watches: Number(r.watches), slots: Number(r.slots), added_after_cutoff: r.added_after_cutoff === true }));
    if (!titles.some((t) => t.slots > 0)) titlesNote = `version ${version} has no published top-20 snapshot (it was not scored, or its files were removed)`;
  }
  return { version, generatedAt: now.toISOString(), run, metrics, titles, titlesNote };
}

// ---- rendering ---------------------------------------------------------------------------

/** Display order: the released models first, then the baselines, then anything new. */
const MODEL_ORDER = ['ranked', 'candidate', 'live_ranked', 'live', 'popularity', 'trending'];
const SLICE_ORDER = ['all', 'light', 'heavy'];
const METRIC_ORDER = ['users', 'ndcg_10', 'ndcg_100', 'recall_10', 'recall_20', 'recall_50', 'map_10', 'hitrate_10', 'coverage_10', 'mean_pop_10'];
/** Columns where "more" is not "better" (no bold best). */
const NEUTRAL = new Set(['users', 'mean_pop_10']);
const MODEL_DOC: Record<string, string> = {
  ranked: 'retrieval candidates ordered by the ranker',
  candidate: 'the retrieval model trained before the cutoff',
  live: 'the live version’s recipe retrained on the same window',
  live_ranked: 'the live recipe’s candidates ordered by the gate ranker',
  popularity: 'most-watched titles before the cutoff',
  trending: 'recently rising titles before the cutoff',
  content: 'the content model that gives titles without interactions a vector (see Cold titles)',
};
const METRIC_LABEL: Record<string, string> = {
  users: 'users', ndcg_10: 'NDCG@10', ndcg_100: 'NDCG@100', recall_10: 'Recall@10', recall_20: 'Recall@20', recall_50: 'Recall@50',
  map_10: 'MAP@10', hitrate_10: 'HitRate@10', coverage_10: 'Coverage@10', mean_pop_10: 'mean pop@10',
};
const RECALL_KS = [10, 20, 50];
/** Slices or metrics that measure titles the model had not seen (named by the evaluation). */
const COLD_TITLE_RE = /cold[_-]?(title|item)|new[_-]?(title|item)|fresh|content/i;

const ordered = (xs: Iterable<string>, order: string[]) => [...new Set(xs)].sort((a, b) => (order.indexOf(a) + 1 || 999) - (order.indexOf(b) + 1 || 999) || a.localeCompare(b));

/** Metrics that count things (users, titles, sizes): printed as integers. */
const COUNT_RE = /^(users|titles|n_\w+|\w+_size|\w+_count)$/;

function fmtMetric(metric: string, v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (COUNT_RE.test(metric)) return String(Math.round(v));
  if (metric === 'mean_pop_10') return v.toFixed(1);
  return v.toFixed(4);
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

type Table = Map<string, Map<string, Map<string, number | null>>>; // slice → model → metric → value

function tableOf(metrics: MetricRow[], holdout: string): Table {
  const t: Table = new Map();
  for (const m of metrics) {
    if (m.holdout !== holdout) continue;
    let s = t.get(m.slice);
    if (!s) t.set(m.slice, (s = new Map()));
    let mm = s.get(m.model);
    if (!mm) s.set(m.model, (mm = new Map()));
    mm.set(m.metric, m.value);
  }
  return t;
}

function metricsTable(slice: Map<string, Map<string, number | null>>, caption: string): string {
  const models = ordered(slice.keys(), MODEL_ORDER);
  const metrics = ordered(models.flatMap((m) => [...slice.get(m)!.keys()]), METRIC_ORDER);
  const best = new Map<string, number>();
  for (const metric of metrics) {
    if (NEUTRAL.has(metric)) continue;
    const vals = models.map((m) => slice.get(m)!.get(metric)).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    if (vals.length > 1) best.set(metric, Math.max(...vals));
  }
  const pop = slice.get('popularity')?.get('ndcg_10');
  const head = `<tr><th>model</th>${metrics.map((m) => `<th class="num">${esc(METRIC_LABEL[m] ?? m)}</th>`).join('')}<th class="num">NDCG@10 vs popularity</th></tr>`;
  const rows = models.map((model) => {
    const vals = slice.get(model)!;
    const cells = metrics.map((metric) => {
      const v = vals.get(metric);
      const isBest = typeof v === 'number' && best.get(metric) === v;
      return `<td class="num${isBest ? ' best' : ''}">${fmtMetric(metric, v)}</td>`;
    });
    const n = vals.get('ndcg_10');
    const lift = typeof n === 'number' && typeof pop === 'number' && pop > 0 && model !== 'popularity' ? `${n >= pop ? '+' : ''}${pct(n / pop - 1)}` : '';
    return `<tr data-model="${esc(model)}"><th title="${esc(MODEL_DOC[model] ?? model)}">${esc(model)}</th>${cells.join('')}<td class="num">${lift}</td></tr>`;
  });
  return `<table class="metrics"><caption>${esc(caption)}</caption><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}

function recallChart(slice: Map<string, Map<string, number | null>>, name: string): string {
  const models = ordered(slice.keys(), MODEL_ORDER);
  const series: Series[] = models.map((m) => ({
    name: m,
    dash: m === 'popularity' || m === 'trending',
    points: RECALL_KS.map((k) => ({ x: k, y: slice.get(m)!.get(`recall_${k}`) ?? NaN, label: `${m} Recall@${k}: ${fmtMetric('recall', slice.get(m)!.get(`recall_${k}`))}` })),
  }));
  return lineChart(series, { title: `Recall@K — ${name}`, width: 400, height: 260, xTicks: RECALL_KS.map((k) => ({ value: k, label: String(k) })), xMin: 5, xMax: 55, yMin: 0, xLabel: 'K (list length)', yLabel: 'Recall@K', emptyText: 'no Recall@K stored for this slice' });
}

export interface PopularityStats {
  nTitles: number;
  recommendedTitles: number;
  giniWatches: number;
  giniSlots: number;
  /** Share of watches / slots that go to the most-watched 10% of titles. */
  headShareWatches: number;
  headShareSlots: number;
  deciles: { label: string; watches: number; slots: number }[];
}

/** Titles by catalog popularity (most watched first) cut into ten equal groups. */
export function popularityStats(titles: TitleRow[]): PopularityStats {
  const sorted = [...titles].sort((a, b) => b.watches - a.watches || a.movie_id.localeCompare(b.movie_id));
  const n = sorted.length;
  const totalW = sorted.reduce((a, t) => a + t.watches, 0);
  const totalS = sorted.reduce((a, t) => a + t.slots, 0);
  const deciles = Array.from({ length: 10 }, (_, d) => {
    const part = sorted.slice(Math.floor((d * n) / 10), Math.floor(((d + 1) * n) / 10));
    return { label: `D${d + 1}`, watches: totalW ? part.reduce((a, t) => a + t.watches, 0) / totalW : 0, slots: totalS ? part.reduce((a, t) => a + t.slots, 0) / totalS : 0 };
  });
  return {
    nTitles: n,
    recommendedTitles: sorted.filter((t) => t.slots > 0).length,
    giniWatches: gini(sorted.map((t) => t.watches)),
    giniSlots: gini(sorted.map((t) => t.slots)),
    headShareWatches: deciles[0].watches,
    headShareSlots: deciles[0].slots,
    deciles,
  };
}

function popularitySection(d: ReportData): string {
  if (!d.titles || !d.titles.some((t) => t.slots > 0)) return `<p class="note">Not available: ${esc(d.titlesNote ?? 'no data')}.</p>`;
  const s = popularityStats(d.titles);
  const hist = barChart(
    s.deciles.map((x) => x.label),
    [
      { name: 'share of catalog watches', values: s.deciles.map((x) => x.watches), color: '#9ca3af' },
      { name: 'share of top-20 slots', values: s.deciles.map((x) => x.slots), color: '#2563eb' },
    ],
    { title: 'Where the slots go, by catalog popularity decile', width: 520, height: 280, xLabel: 'titles by watches, D1 = most-watched 10%', yFormat: (v) => `${Math.round(v * 100)}%` },
  );
  const lorenz = lineChart(
    [
      { name: `catalog watches (Gini ${s.giniWatches.toFixed(3)})`, color: '#9ca3af', points: lorenzPoints(d.titles.map((t) => t.watches)) },
      { name: `top-20 slots (Gini ${s.giniSlots.toFixed(3)})`, color: '#2563eb', points: lorenzPoints(d.titles.map((t) => t.slots)) },
    ],
    { title: 'Lorenz curves', width: 380, height: 280, xMin: 0, xMax: 1, yMin: 0, yMax: 1, diagonal: true, xLabel: 'share of titles (least → most)', yLabel: 'cumulative share', yFormat: (v) => `${Math.round(v * 100)}%` },
  );
  return `<div class="charts">${hist}${lorenz}</div>
<table class="kv"><tbody>
<tr><th>titles in the catalog at the data clock</th><td class="num">${s.nTitles}</td></tr>
<tr><th>titles in at least one user's top 20</th><td class="num">${s.recommendedTitles} (${pct(s.nTitles ? s.recommendedTitles / s.nTitles : 0)})</td></tr>
<tr><th>share of watches on the most-watched 10% of titles</th><td class="num">${pct(s.headShareWatches)}</td></tr>
<tr><th>share of top-20 slots on the most-watched 10% of titles</th><td class="num">${pct(s.headShareSlots)}</td></tr>
<tr><th>Gini of watches / of slots</th><td class="num">${s.giniWatches.toFixed(3)} / ${s.giniSlots.toFixed(3)}</td></tr>
</tbody></table>
<p class="small">Watches: watch events in the analysts' events view up to the run's data clock. Slots: (user, rank ≤ 20) entries of the version's published recommendations snapshot.</p>`;
}

function coldUserSection(t: Table): string {
  const light = t.get('light');
  if (!light) return '<p class="note">Not measured: the evaluation of this run has no light-user slice.</p>';
  const slices = ordered([...t.keys()].filter((s) => SLICE_ORDER.includes(s)), SLICE_ORDER);
  const models = ordered(slices.flatMap((s) => [...t.get(s)!.keys()]), MODEL_ORDER);
  const chart = barChart(
    models,
    slices.map((s, i) => ({ name: `${s} (${fmtMetric('users', t.get(s)?.get(models[0])?.get('users'))} users)`, values: models.map((m) => t.get(s)?.get(m)?.get('ndcg_10') ?? NaN), color: ['#6b7280', '#f97316', '#2563eb'][i] })),
    { title: 'NDCG@10 by user slice', width: 520, height: 270, xLabel: 'model' },
  );
  const rows = models.map((m) => `<tr data-model="${esc(m)}"><th>${esc(m)}</th>${slices.map((s) => `<td class="num">${fmtMetric('ndcg_10', t.get(s)?.get(m)?.get('ndcg_10'))}</td><td class="num">${fmtMetric('recall_20', t.get(s)?.get(m)?.get('recall_20'))}</td>`).join('')}</tr>`);
  return `<p>Light users had fewer than ${LIGHT_MAX} positive interactions before the cutoff: the cold end of the user base, where the model has least to go on and popularity is hardest to beat.</p>
<div class="charts">${chart}</div>
<table class="metrics"><thead><tr><th rowspan="2">model</th>${slices.map((s) => `<th colspan="2" class="num">${esc(s)}</th>`).join('')}</tr><tr>${slices.map(() => '<th class="num">NDCG@10</th><th class="num">Recall@20</th>').join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function coldTitleSection(d: ReportData): string {
  const rows = d.metrics.filter((m) => COLD_TITLE_RE.test(m.slice) || COLD_TITLE_RE.test(m.metric) || COLD_TITLE_RE.test(m.model));
  const parts: string[] = [];
  if (rows.length === 0) parts.push('<p class="note" id="cold-title-not-measured">Not measured: the stored evaluation of this run has no cold-title slice or metric.</p>');
  else {
    parts.push('<p>What the stored evaluation measured about titles without interactions (the content model that gives them a vector, or cold-title slices):</p>');
    parts.push(`<table class="metrics"><thead><tr><th>model</th><th>holdout</th><th>slice</th><th>metric</th><th class="num">value</th></tr></thead><tbody>${rows
      .map((m) => `<tr><td>${esc(m.model)}</td><td>${esc(m.holdout)}</td><td>${esc(m.slice)}</td><td>${esc(METRIC_LABEL[m.metric] ?? m.metric)}</td><td class="num">${fmtMetric(m.metric, m.value)}</td></tr>`)
      .join('')}</tbody></table>`);
  }
  if (d.titles && d.titles.some((t) => t.slots > 0)) {
    const fresh = d.titles.filter((t) => t.added_after_cutoff);
    const slots = fresh.reduce((a, t) => a + t.slots, 0);
    const total = d.titles.reduce((a, t) => a + t.slots, 0);
    parts.push(
      fresh.length === 0
        ? '<p>Exposure: no title joined the catalog between the cutoff and the data clock.</p>'
        : `<p>Exposure (observed, not a quality metric): ${fresh.length} titles joined the catalog between the cutoff and the data clock; ${fresh.filter((t) => t.slots > 0).length} of them appear in some user's top 20, taking ${slots} of ${total} slots (${pct(total ? slots / total : 0)}).</p>`,
    );
  }
  return parts.join('\n');
}

const CSS = `
body { margin:0; font:14px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color:#111827; background:#f3f4f6; }
main { max-width:1100px; margin:0 auto; padding:20px 24px 48px; }
section { background:#fff; border:1px solid #e5e7eb; border-radius:8px; padding:14px 18px; margin:14px 0; }
h1 { font-size:20px; margin:6px 0 2px; } h2 { font-size:16px; margin:0 0 10px; }
.charts { display:flex; flex-wrap:wrap; gap:12px; margin:8px 0; }
.charts svg { border:1px solid #e5e7eb; border-radius:6px; background:#fff; }
table { border-collapse:collapse; font-size:12.5px; margin:8px 0 14px; }
caption { text-align:left; font-weight:600; padding:4px 0; }
th, td { padding:3px 9px; border-bottom:1px solid #e5e7eb; text-align:left; }
thead th { color:#6b7280; font-weight:600; }
.num { text-align:right; font-variant-numeric:tabular-nums; }
td.best { font-weight:700; }
.badge { display:inline-block; padding:0 7px; border-radius:9px; font-size:12px; }
.pass { background:#dcfce7; color:#166534; } .fail { background:#fee2e2; color:#991b1b; }
.note { color:#6b7280; font-style:italic; } .small { color:#6b7280; font-size:12px; }
dl { display:grid; grid-template-columns:max-content 1fr; gap:2px 14px; margin:0; } dt { color:#6b7280; } dd { margin:0; }
`;

export function renderReport(d: ReportData): string {
  const r = d.run;
  const holdouts = ordered(new Set(d.metrics.map((m) => m.holdout)), ['global_time', 'per_user']);
  const main = holdouts[0] ?? 'global_time';
  const t = tableOf(d.metrics, main);
  const slices = ordered(t.keys(), SLICE_ORDER);
  const outcome = r?.gate_outcome ?? (r?.gate_passed ? 'pass' : 'fail');
  const gate = r?.gate_passed === null || r?.gate_passed === undefined ? '' : `<span class="badge ${r.gate_passed ? 'pass' : 'fail'}">gate: ${esc(outcome)}${r.release ? ` → ${esc(r.release.replace(/_/g, ' '))}` : ''}</span> ${esc(r.gate_reason ?? '')}`;
  const runInfo = r
    ? `<dl>
<dt>model</dt><dd>${esc(r.model ?? '–')} <span class="small">${esc(r.params ?? '')}</span></dd>
<dt>data as of</dt><dd>${esc(r.data_as_of ?? '–')} (training cutoff ${esc(r.cutoff ?? '–')})</dd>
<dt>trained</dt><dd>${esc(r.created_at ?? '–')}${r.published ? `, published ${esc(r.published_at ?? '')}` : ', not published'}</dd>
<dt>gate</dt><dd>${gate}</dd>
<dt>size</dt><dd>${r.n_users ?? '–'} users × ${r.n_items ?? '–'} titles, ${r.n_train_interactions ?? '–'} training interactions</dd>
${r.live_version ? `<dt>compared with</dt><dd>live version ${esc(r.live_version)} (its recipe retrained on this window)</dd>` : ''}
</dl>`
    : '<p class="note">This version has no row in the analysts’ model_runs view.</p>';

  const metricsHtml =
    slices.length === 0
      ? '<p class="note">No evaluation metrics are stored for this version.</p>'
      : `${slices.map((s) => metricsTable(t.get(s)!, `slice: ${s}${s === 'light' ? ` (fewer than ${LIGHT_MAX} training positives)` : s === 'heavy' ? ` (${LIGHT_MAX} or more)` : ''}`)).join('\n')}
<p class="small">Holdout: ${esc(main)} (events after the training cutoff). Models: ${ordered(new Set(d.metrics.map((m) => m.model)), MODEL_ORDER).map((m) => `<b>${esc(m)}</b> — ${esc(MODEL_DOC[m] ?? 'as stored')}`).join('; ')}. Bold: best value of a column.</p>`;
  const recallHtml = slices.length === 0 ? '<p class="note">No Recall@K stored.</p>' : `<div class="charts">${slices.filter((s) => SLICE_ORDER.includes(s)).map((s) => recallChart(t.get(s)!, s)).join('')}</div>`;

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Evaluation report — ${esc(d.version)}</title><style>${CSS}</style></head>
<body><main>
<h1>Evaluation report — ${esc(d.version)}</h1>
<p class="small">Generated ${esc(d.generatedAt)} by <code>recs report</code> from the analysts' Parquet views.</p>
<section id="run"><h2>Run</h2>${runInfo}</section>
<section id="metrics"><h2>Metrics against the baselines</h2>${metricsHtml}</section>
<section id="recall"><h2>Recall@K</h2>${recallHtml}</section>
<section id="popularity"><h2>Popularity of recommended titles against the catalog</h2>${popularitySection(d)}</section>
<section id="cold-users"><h2>Cold users (light slice)</h2>${coldUserSection(t)}</section>
<section id="cold-titles"><h2>Cold titles</h2>${coldTitleSection(d)}</section>
<section id="tradeoffs"><h2>Objectives: accuracy, diversity and watch time</h2>${tradeoffSection(d.metrics)}</section>
</main></body></html>
`;
}

// ---- command -------------------------------------------------------------------------------

async function liveVersion(cfg: ReturnType<typeof loadConfigOrExit>): Promise<string | null> {
  const redis = redisClient(cfg, { lazy: true });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return await new VersionStore(redis, cfg.REDIS_PREFIX).live();
  } finally {
    redis.disconnect();
  }
}

export default async function main(argv: string[]): Promise<number> {
  let values: { version?: string; out?: string };
  try {
    ({ values } = parseArgs({ args: argv, options: { version: { type: 'string' }, out: { type: 'string' } }, strict: true }));
  } catch (e) {
    console.error(`recs report: ${(e as Error).message}\nusage: recs report [--version V] --out report.html`);
    return 2;
  }
  if (!values.out) {
    console.error('recs report: --out FILE is required\nusage: recs report [--version V] --out report.html');
    return 2;
  }
  const cfg = loadConfigOrExit();
  const db = await openAnalytics(cfg.DATA_DIR);
  try {
    let version = values.version;
    if (!version) {
      try {
        version = (await liveVersion(cfg)) ?? undefined;
      } catch (e) {
        console.error(`recs report: cannot read the live version from Redis (${(e as Error).message})`);
      }
      if (!version && db.views.includes('model_runs')) {
        version = String((await db.query(sqlText('rpt_report_latest_run'))).rows[0]?.version ?? '') || undefined;
        if (version) console.error(`recs report: no live version; reporting the newest run ${version}`);
      }
    }
    if (!version) {
      console.error('recs report: no live version and no runs yet (pass --version, or run `recs retrain` first)');
      return 1;
    }
    assertVersion(version);
    const data = await loadReportData(db, version);
    if (!data.run && data.metrics.length === 0) {
      console.error(`recs report: nothing is stored for ${version} in the analysts' views`);
      return 1;
    }
    const out = resolve(values.out);
    const tmp = `${out}.tmp-${process.pid}`;
    writeFileSync(tmp, renderReport(data));
    renameSync(tmp, out);
    console.log(`wrote ${out} (${Math.round(statSync(out).size / 1024)} KiB) for ${version}`);
    return 0;
  } finally {
    db.close();
  }
}
