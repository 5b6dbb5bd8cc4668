// The retrain workflow end to end on a tiny world: real Temporal dev server, Redis, DuckDB.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RetrainResult } from '../../activities/types';
import { loadShippedRecommender } from '../../pipeline/scoring';
import { generateWorld } from '../../data/generator';
import type { Title } from '../../model/types';
import { openAnalytics } from '../../storage/analytics';
import { loadContentModel } from '../../storage/tf-models';
import { contentDir, embedTitle } from '../../storage/content-store';
import { decodeUserList, keys } from '../../storage/redis-keys';
import { runFiles } from '../../storage/run-data';
import { runDir } from '../../storage/artifacts';
import { rootMessage } from '../../storage/failure';
import { startPipeline, type TestPipeline } from '../helpers/pipeline';
import { tempDir } from '../helpers/paths';

let p: TestPipeline;
let worldDir: string;

async function retrain(input: Record<string, unknown>): Promise<RetrainResult> {
  return p.client.workflow.execute('retrain', { taskQueue: p.taskQueue, workflowId: `retrain-test-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`, args: [input] });
}

beforeAll(async () => {
  worldDir = join(tempDir('world'), 'tiny');
  await generateWorld({ preset: 'tiny', seed: 7, outDir: worldDir });
  // 100 of the 200 titles are ranking candidates (popularity draws need titles outside them), the
  // top 50 of them are published; the content model's audience is 10 % of the 300 users.
  p = await startPipeline('retrain', { RANK_CANDIDATES: '100', TOP_N: '50', CONTENT_AUDIENCE: '30', EVAL_TRADEOFFS: 'true' });
});
afterAll(async () => p?.close());

