import { describe, expect, it } from 'vitest';
import type { Candidate } from '../../api/feed';
import { ItemHeads, pushSlate } from '../../api/feed-json';
import { rowOf, type PlannedRow } from '../../api/rows';
import { encodeRowsPage, encodeUpNextPage, slateAfter, slateHead, type RowsPage, type UpNextPage } from '../../api/rows-json';
import { upNextResponse, type UpNextPlan } from '../../api/up-next';

import { catalog, fresh } from '../helpers/json-titles';
const freshOf = (id: string) => (id === fresh.movie_id ? fresh : undefined);
const v = { items: catalog, version: 'v20240601T000000Z' };

const cand = (itemIndex: number, score: number, reason: Candidate['reason']): Candidate => ({ movieId: itemIndex >= 0 ? catalog[itemIndex].movie_id : 'f9', itemIndex, score, reason });

const rows: PlannedRow[] = [
  {
    kind: 'top_picks',
    title: 'Top picks for you',
    items: [cand(2, 0.123456789, 'because_you_watched'), cand(-1, 1e-9, 'new_for_you'), cand(0, -2.5, 'because_you_watched'), { movieId: 'gone', itemIndex: -1, score: 1, reason: 'trending' }],
    itemsBecause: ['m1', undefined, 'm"4', undefined],
  },
  { kind: 'because_you_watched', title: 'Because you watched The "Quoted" \\ Title', because_of: 'm2', items: [cand(3, 12345678.9, 'because_you_watched'), cand(1, Number.NaN, 'because_you_watched')], itemsBecause: null },
  { kind: 'trending_in_genre', title: 'Trending in Sci-Fi', genre: 'Sci-Fi', items: [cand(3, 0.5, 'trending'), cand(0, 0.25, 'popular')], itemsBecause: null },
  { kind: 'trending_in_genre', title: 'Trending in Drama', genre: 'Drama', items: [], itemsBecause: null },
];

describe('encodeRowsPage', () => {
  const page: RowsPage = { user_id: 'u1', model_version: v.version, source: 'personalized', variant: 'control', rows };
  const expected = JSON.stringify({ ...page, rows: rows.map((r) => rowOf(r, v, freshOf)) });

  it('writes the bytes JSON.stringify writes for the same screen, with and without the heads', async () => {
    const heads = await ItemHeads.build(catalog, async () => {}, 3);
    for (const h of [heads, null]) expect(encodeRowsPage(page, { items: catalog, heads: h, fresh: freshOf }).toString('utf8')).toBe(expected);
  });

  it('grows its buffer for a screen larger than it', async () => {
    const heads = await ItemHeads.build(catalog);
    const big: PlannedRow = { kind: 'because_you_watched', title: 'x'.repeat(100_000), because_of: 'm1', items: Array.from({ length: 2000 }, (_, i) => cand(i % 4, i / 7, 'because_you_watched')), itemsBecause: null };
    const p: RowsPage = { ...page, rows: [big, ...rows] };
    expect(encodeRowsPage(p, { items: catalog, heads, fresh: freshOf }).toString('utf8')).toBe(JSON.stringify({ ...p, rows: p.rows.map((r) => rowOf(r, v, freshOf)) }));
    expect(encodeRowsPage(page, { items: catalog, heads, fresh: freshOf }).toString('utf8')).toBe(expected); // and is reset after it
  });
});

describe('encodeUpNextPage', () => {
  const plans: UpNextPlan[] = [
    { source: 'personalized', picks: [{ itemIndex: 2, score: 0.1234567, reason: 'next_in_franchise' }, { itemIndex: 1, score: -0, reason: 'similar' }], because: true },
    { source: 'fallback', picks: [{ itemIndex: 0, score: 0.9, reason: 'popular' }, { itemIndex: 3, score: Number.POSITIVE_INFINITY, reason: 'popular' }], because: false },
    { source: 'item_to_item', picks: [], because: true },
  ];

  it('writes the bytes JSON.stringify writes for the same answer', async () => {
    const heads = await ItemHeads.build(catalog);
    for (const plan of plans)
      for (const h of [heads, null]) {
        const page: UpNextPage = { user_id: 'u1', movie_id: 'm"3', model_version: v.version, plan };
        expect(encodeUpNextPage(page, { items: catalog, heads: h }).toString('utf8')).toBe(JSON.stringify(upNextResponse(v, 'u1', 'm"3', plan)));
      }
  });
});

describe('pushSlate with slateHead and slateAfter', () => {
  const f = { event_id: 'imp-1', user_id: 'u1', ts: '2024-06-01T00:00:00.000Z', surface: 'home_rows.2.because_you_watched', feed_source: 'personalized', variant: 'control', model_version: v.version };
  /** The bytes pushSlate hands the writer, as one string (a sink like BufferedEventWriter's, with room to spare). */
  const written = (write: (sink: { pushEncoded: (max: number, n: number, w: (b: Buffer, at: number) => number) => void }) => void) => {
    let out = '';
    write({
      pushEncoded: (max, n, w) => {
        expect(n).toBe(1);
        const buf = Buffer.alloc(max + 16, 0x7e);
        const len = w(buf, 8); // written at an offset, as into a shared chunk
        expect(len).toBeLessThanOrEqual(max);
        out = buf.toString('utf8', 8, 8 + len);
      },
    });
    return out;
  };

  it('writes what JSON.stringify of the impression event writes: catalog ids from the item heads, others escaped, with and without because_of', async () => {
    const heads = await ItemHeads.build([...catalog, { movie_id: 'we"ird', title: 't', genres: [] }, { movie_id: 'ünï', title: 't', genres: [] }], async () => {}, 2);
    const n = catalog.length;
    // Catalog titles by index (their ids are read from the heads), and ids with no head (itemIndex −1).
    const picks = [{ idx: 0, id: 'm1' }, { idx: n, id: 'we"ird' }, { idx: -1, id: 'fr"esh' }, { idx: n + 1, id: 'ünï' }, { idx: -1, id: 'm.2:x-y_z' }];
    for (const because of ['m"2', undefined])
      for (const h of [heads, null]) {
        const event = { event_id: f.event_id, user_id: f.user_id, event_type: 'impression', ts: f.ts, surface: f.surface, feed_source: f.feed_source, variant: f.variant, model_version: f.model_version, offset: 0, items: picks.map((p) => p.id), ...(because !== undefined ? { because_of: because } : {}) };
        const got = written((sink) => pushSlate(sink, slateHead(f), picks.length, (i) => picks[i].idx, (i) => picks[i].id, h, slateAfter(because)));
        expect(got).toBe(JSON.stringify(event));
      }
  });
});
