// writeVersionData + scoreShard: put a version's catalog, item factors, baseline lists and recipe in
// Redis, then each shard's users' top-N lists from the shipped system (pipeline/scoring.ts: ranked
// lists only when the gate found them better, the light-user strategy, popularity for users without
// positives — the same rules evaluation applied). Shards are idempotent (same keys, same values),
// so a retried or duplicated shard is harmless.
import { existsSync } from 'node:fs';
import { factorFiles, type TrainedModelInfo } from '../pipeline/retrieval';
import { loadShippedRecommender, scoreBatches, shardRange } from '../pipeline/scoring';
import { RecommendationsSnapshotWriter } from '../storage/analytics';
import { readF32, readJson, runDir } from '../storage/artifacts';
import { runFiles } from '../storage/run-data';
import type { ActivityDeps } from './deps';
import { progress, withHeartbeat } from './heartbeat';
import type { MetricsRecord as Metrics, Recipe } from './types';

export { shardRange };

function topIndices(scores: Float32Array, n: number): number[] {
  return Array.from(scores.keys())
    .filter((i) => scores[i] > 0)
    .sort((a, b) => scores[b] - scores[a] || a - b)
    .slice(0, n);
}

export function createScoreActivities({ cfg, versions }: Pick<ActivityDeps, 'cfg' | 'versions'>) {
  return {
    async writeVersionData(input: { version: string; recipe: Recipe; metrics: Metrics; gate: { outcome: string; release: string; reason: string } }): Promise<void> {
      const params = input.recipe.params;
      const dir = runDir(cfg, input.version);
      const run = runFiles.manifest(dir);
      const items = runFiles.items(dir);
      const f = factorFiles(dir, 'ship');
      const info = readJson<TrainedModelInfo>(f.info);
      const itemFactors = info.k > 0 && existsSync(f.item) ? readF32(f.item) : new Float32Array(0);
      await versions.writeVersionData(
        input.version,
        {
          created_at: new Date().toISOString(),
          data_as_of: run.asOf,
          trained_at: new Date().toISOString(),
          model: info.model,
          k: info.k,
          n_items: run.nItems,
          n_users: run.nUsers,
          alpha0: params.alpha0,
          lambda: params.lambda,
          nu: params.nu,
          params,
          recipe: input.recipe,
          gate: input.gate,
          metrics: input.metrics,
        },
        items.map((t) => ({ movie_id: t.movie_id, title: t.title, genres: t.genres, year: t.year, added_at: t.added_at })),
        itemFactors,
        { popular: topIndices(runFiles.f32(dir, 'pop_ship'), 500), trending: topIndices(runFiles.f32(dir, 'trend_ship'), 500) },
      );
    },

    /**
     * Stream a shard: users in batches of SCORE_BATCH_USERS; each batch is scored (worker threads),
     * then written to Redis and appended to the analysts' snapshot while the next batch is already
     * being scored. At most two batches' lists are alive at once, whatever the shard's size.
     */
    async scoreShard(input: { version: string; shard: number; shards: number; recipe: Recipe }): Promise<number> {
      const dir = runDir(cfg, input.version);
      const users = runFiles.users(dir);
      const seen = runFiles.csr(dir, 'ship_seen');
      const { rankedLists, lightStrategy } = input.recipe;
      const candidates = input.recipe.ranker.candidates;
      const rec = await loadShippedRecommender(dir, { rankedLists, candidates, lightStrategy, completionWeight: input.recipe.ranker.completionWeight }, cfg.ALS_THREADS, cfg.TF_BACKEND);
      const ranked = rec.ranked;
      // Users are indexed in hash order (sql/int_run_index.sql): a shard is a contiguous range.
      const { start, end } = shardRange(users.length, input.shard, input.shards);
      const n = Math.min(cfg.TOP_N, runFiles.manifest(dir).nItems);
      const batch = cfg.SCORE_BATCH_USERS;
      let scored = 0;
      const details = () => ({ step: 'score', shard: input.shard, users: end - start, scored, ranked });
      progress(details());
      let snapshot: RecommendationsSnapshotWriter | null = null;
      async function* rows() {
        snapshot = await RecommendationsSnapshotWriter.open(cfg.DATA_DIR, input.version, input.shard, runFiles.items(dir).map((t) => t.movie_id));
        for await (const { users: us, top } of scoreBatches(rec, seen, start, end, batch, n)) {
          const out = Array.from(us, (u, j) => {
            const idx = top.idx.subarray(j * n, (j + 1) * n);
            let m = 0;
            while (m < n && idx[m] >= 0) m++;
            return { userId: users[u], userVec: rec.userVector(u), idx, score: top.score.subarray(j * n, (j + 1) * n), n: m };
          });
          await snapshot.append(out);
          yield* out;
          scored += us.length;
          progress(details());
        }
      }
      try {
        return await withHeartbeat(details, () => versions.writeUserLists(input.version, input.shard, rows()), 1000);
      } finally {
        (snapshot as RecommendationsSnapshotWriter | null)?.close();
        rec.dispose();
      }
    },
  };
}