describe('the retrain workflow on a tiny world', () => {
  let first: RetrainResult;

  it('publishes an iALS version that beats popularity, with a list for every user with events', async () => {
    first = await retrain({ worldDir });
    expect(first.status).toBe('published');
    expect(first.gate.outcome).toBe('pass');
    expect(first.gate.release).toBe('publish');
    expect(first.params.model).toBe('ials');
    expect(first.gate.candidate).toBeGreaterThan(first.gate.popularity);
    expect(first.gate.reason).toMatch(/^pass: vs popularity: shipped 0\.\d+ vs popularity 0\.\d+ \(\+\d+\.\d%, 95% CI \[\+/);
    expect(first.ingest?.find((c) => c.kind === 'events')?.ingested).toBeGreaterThan(1000);

    const k = keys(p.cfg.REDIS_PREFIX);
    expect(await p.redis.get(k.live)).toBe(first.version);
    const users = runFiles.users(runDir(p.cfg, first.version));
    expect(users.length).toBe(first.users);
    const pipe = p.redis.pipeline();
    for (const u of users) pipe.getBuffer(k.userList(first.version, u));
    const lists = (await pipe.exec())!.map(([, v]) => v as Buffer | null);
    expect(lists.filter((b) => b === null)).toHaveLength(0);
    const one = decodeUserList(lists[0]!);
    // every title the user has not seen, up to TOP_N
    const seen = runFiles.csr(runDir(p.cfg, first.version), 'ship_seen');
    expect(one.itemIndex.length).toBe(Math.min(p.cfg.TOP_N, first.items - (seen.indptr[1] - seen.indptr[0])));
    expect(one.userVec.length).toBe(16);
    // best first
    for (let i = 1; i < one.score.length; i++) expect(one.score[i]).toBeLessThanOrEqual(one.score[i - 1]);
  });

  it("ships the ranker's order only when it beat the retrieval order, records every metric set, and the lists follow the recipe", async () => {
    expect(first.ranker.plan.enabled).toBe(true);
    expect(first.ranker.gate?.trained).toBe(true);
    const rankedCheck = first.gate.checks.find((c) => c.name === 'ranked_vs_retrieval')!;
    expect(rankedCheck.n).toBe(first.metrics.candidate.all.users);
    expect(first.gate.rankerReason).toMatch(/^ranker (on|off): ranked 0\.\d+ vs retrieval order 0\.\d+ \(.*95% CI.*n=\d+\)/);
    expect(first.gate.judged).toBe(rankedCheck.outcome === 'pass' ? 'ranked' : 'candidate');
    expect(first.ranker.ship?.trained ?? false).toBe(first.gate.judged === 'ranked');
    expect(first.gate.candidate).toBe(first.metrics.shipped.all.ndcg_10);
    for (const m of ['ndcg_10', 'recall_20']) {
      const s = first.metrics.shipped.all as unknown as Record<string, number>;
      expect(s[`${m}_lo`]).toBeLessThanOrEqual(s[m]);
      expect(s[`${m}_hi`]).toBeGreaterThanOrEqual(s[m]);
    }

    // Every metric set is in the analysts' eval_metrics, the examples in ranker_examples.
    const db = await openAnalytics(p.cfg.DATA_DIR);
    try {
      const { rows } = await db.query(`SELECT DISTINCT model FROM eval_metrics WHERE version = '${first.version}' ORDER BY model`);
      expect(rows.map((r) => r.model)).toEqual(expect.arrayContaining(['candidate', 'content', 'popularity', 'ranked', 'shipped', 'trending']));
      // The objective trade-offs for `recs report` (EVAL_TRADEOFFS): the re-rank grid and the completion-weight sweep.
      const t = await db.query(`SELECT count(DISTINCT model) AS n, count(*) FILTER (WHERE metric = 'ndcg_10') AS ndcg FROM eval_metrics WHERE version = '${first.version}' AND holdout = 'tradeoffs'`);
      expect(Number(t.rows[0].n)).toBeGreaterThan(1);
      expect(Number(t.rows[0].ndcg)).toBeGreaterThan(1);
      const ex = await db.query(`SELECT phase, count(*) AS n, sum(label) AS pos, count(*) FILTER (WHERE source = 'popularity') AS pop FROM ranker_examples WHERE version = '${first.version}' GROUP BY phase ORDER BY phase`);
      expect(ex.rows[0].phase).toBe('gate');
      for (const r of ex.rows) {
        expect(Number(r.pos)).toBeGreaterThan(0);
        expect(Number(r.pop)).toBeGreaterThan(0);
      }
    } finally {
      db.close();
    }

    // The published lists are the shipped system of the version's recipe (pipeline/scoring.ts).
    const dir = runDir(p.cfg, first.version);
    const recipe = JSON.parse((await p.redis.hget(keys(p.cfg.REDIS_PREFIX).versionMeta(first.version), 'recipe'))!);
    expect(recipe).toMatchObject({ rankedLists: first.gate.judged === 'ranked', lightStrategy: first.gate.lightStrategy, params: first.params });
    const rec = await loadShippedRecommender(dir, { rankedLists: recipe.rankedLists, candidates: first.ranker.plan.candidates, lightStrategy: recipe.lightStrategy }, 2);
    const users = runFiles.users(dir);
    const sample = Int32Array.from([0, 1, 2, 3, 4]);
    const expected = await rec.topN(sample, runFiles.csr(dir, 'ship_seen'), p.cfg.TOP_N);
    rec.dispose();
    const k = keys(p.cfg.REDIS_PREFIX);
    for (const u of sample) {
      const list = decodeUserList((await p.redis.getBuffer(k.userList(first.version, users[u])))!);
      const want = Array.from(expected.idx.subarray(u * p.cfg.TOP_N, (u + 1) * p.cfg.TOP_N)).filter((i) => i >= 0);
      expect(Array.from(list.itemIndex)).toEqual(want);
    }
  });

  it('the content model is stored with the version and gives a new title its vector from content alone', async () => {
    expect(first.content?.trained).toBe(true);
    expect(first.content?.lift).toBeGreaterThan(1);
    const dir = runDir(p.cfg, first.version);
    expect(existsSync(join(contentDir(dir), 'model.json'))).toBe(true);
    const title = (genres: string[]): Title => ({ movie_id: 'new-1', title: 'The Brand New Film', year: 2026, genres, tags: ['heist'], duration_seconds: 5400, added_at: new Date().toISOString() });
    const v = await embedTitle(dir, title(['Action', 'Thriller']));
    expect(v.length).toBe(16);
    expect(v.every(Number.isFinite)).toBe(true);
    // Exactly what the stored model computes, and it depends on the content.
    const stored = await loadContentModel(contentDir(dir));
    expect(Array.from(stored.embed([title(['Action', 'Thriller'])]))).toEqual(Array.from(v));
    stored.dispose();
    const other = await embedTitle(dir, title(['Romance', 'Comedy']));
    expect(Array.from(other)).not.toEqual(Array.from(v));
  });

  it('a user whose only events are early abandons or low ratings gets the popularity list, not catalog order', async () => {
    const dir = runDir(p.cfg, first.version);
    const full = runFiles.csr(dir, 'ship');
    const seen = runFiles.csr(dir, 'ship_seen');
    const users = runFiles.users(dir);
    const pop = runFiles.f32(dir, 'pop_ship');
    const empty = users.map((_, u) => u).filter((u) => full.indptr[u + 1] === full.indptr[u]);
    expect(empty.length).toBeGreaterThan(0); // the tiny world has some
    for (const u of empty.slice(0, 5)) {
      const buf = await p.redis.getBuffer(keys(p.cfg.REDIS_PREFIX).userList(first.version, users[u]));
      const list = decodeUserList(buf!);
      const seenSet = new Set(seen.indices.subarray(seen.indptr[u], seen.indptr[u + 1]));
      const expected = Array.from(pop.keys()).filter((i) => !seenSet.has(i)).sort((a, b) => pop[b] - pop[a] || a - b).slice(0, 10);
      expect(Array.from(list.itemIndex.subarray(0, 10))).toEqual(expected);
    }
  });

  it('a second retrain publishes a new version and the pointer moves', async () => {
    const second = await retrain({});
    expect(second.status).toBe('published');
    expect(second.version).not.toBe(first.version);
    expect(second.previousVersion).toBe(first.version);
    expect(await p.redis.get(keys(p.cfg.REDIS_PREFIX).live)).toBe(second.version);
  });

  it('a deliberately bad candidate (zero epochs) is rejected by the gate and the pointer stays', async () => {
    const live = await p.redis.get(keys(p.cfg.REDIS_PREFIX).live);
    const bad = await retrain({ params: { epochs: 0 } });
    expect(bad.status).toBe('not_published');
    expect(bad.published).toBe(false);
    expect(bad.gate.outcome).toBe('fail');
    expect(bad.reason).toMatch(/^kept live v\S+: fail: (retrieval vs popularity|vs popularity|vs live recipe): /);
    expect(await p.redis.get(keys(p.cfg.REDIS_PREFIX).live)).toBe(live);
  });

  it('bad params end the run with a non-retryable failure that names the field', async () => {
    const err = await retrain({ params: { factors: -3 } }).then(() => null, (e: unknown) => e);
    expect(err).not.toBeNull();
    expect(rootMessage(err)).toMatch(/params\.factors/);
  });
});
