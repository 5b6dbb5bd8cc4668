import { describe, expect, it } from 'vitest';
import type { Candidate } from '../../api/feed';
import { roundScore } from '../../api/feed';
import { begin, encodeFeedPage, ItemHeads, num6, take, toFeedResponse, type FeedPage } from '../../api/feed-json';

import { catalog, fresh } from '../helpers/json-titles';

function page(items: Candidate[], heads: ItemHeads | null): FeedPage {
  return {
    user_id: 'u"1',
    model_version: 'v20240601T000000Z',
    source: 'personalized',
    variant: 'control',
    items,
    heads,
    titleOf: (c) => (c.itemIndex >= 0 ? catalog[c.itemIndex] : fresh),
  };
}

describe('encodeFeedPage', () => {
  const items: Candidate[] = [
    { movieId: 'm3', itemIndex: 2, score: 0.123456789, reason: 'because_you_watched' },
    { movieId: 'f9', itemIndex: -1, score: 1e-9, reason: 'new_for_you' },
    { movieId: 'm1', itemIndex: 0, score: -2.5, reason: 'trending' },
    { movieId: 'm2', itemIndex: 1, score: Number.NaN, reason: 'popular' },
    { movieId: 'm4', itemIndex: 3, score: 12345678.9, reason: 'session' },
  ];

  it('writes the bytes JSON.stringify writes for the same response, with and without the heads', async () => {
    const heads = await ItemHeads.build(catalog, async () => {}, 3); // slices of 3: a slice edge inside the catalog
    for (const h of [heads, null]) {
      const p = page(items, h);
      expect(encodeFeedPage(p).toString('utf8')).toBe(JSON.stringify(toFeedResponse(p)));
    }
  });

  it('writes an empty page and a null model version', () => {
    const p = { ...page([], null), model_version: null, source: 'fallback' as const };
    expect(encodeFeedPage(p).toString('utf8')).toBe('{"user_id":"u\\"1","model_version":null,"source":"fallback","variant":"control","items":[]}');
    expect(JSON.parse(encodeFeedPage(p).toString('utf8'))).toEqual(toFeedResponse(p));
  });
});

describe('num6', () => {
  const written = (x: number) => {
    begin();
    num6(x);
    return take().toString('latin1');
  };

  it('writes a score as JSON.stringify writes it rounded to 6 decimals', () => {
    const edges = [0, -0, 1, -1, 0.5, 1e-6, -1e-6, 5e-7, -5e-7, 4.9e-7, 1.5e-6, -1.5e-6, 0.1 + 0.2, 1.0000005, 12345678.9, 999_999_999.999_999, 1e9, 1e15, 1e21, 1e-7, Number.NaN, Infinity, -Infinity];
    for (const x of edges) expect(written(x), String(x)).toBe(JSON.stringify(roundScore(x)));
    // Random magnitudes from 1e-8 to 1e9, both signs, and values on the rounding boundary.
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 200_000; i++) {
      const x = (rand() - 0.3) * 10 ** (Math.floor(rand() * 18) - 8);
      const halfway = (Math.round(rand() * 2e6) + 0.5) / 1e6;
      for (const v of [x, halfway, -halfway]) if (written(v) !== JSON.stringify(roundScore(v))) expect(written(v), String(v)).toBe(JSON.stringify(roundScore(v)));
    }
  });
});
