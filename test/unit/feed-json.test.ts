import { describe, expect, it } from 'vitest';
import type { Candidate } from '../../api/feed';
import { encodeFeedPage, ItemHeads, toFeedResponse, type FeedPage } from '../../api/feed-json';

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
