// addTitle steps: validate a new title, add it to the warehouse catalog, give it a vector in the
// live model's factor space from its content alone, and put it in the serving fresh pool (Redis
// hash + notify), so it can reach matching users' feeds within seconds, before any retrain.
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import type { Title } from '../model/types';
import { runDir } from '../storage/artifacts';
import { contentDir, embedTitle as embedWithContentModel } from '../storage/content-store';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { assertId, decodeF32 } from '../storage/redis-keys';
import type { ActivityDeps } from './deps';

export const titleSchema = z
  .object({
    movie_id: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'letters, digits and _.:- (1–64)'),
    title: z.string().trim().min(1).max(500),
    year: z.number().int().min(1870).max(2100).nullable().default(null),
    genres: z.array(z.string().trim().min(1).max(64)).max(20).default([]),
    tags: z.array(z.string().trim().min(1).max(64)).max(100).default([]),
    duration_seconds: z.number().positive().max(86400).nullable().default(null),
    added_at: z.string().datetime({ offset: true }).optional(),
  })
  .strict();

export interface EmbeddedTitle {
  version: string | null;
  vector: number[] | null; // k floats in the live version's factor space, null when nothing is live
  method: 'content_model' | 'genre_centroid' | 'none';
}

/**
 * Genre centroid: the mean factor of the live version's titles that share a genre with the new
 * title (all titles when it has none) — the fallback when a version carries no content model.
 */
export function genreCentroid(items: { genres: string[] }[], itemFactors: Float32Array, k: number, genres: string[]): Float32Array {
  const want = new Set(genres);
  const out = new Float32Array(k);
  let n = 0;
  for (let i = 0; i < items.length; i++) {
    if (want.size > 0 && !items[i].genres.some((g) => want.has(g))) continue;
    for (let f = 0; f < k; f++) out[f] += itemFactors[i * k + f];
    n++;
  }
  if (n > 0) for (let f = 0; f < k; f++) out[f] /= n;
  return out;
}

export function createAddTitleActivities({ cfg, wh, redis, versions }: Pick<ActivityDeps, 'cfg' | 'wh' | 'redis' | 'versions'>) {
  return {
    async validateTitle(input: unknown): Promise<Title> {
      const r = titleSchema.safeParse(input);
      if (!r.success) {
        throw ApplicationFailure.nonRetryable(`bad title: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`, 'BadInput');
      }
      return { ...r.data, added_at: r.data.added_at ? new Date(r.data.added_at).toISOString() : new Date().toISOString() };
    },

    async insertCatalogTitle(t: Title): Promise<void> {
      await wh.exclusive(() =>
        wh.exec('ins_catalog_title', {
          movie_id: t.movie_id,
          title: t.title,
          year: t.year,
          genres: t.genres.join('|'),
          tags: t.tags.join('|'),
          duration_seconds: t.duration_seconds,
          added_at: t.added_at,
          now: new Date().toISOString(),
        }),
      );
    },

    async embedTitle(t: Title): Promise<EmbeddedTitle> {
      const version = await versions.live();
      if (!version) return { version: null, vector: null, method: 'none' };
      const meta = await versions.meta(version);
      const k = Number(meta.k);
      if (!(k > 0)) return { version, vector: null, method: 'none' };
      // The version's content model (trained on its warm titles' factors) when it has one …
      const dir = runDir(cfg, version);
      if (existsSync(join(contentDir(dir), 'model.json'))) {
        const v = await embedWithContentModel(dir, t);
        if (v.length === k) return { version, vector: Array.from(v), method: 'content_model' };
      }
      // … else the mean factor of the titles that share its genres.
      const [itemsJson, factorsBuf] = await Promise.all([redis.get(versions.k.items(version)), redis.getBuffer(versions.k.itemFactors(version))]);
      if (!itemsJson || !factorsBuf) throw new Error(`version ${version} has no catalog or factors in Redis`);
      const items = JSON.parse(itemsJson) as { genres: string[] }[];
      const vec = genreCentroid(items, decodeF32(factorsBuf), k, t.genres);
      return { version, vector: Array.from(vec), method: 'genre_centroid' };
    },

    async publishFreshTitle(input: { title: Title; embedded: EmbeddedTitle }): Promise<void> {
      const t = input.title;
      assertId('movie_id', t.movie_id);
      const entry = { movie_id: t.movie_id, title: t.title, genres: t.genres, year: t.year, added_at: t.added_at, vector: input.embedded.vector, version: input.embedded.version ?? undefined, method: input.embedded.method };
      await redis
        .multi()
        .hset(versions.k.fresh, t.movie_id, JSON.stringify(entry))
        .publish(versions.k.channel, JSON.stringify({ type: 'title_added', movie_id: t.movie_id }))
        .exec();
    },
  };
}
