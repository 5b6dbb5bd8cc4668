// writeVersionData + scoreShard: put a version's catalog, item factors and baseline lists in
// Redis, then each shard's users' top-N lists. With the ranker on, a user's list is the shipped
// retrieval model's top RANK_CANDIDATES ordered by the shipped ranker's p(watch) (features as of
// as-of), cut to TOP_N; the scores are those probabilities. Shards are idempotent (same keys,
// same values), so a retried or duplicated shard is harmless.
import { existsSync } from 'node:fs';
import { globalRecommender, factorRecommender, type Recommender } from '../model/recommend';
import { initTf } from '../model/tf-backend';
import { analyticsPaths, writeRecommendationsSnapshot } from '../storage/analytics';
import { readF32, readJson, runDir } from '../storage/artifacts';
import { runFiles } from '../storage/run-data';
import type { ActivityDeps } from './deps';
import { progress, withHeartbeat } from './heartbeat';
import { loadRankedRecommender, rankerTrained } from './rank';
import { factorFiles, type TrainedModelInfo } from './train';
import type { EvaluateOut, GateOut, RankerPlan, RetrievalParams } from './types';

/** Users [start, end) of shard `shard` of `shards` over n users. */
export function shardRange(n: number, shard: number, shards: number): { start: number; end: number } {
  return { start: Math.floor((shard * n) / shards), end: Math.floor(((shard + 1) * n) / shards) };
}

/** The recommender a phase trained (popularity reads the phase's popularity signal). */
export function loadRecommender(dir: string, phase: string, popName: 'pop_pre' | 'pop_train' | 'pop_full', threads = 0): Recommender & { info: TrainedModelInfo } {
  const f = factorFiles(dir, phase);
  const info = readJson<TrainedModelInfo>(f.info);
  if (info.model === 'popularity') return Object.assign(globalRecommender('popularity', runFiles.f32(dir, popName)), { info });
  return Object.assign(factorRecommender(info.model, info.k, readF32(f.user), readF32(f.item), threads), { info });
}

function topIndices(scores: Float32Array, n: number): number[] {
  return Array.from(scores.keys())
    .filter((i) => scores[i] > 0)
    .sort((a, b) => scores[b] - scores[a] || a - b)
    .slice(0, n);
}

export function createScoreActivities({ cfg, versions }: Pick<ActivityDeps, 'cfg' | 'versions'>) {
  return {
    async writeVersionData(input: { version: string; params: RetrievalParams; metrics: EvaluateOut['metrics']; judged?: GateOut['judged'] }): Promise<void> {
      const dir = runDir(cfg.DATA_DIR, input.version);
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
          alpha0: input.params.alpha0,
          lambda: input.params.lambda,
          nu: input.params.nu,
          params: input.params,
          metrics: input.metrics[input.judged ?? 'candidate']?.all ?? input.metrics.candidate?.all ?? {},
        },
        items.map((t) => ({ movie_id: t.movie_id, title: t.title, genres: t.genres, year: t.year, added_at: t.added_at })),
        itemFactors,
        { popular: topIndices(runFiles.f32(dir, 'pop_full'), 500), trending: topIndices(runFiles.f32(dir, 'trend_full'), 500) },
      );
    },

    async scoreShard(input: { version: string; shard: number; shards: number; ranker?: RankerPlan }): Promise<number> {
      const dir = runDir(cfg.DATA_DIR, input.version);
      const users = runFiles.users(dir);
      const seen = runFiles.csr(dir, 'full_seen');
      const positives = runFiles.csr(dir, 'full');
      const popular = globalRecommender('popularity', runFiles.f32(dir, 'pop_full'));
      const ranked = !!input.ranker?.enabled && rankerTrained(dir, 'ship');
      if (ranked) await initTf(cfg.TF_BACKEND);
      const rec: Recommender & { dispose?: () => void } = ranked
        ? await loadRankedRecommender(dir, { rankerPhase: 'ship', retrievalPhase: 'ship', period: 'ship', popName: 'pop_full', candidates: input.ranker!.candidates, threads: cfg.ALS_THREADS })
        : loadRecommender(dir, 'ship', 'pop_full', cfg.ALS_THREADS);
      // Users are indexed in hash order (sql/int_run_index.sql): a shard is a contiguous range.
      const { start, end } = shardRange(users.length, input.shard, input.shards);
      const n = Math.min(cfg.TOP_N, runFiles.manifest(dir).nItems);
      // Users per scoring call (one thread pool each): ≈ 200 MB of lists at N=500; ranking holds
      // every user's RANK_CANDIDATES candidates of a call as well.
      const batch = ranked ? Math.max(256, Math.floor(10_000_000 / input.ranker!.candidates)) : 50_000;
      let scored = 0;
      progress({ step: 'score', shard: input.shard, users: end - start, scored });
      const rows: { userId: string; userVec: Float32Array; idx: Int32Array; score: Float32Array; n: number }[] = [];
      try {
        for (let b = start; b < end; b += batch) {
          const us = Int32Array.from({ length: Math.min(batch, end - b) }, (_, j) => b + j);
          const top = await withHeartbeat(() => ({ step: 'score', shard: input.shard, users: end - start, scored, ranked }), () => rec.topN(us, seen, n), 1000);
          // Users with events but no positive (only early abandons, low ratings): their factor is
          // ~0 and every score ties, so they get the popularity list instead of catalog order.
          const empty = us.filter((u) => positives.indptr[u + 1] === positives.indptr[u]);
          if (empty.length) {
            const pop = await popular.topN(empty, seen, n);
            for (let e = 0; e < empty.length; e++) {
              const j = empty[e] - b;
              top.idx.set(pop.idx.subarray(e * n, (e + 1) * n), j * n);
              top.score.set(pop.score.subarray(e * n, (e + 1) * n), j * n);
            }
          }
          for (let j = 0; j < us.length; j++) {
            const idx = top.idx.subarray(j * n, (j + 1) * n);
            let m = 0;
            while (m < n && idx[m] >= 0) m++;
            rows.push({ userId: users[us[j]], userVec: rec.userVector(us[j]), idx, score: top.score.subarray(j * n, (j + 1) * n), n: m });
          }
          scored += us.length;
          progress({ step: 'score', shard: input.shard, users: end - start, scored, ranked });
        }
      } finally {
        rec.dispose?.();
      }
      const movieIds = runFiles.items(dir).map((t) => t.movie_id);
      await writeRecommendationsSnapshot(analyticsPaths(cfg.DATA_DIR).recommendations(input.version, input.shard), input.version, rows, movieIds);
      return versions.writeUserLists(input.version, input.shard, rows);
    },
  };
}
