import { describe, expect, it } from 'vitest';
import { popularityStats, renderReport, type MetricRow, type ReportData, type TitleRow } from '../../cli/report';

const V = 'v20240601T000000Z';

function metrics(extra: MetricRow[] = []): MetricRow[] {
  const out: MetricRow[] = [];
  const base: Record<string, number> = { candidate: 0.2, live: 0.18, popularity: 0.1, trending: 0.09 };
  for (const [model, b] of Object.entries(base)) {
    for (const [slice, f] of Object.entries({ all: 1, light: 0.5, heavy: 1.2 })) {
      const v = b * f;
      for (const [metric, value] of Object.entries({ users: 100, ndcg_10: v, recall_10: v, recall_20: v * 1.4, recall_50: v * 2, coverage_10: 0.3, mean_pop_10: 120 })) out.push({ model, holdout: 'global_time', slice, metric, value });
    }
  }
  return [...out, ...extra];
}

function titles(n: number): TitleRow[] {
  // watches fall off as 1/rank; the model spreads its slots flatter, and two titles are new.
  return Array.from({ length: n }, (_, i) => ({ movie_id: `m${i}`, watches: Math.round(1000 / (i + 1)), slots: i < n - 2 ? 50 + ((i * 37) % 20) : 3, added_after_cutoff: i >= n - 2 }));
}

const data = (over: Partial<ReportData> = {}): ReportData => ({
  version: V,
  generatedAt: '2024-06-02T00:00:00.000Z',
  run: {
    version: V, created_at: '2024-06-01T01:00:00Z', data_as_of: '2024-06-01T00:00:00Z', cutoff: '2024-05-25T00:00:00Z', published_at: '2024-06-01T01:05:00Z',
    model: 'ials', params: '{"factors":16}', gate_passed: true, gate_outcome: 'pass', release: 'publish', gate_reason: 'pass: vs popularity: shipped 0.2000 vs popularity 0.1000 (+100.0%, 95% CI [+80.0%, +120.0%], n=300): beats a lift above 0', published: true,
    live_version: null, ndcg_10: 0.2, popularity_ndcg_10: 0.1, live_ndcg_10: null, n_users: 100, n_items: 40, n_train_interactions: 2000,
  },
  metrics: metrics(),
  titles: titles(40),
  ...over,
});

describe('the evaluation report', () => {
  it('is one HTML file with its charts inline: no scripts, no external URLs or assets', () => {
    const html = renderReport(data());
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/<svg /g)!.length).toBeGreaterThanOrEqual(6); // Recall@K × 3 slices, histogram, Lorenz, cold users
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script|<link|<img|\ssrc=|\shref=|@import|url\(/i);
  });

  it('tables every model of every slice, the best value of a column in bold, lift over popularity', () => {
    const html = renderReport(data());
    for (const s of ['all', 'light', 'heavy']) expect(html).toContain(`slice: ${s}`);
    expect(html.match(/<tr data-model="candidate">/g)!.length).toBeGreaterThanOrEqual(3);
    expect(html).toContain('<td class="num best">0.2000</td>'); // candidate NDCG@10 on "all"
    expect(html).toContain('+100.0%'); // 0.2 vs 0.1
  });

  it('says the cold-title slice was not measured when the metrics have none', () => {
    const html = renderReport(data());
    expect(html).toContain('id="cold-title-not-measured"');
    expect(html).toMatch(/2 titles joined the catalog between the cutoff and the data clock; 2 of them appear/);
  });

  it('shows cold-title metrics when the evaluation stored them', () => {
    const html = renderReport(data({ metrics: metrics([{ model: 'content', holdout: 'global_time', slice: 'cold_title', metric: 'audience_hit_rate', value: 0.31 }]) }));
    expect(html).not.toContain('cold-title-not-measured');
    expect(html).toContain('audience_hit_rate');
    expect(html).toContain('0.3100');
  });

  it('degrades to notes when there is nothing but a run', () => {
    const html = renderReport(data({ metrics: [], titles: null, titlesNote: 'the analysts’ views recommendations have no data yet' }));
    expect(html).toContain('No evaluation metrics are stored for this version.');
    expect(html).toContain('recommendations have no data yet');
    expect(html).toContain('Not measured: the evaluation of this run has no light-user slice.');
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('escapes what it did not write itself', () => {
    const html = renderReport(data({ metrics: metrics([{ model: '<img src=x>', holdout: 'global_time', slice: 'all', metric: 'ndcg_10', value: 0.1 }]) }));
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x&gt;');
  });
});

describe('popularity of recommended titles', () => {
  it('splits titles into ten popularity deciles whose shares add up to 1', () => {
    const s = popularityStats(titles(40));
    expect(s.deciles).toHaveLength(10);
    expect(s.deciles.reduce((a, d) => a + d.watches, 0)).toBeCloseTo(1, 12);
    expect(s.deciles.reduce((a, d) => a + d.slots, 0)).toBeCloseTo(1, 12);
    expect(s.headShareWatches).toBeGreaterThan(s.headShareSlots); // the model spreads its slots flatter than watches
    expect(s.giniWatches).toBeGreaterThan(s.giniSlots);
    expect(s.recommendedTitles).toBe(40);
  });

  it('plots the objective trade-offs the run stored: NDCG@10 against ILD over D, watch time against NDCG over w', () => {
    const rows: MetricRow[] = [];
    const add = (model: string, slice: string, m: Record<string, number>) => Object.entries(m).forEach(([metric, value]) => rows.push({ model, holdout: 'tradeoffs', slice, metric, value }));
    [0, 0.2, 0.5].forEach((D, i) => add('tradeoff_rerank', `D=${D} cap=0 β=0`, { ndcg_10: 0.2 - 0.02 * i, ild_10: 0.4 + 0.1 * i, genre_coverage_10: 0.3 }));
    add('tradeoff_rerank', 'D=0 cap=3 β=0', { ndcg_10: 0.19, ild_10: 0.45 });
    [0, 1].forEach((w) => add('tradeoff_completion', `w=${w}`, { ndcg_10: 0.2 - 0.01 * w, watch_time_10: 0.8 + 0.05 * w }));
    const html = renderReport(data({ metrics: metrics(rows) }));
    const section = html.slice(html.indexOf('<section id="tradeoffs">'));
    expect(section.match(/<svg /g)!.length).toBe(2);
    expect(section.match(/class="point"/g)!.length).toBe(3 + 1 + 2);
    expect(section).toContain('data-knobs="D=0.2 cap=0 β=0"');
    expect(section).toContain('0.850'); // watch time at w = 1
    // The trade-off rows are not a holdout of the metrics tables.
    expect(html.slice(0, html.indexOf('<section id="tradeoffs">'))).not.toContain('D=0.2 cap=0');
    expect(renderReport(data())).toContain('id="tradeoffs-not-measured"');
  });
});
