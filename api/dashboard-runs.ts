// The dashboard's model-run panel: the run rows the worker published (sql/rpt_dashboard_runs.sql,
// one per run × evaluated model; storage/dashboard-data.ts) → one view per run → SVG charts.
// Pure functions: no I/O.
import { lineChart, type Point, type Series } from './charts';

type Row = Record<string, unknown>;
export const num = (v: unknown): number | null => (v === null || v === undefined || v === '' || !Number.isFinite(Number(v)) ? null : Number(v));
export const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** Models that are baselines, not candidates for release (live, live_ranked: the live recipe retrained). */
const isBaseline = (model: string) => model === 'popularity' || model === 'trending' || model.startsWith('live');
/** The model whose numbers a run's gate judged, when several candidates were evaluated. */
const GATED_PREFERENCE = ['ranked', 'candidate'];

export interface RunView {
  version: string;
  created_at: string;
  data_as_of: string | null;
  cutoff: string | null;
  run_model: string | null;
  params: Record<string, unknown> | null;
  gate_passed: boolean;
  /** pass | fail | inconclusive (older runs: from gate_passed). */
  gate_outcome: string;
  gate_reason: string;
  published: boolean;
  /** The evaluated model whose NDCG@10 the gate judged. */
  gated_model: string | null;
  ndcg_10: number | null;
  recall_20: number | null;
  coverage_10: number | null;
  popularity: { ndcg_10: number | null; recall_20: number | null; coverage_10: number | null };
  live_ndcg_10: number | null;
  live_version: string | null;
  n_users: number | null;
  n_items: number | null;
}

/** Rows of sql/rpt_dashboard_runs.sql (one per run × model) → one RunView per run, oldest first. */
export function runViews(rows: Row[]): RunView[] {
  const byVersion = new Map<string, { run: Row; models: Map<string, Row> }>();
  for (const r of rows) {
    const v = String(r.version);
    let e = byVersion.get(v);
    if (!e) byVersion.set(v, (e = { run: r, models: new Map() }));
    if (r.model !== null && r.model !== undefined) e.models.set(String(r.model), r);
  }
  const out: RunView[] = [];
  for (const [version, { run, models }] of byVersion) {
    const gateNdcg = num(run.gate_ndcg_10);
    const candidates = [...models.keys()].filter((m) => !isBaseline(m));
    // The model the gate judged: the candidate whose NDCG@10 is the one recorded with the decision.
    const matching = candidates.filter((m) => gateNdcg !== null && Math.abs((num(models.get(m)!.ndcg_10) ?? NaN) - gateNdcg) < 1e-9);
    const pick = (xs: string[]) => GATED_PREFERENCE.find((m) => xs.includes(m)) ?? xs[0] ?? null;
    const gated = pick(matching) ?? pick(candidates);
    const g = gated ? models.get(gated)! : null;
    const pop = models.get('popularity');
    let params: Record<string, unknown> | null = null;
    try {
      params = run.params ? (JSON.parse(String(run.params)) as Record<string, unknown>) : null;
    } catch {
      params = null;
    }
    out.push({
      version,
      created_at: String(run.created_at),
      data_as_of: str(run.data_as_of),
      cutoff: str(run.cutoff),
      run_model: str(run.run_model),
      params,
      gate_passed: run.gate_passed === true,
      gate_outcome: str(run.gate_outcome) ?? (run.gate_passed === true ? 'pass' : 'fail'),
      gate_reason: String(run.gate_reason ?? ''),
      published: run.published === true,
      gated_model: gated,
      ndcg_10: num(g?.ndcg_10) ?? gateNdcg,
      recall_20: num(g?.recall_20),
      coverage_10: num(g?.coverage_10),
      popularity: { ndcg_10: num(pop?.ndcg_10) ?? num(run.popularity_ndcg_10), recall_20: num(pop?.recall_20), coverage_10: num(pop?.coverage_10) },
      live_ndcg_10: num(run.live_ndcg_10),
      live_version: str(run.live_version),
      n_users: num(run.n_users),
      n_items: num(run.n_items),
    });
  }
  return out.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.version < b.version ? -1 : 1));
}

/** "2026-11-26T05:40:03Z" → "11-26 05:40" (UTC). */
export function shortTime(iso: string): string {
  const m = /^\d{4}-(\d\d-\d\d)[T ](\d\d:\d\d)/.exec(iso);
  return m ? `${m[1]} ${m[2]}` : iso;
}

export interface RunChart {
  id: string;
  title: string;
  svg: string;
}

/** NDCG@10, Recall@20 and coverage@10 per run: the gated model (marked pass/fail) beside popularity. */
export function runCharts(runs: RunView[], width = 380): RunChart[] {
  const xTicks = runs.map((r, i) => ({ value: i, label: shortTime(r.created_at) }));
  const chart = (id: string, title: string, get: (r: RunView) => number | null, pop: (r: RunView) => number | null): RunChart => {
    const model: Series = {
      name: 'model (● gate passed, ✕ failed)',
      color: '#2563eb',
      points: runs.map((r, i) => ({ x: i, y: get(r) ?? NaN, status: r.gate_passed ? 'pass' : 'fail', label: `${r.version} · ${r.gated_model ?? 'model'} ${title} ${fmt(get(r))} · gate ${r.gate_passed ? 'passed' : 'failed'}: ${r.gate_reason}` }) satisfies Point),
    };
    const baseline: Series = { name: 'popularity', color: '#9ca3af', dash: true, points: runs.map((r, i) => ({ x: i, y: pop(r) ?? NaN, label: `${r.version} · popularity ${title} ${fmt(pop(r))}` })) };
    return { id, title, svg: lineChart([model, baseline], { title, width, height: 230, xTicks, xMin: runs.length === 1 ? -0.5 : undefined, xMax: runs.length === 1 ? 0.5 : undefined, xLabel: 'run (UTC)', emptyText: 'no model runs yet — start one with `recs retrain`' }) };
  };
  return [
    chart('ndcg_10', 'NDCG@10', (r) => r.ndcg_10, (r) => r.popularity.ndcg_10),
    chart('recall_20', 'Recall@20', (r) => r.recall_20, (r) => r.popularity.recall_20),
    chart('coverage_10', 'Coverage@10', (r) => r.coverage_10, (r) => r.popularity.coverage_10),
  ];
}

const fmt = (v: number | null) => (v === null ? 'n/a' : v.toFixed(4));

