// Evaluation and batch scoring serve a user without training positives the same way: the
// popularity list at their clock, minus what the user saw — never catalog order from a zero factor.
// (Before, evaluation ranked such users by a zero vector while scoring gave them popularity, so the
// gate graded a different system from the one that shipped.)
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import { generateWorld } from '../../data/generator';
import { eventsFile } from '../../data/world-dir';
import { globalRecommender } from '../../model/recommend';
import type { RetrievalParams } from '../../model/types';
import { evaluationServing } from '../../pipeline/evaluate';
import { fitRetrieval, loadRecommender } from '../../pipeline/retrieval';
import { loadShippedRecommender } from '../../pipeline/scoring';
import { Warehouse } from '../../storage/duckdb';
import { ingestFile, initSchema } from '../../storage/ingest';
import { prepareRunData, runFiles } from '../../storage/run-data';
import { tempDir } from '../helpers/paths';

const PARAMS: RetrievalParams = { model: 'ials', factors: 8, epochs: 3, alpha0: 0.1, lambda: 0.02, nu: 1, cgSteps: 3, seed: 5 };
let dir: string;
const ABANDONER = 'u-only-abandons';

beforeAll(async () => {
  const base = tempDir('parity');
  const world = join(base, 'world');
  await generateWorld({ preset: 'tiny', seed: 17, outDir: world });
  const wh = await Warehouse.open(':memory:');
  try {
    await initSchema(wh);
    await ingestFile(wh, 'titles', join(world, 'movies.csv'));
    await ingestFile(wh, 'events', eventsFile(world));
    // A user whose every watch is an early abandon: events, but no positive in any period.
    const movies = (await wh.query<{ movie_id: string }>('SELECT movie_id FROM catalog ORDER BY movie_id LIMIT 5')).map((r) => r.movie_id);
    const [{ t }] = await wh.query<{ t: Date }>('SELECT min(ts) AS t FROM events');
    const rows = movies.map((m, i) => `ab-${i},${ABANDONER},${m},watch,${new Date(t.getTime() + (i + 1) * 3600_000).toISOString()},60,6000,,`);
    const file = join(base, 'abandons.csv');
    writeFileSync(file, 'event_id,user_id,movie_id,event_type,ts,watch_seconds,duration_seconds,rating,source\n' + rows.join('\n') + '\n');
    await ingestFile(wh, 'events', file);
    dir = join(base, 'run');
    await prepareRunData(wh, loadConfig({ DATA_DIR: base }), { version: 'parity', dir });
  } finally {
    wh.close();
  }
  await fitRetrieval(dir, 'gate', 'gate', PARAMS, 2);
  await fitRetrieval(dir, 'ship', 'ship', PARAMS, 2);
});

describe('a user with events but no positive', () => {
  it('gets the popularity list in evaluation and in scoring alike (each at its own clock)', async () => {
    const u = runFiles.users(dir).indexOf(ABANDONER);
    expect(u).toBeGreaterThanOrEqual(0);
    const users = Int32Array.of(u);
    for (const [name, positives] of [['gate', runFiles.csr(dir, 'gate')], ['ship', runFiles.csr(dir, 'ship')]] as const) {
      expect(positives.indptr[u + 1] - positives.indptr[u], `${name} positives`).toBe(0);
    }
    const n = 20;
    // Evaluation: the gate model served as evaluateRun serves it.
    const { serve } = evaluationServing(dir);
    const trainSeen = runFiles.csr(dir, 'gate_seen');
    const evaluated = await serve(loadRecommender(dir, 'gate', 'pop_gate', 2)).topN(users, trainSeen, n);
    const popAtCutoff = await globalRecommender('popularity', runFiles.f32(dir, 'pop_gate')).topN(users, trainSeen, n);
    expect(Array.from(evaluated.idx)).toEqual(Array.from(popAtCutoff.idx));
    // Scoring: the published system (pipeline/scoring.ts), retrieval order and ranked alike.
    const fullSeen = runFiles.csr(dir, 'ship_seen');
    const scored = await loadShippedRecommender(dir, { rankedLists: false, candidates: 50, lightStrategy: 'model' }, 2);
    const popAtAsOf = await globalRecommender('popularity', runFiles.f32(dir, 'pop_ship')).topN(users, fullSeen, n);
    expect(Array.from((await scored.topN(users, fullSeen, n)).idx)).toEqual(Array.from(popAtAsOf.idx));
    scored.dispose();
    // And not the zero-factor order the model alone would give (the test can fail).
    const raw = await loadRecommender(dir, 'gate', 'pop_gate', 2).topN(users, trainSeen, n);
    expect(Array.from(raw.idx)).not.toEqual(Array.from(popAtCutoff.idx));
  });
});
