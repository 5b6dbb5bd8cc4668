// The "Objectives" section of `recs report`: the trade-off curves the run's evaluation measured
// (pipeline/tradeoffs.ts, eval_metrics rows with holdout 'tradeoffs'):
//   NDCG@10 against intra-list diversity over the re-rank's diversity D (FEED_DIVERSITY), with the
//   genre cap and freshness points beside it;
//   expected watch time@10 against NDCG@10 over the completion weight w (RANKER_COMPLETION_WEIGHT).
import { escapeXml as esc, lineChart, type Series } from '../api/charts';

export interface TradeoffMetricRow {
  model: string;
  holdout: string;
  slice: string;
  metric: string;
  value: number | null;
}

const COLUMNS: [string, string, number][] = [
  ['ndcg_10', 'NDCG@10', 4],
  ['recall_20', 'Recall@20', 4],
  ['watch_time_10', 'watch time@10', 3],
  ['ild_10', 'ILD@10', 3],
  ['genre_coverage_10', 'genres@10', 3],
  ['novelty_10', 'novelty@10', 2],
];

/** slice → metric → value of one trade-off model. */
function points(rows: TradeoffMetricRow[], model: string): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const r of rows) {
    if (r.holdout !== 'tradeoffs' || r.model !== model || r.value === null) continue;
    if (!out.has(r.slice)) out.set(r.slice, new Map());
    out.get(r.slice)!.set(r.metric, r.value);
  }
  return out;
}

/** The knob values of a slice label such as `D=0.2 cap=0 β=0` or `w=0.5`. */
export function knobsOf(label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of label.matchAll(/([A-Za-zβ]+)=([-\d.]+)/g)) out[m[1]] = Number(m[2]);
  return out;
}

function table(pts: Map<string, Map<string, number>>, knob: string): string {
  const cols = COLUMNS.filter(([m]) => [...pts.values()].some((v) => v.has(m)));
  const head = `<tr><th>${esc(knob)}</th>${cols.map(([, l]) => `<th class="num">${esc(l)}</th>`).join('')}</tr>`;
  const body = [...pts.entries()].map(([slice, v]) => `<tr data-knobs="${esc(slice)}"><th>${esc(slice)}</th>${cols.map(([m, , d]) => `<td class="num">${v.has(m) ? v.get(m)!.toFixed(d) : '–'}</td>`).join('')}</tr>`);
  return `<table class="metrics"><thead>${head}</thead><tbody>${body.join('')}</tbody></table>`;
}

export function tradeoffSection(rows: TradeoffMetricRow[]): string {
  const rerank = points(rows, 'tradeoff_rerank');
  const completion = points(rows, 'tradeoff_completion');
  if (rerank.size === 0 && completion.size === 0) return '<p class="note" id="tradeoffs-not-measured">Not measured: this run stored no trade-off points (EVAL_TRADEOFFS off, or a run from before they existed).</p>';
  const parts: string[] = [];
  if (rerank.size > 0) {
    const pt = (slice: string, v: Map<string, number>) => ({ x: v.get('ild_10') ?? NaN, y: v.get('ndcg_10') ?? NaN, label: `${slice}: ILD@10 ${(v.get('ild_10') ?? NaN).toFixed(3)}, NDCG@10 ${(v.get('ndcg_10') ?? NaN).toFixed(4)}` });
    const entries = [...rerank.entries()].map(([s, v]) => ({ s, v, k: knobsOf(s) }));
    const curve = entries.filter((e) => !e.k.cap && !e.k['β']).sort((a, b) => a.k.D - b.k.D);
    const others = entries.filter((e) => e.k.cap || e.k['β']);
    const series: Series[] = [{ name: 'diversity D (MMR)', points: curve.map((e) => pt(e.s, e.v)) }, ...others.map((e) => ({ name: e.s, points: [pt(e.s, e.v)] }))];
    parts.push(`<div class="charts">${lineChart(series, { title: 'NDCG@10 against intra-list diversity (re-rank)', width: 520, height: 300, xLabel: 'ILD@10 (mean 1 − cos of item factors)', yLabel: 'NDCG@10' })}`);
  }
  if (completion.size > 0) {
    const curve = [...completion.entries()].map(([s, v]) => ({ s, v, w: knobsOf(s).w })).sort((a, b) => a.w - b.w);
    const series: Series[] = [{ name: 'completion weight w', points: curve.map((e) => ({ x: e.v.get('ndcg_10') ?? NaN, y: e.v.get('watch_time_10') ?? NaN, label: `${e.s}: NDCG@10 ${(e.v.get('ndcg_10') ?? NaN).toFixed(4)}, watch time@10 ${(e.v.get('watch_time_10') ?? NaN).toFixed(3)}` })) }];
    const chart = lineChart(series, { title: 'Expected watch time@10 against NDCG@10 (completion weight)', width: 480, height: 300, xLabel: 'NDCG@10', yLabel: 'watch time@10', emptyText: 'no watch time: the data has no completion signal' });
    parts.push(rerank.size > 0 ? `${chart}</div>` : `<div class="charts">${chart}</div>`);
  } else if (rerank.size > 0) parts.push('</div>');
  parts.push('<p>Each point is the gate holdout evaluated with one setting (no intervals here: <code>npm run bench:quality</code> has them, paired). Re-rank: the shipped list’s top 50 re-ordered by MMR over item factors with weight D on diversity (FEED_DIVERSITY), at most <i>cap</i> titles per primary genre (FEED_GENRE_CAP) and a boost β for titles added within FRESH_DAYS (FEED_FRESHNESS_BOOST). Completion weight: the ranker’s lists ordered by p(watch) × E[completion]<sup>w</sup> (RANKER_COMPLETION_WEIGHT); watch time@10 = held-out completion summed over the top 10’s hits.</p>');
  if (rerank.size > 0) parts.push(table(rerank, 're-rank'));
  if (completion.size > 0) parts.push(table(completion, 'completion weight'));
  return parts.join('\n');
}
