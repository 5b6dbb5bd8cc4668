// The run's time split on real DuckDB: a holdout sized for power, and nothing after the cutoff
// reaching what the gate models learn from.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../config';
import { generateWorld } from '../../data/generator';
import { eventsFile } from '../../data/world-dir';
import type { RetrievalParams } from '../../model/types';
import { fitRetrieval, factorFiles } from '../../pipeline/retrieval';
import { Warehouse } from '../../storage/duckdb';
import { ingestFile, initSchema } from '../../storage/ingest';
import { featureSnapshotPath } from '../../storage/ranker-data';
import { prepareRunData, runFiles } from '../../storage/run-data';
import { tempDir } from '../helpers/paths';

const PARAMS: RetrievalParams = { model: 'ials', factors: 8, epochs: 3, alpha0: 0.1, lambda: 0.02, nu: 1, cgSteps: 3, seed: 5 };

let base: string;
let world: string;
beforeAll(async () => {
  base = tempDir('holdout');
  world = join(base, 'world');
  await generateWorld({ preset: 'tiny', seed: 11, outDir: world });
});

async function warehouse(): Promise<Warehouse> {
  const wh = await Warehouse.open(':memory:');
  await initSchema(wh);
  await ingestFile(wh, 'titles', join(world, 'movies.csv'));
  await ingestFile(wh, 'events', eventsFile(world));
  return wh;
}

const bytes = (path: string) => readFileSync(path);

describe('the global time split', () => {
  it('never lets a signal planted after the cutoff reach a gate-period feature, popularity count or factor', async () => {
    // EVAL_MIN_USERS=1: the window stays EVAL_WINDOW_DAYS, so both runs share one cutoff.
    const cfg: Config = loadConfig({ DATA_DIR: base, EVAL_MIN_USERS: '1' });
    const wh = await warehouse();
    const clean = join(base, 'clean'), planted = join(base, 'planted');
    try {
      const m = await prepareRunData(wh, cfg, { version: 'clean', dir: clean });
      const users = runFiles.users(clean);
      const items = runFiles.items(clean);
      // The least popular title before the cutoff becomes, after it, everyone's favourite.
      const pop = runFiles.f32(clean, 'pop_gate');
      let x = 0;
      for (let i = 1; i < pop.length; i++) if (pop[i] < pop[x]) x = i;
      const t = (h: number) => new Date(Date.parse(m.cutoff) + h * 60_000).toISOString();
      const lines = users.flatMap((u, j) => [
        `leak-w-${j},${u},${items[x].movie_id},watch,${t(j % 50)},6000,6000,,`,
        `leak-s-${j},${u},${items[x].movie_id},search,${t(j % 50)},,,,`,
        `leak-r-${j},${u},${items[x].movie_id},rating,${t(j % 50)},,,5,`,
      ]);
      expect(Date.parse(t(60))).toBeLessThan(Date.parse(m.asOf));
      const file = join(base, 'planted.csv');
      writeFileSync(file, 'event_id,user_id,movie_id,event_type,ts,watch_seconds,duration_seconds,rating,source\n' + lines.join('\n') + '\n');
      await ingestFile(wh, 'events', file);
      const m2 = await prepareRunData(wh, cfg, { version: 'planted', dir: planted, asOf: m.asOf });
      expect(m2.cutoff).toBe(m.cutoff);
      expect(runFiles.users(planted)).toEqual(users);

      // Everything the gate and pre periods learn from is byte-identical …
      for (const f of ['pre.csr', 'pre_seen.csr', 'pre_labels.csr', 'gate.csr', 'gate_seen.csr', 'pop_pre.f32', 'trend_pre.f32', 'pop_gate.f32', 'trend_gate.f32']) {
        expect(bytes(join(planted, f)).equals(bytes(join(clean, f))), f).toBe(true);
      }
      for (const period of ['pre', 'gate'] as const) {
        const p = featureSnapshotPath(planted, period), c = featureSnapshotPath(clean, period);
        expect(bytes(`${p}.bin`).equals(bytes(`${c}.bin`)), `features as of ${period}`).toBe(true);
      }
      await fitRetrieval(clean, 'gate', 'gate', PARAMS, 2);
      await fitRetrieval(planted, 'gate', 'gate', PARAMS, 2);
      expect(bytes(factorFiles(planted, 'gate').item).equals(bytes(factorFiles(clean, 'gate').item)), 'gate item factors').toBe(true);

      // … while the holdout and the shipped period do see the planted signal (the test can fail).
      expect(runFiles.f32(planted, 'pop_ship')[x]).toBeGreaterThan(runFiles.f32(clean, 'pop_ship')[x] + users.length / 2);
      const h = runFiles.csr(planted, 'holdout');
      let rows = 0;
      for (let u = 0; u < h.nRows; u++) for (let q = h.indptr[u]; q < h.indptr[u + 1]; q++) if (h.indices[q] === x) rows++;
      expect(rows).toBeGreaterThan(users.length / 2);
    } finally {
      wh.close();
    }
  });

  it('grows the holdout backwards until enough users can be judged, and says why', async () => {
    const wh = await warehouse();
    try {
      const small = await prepareRunData(wh, loadConfig({ DATA_DIR: base, EVAL_MIN_USERS: '1' }), { version: 'w1', dir: join(base, 'w1') });
      expect(small.window.days).toBeCloseTo(small.window.defaultDays, 6);
      expect(small.window.reason).toMatch(/EVAL_WINDOW_DAYS/);
      const want = small.window.usersInDefault + 3;
      const grown = await prepareRunData(wh, loadConfig({ DATA_DIR: base, EVAL_MIN_USERS: String(want) }), { version: 'w2', dir: join(base, 'w2') });
      expect(grown.window.days).toBeGreaterThan(small.window.days);
      expect(grown.window.usersInWindow).toBeGreaterThanOrEqual(Math.min(want, grown.window.eligibleUsers));
      expect(grown.window.reason).toMatch(/^grown from 7 to \d/);
      expect(grown.holdoutUsers).toBeGreaterThan(small.holdoutUsers);
      // Asking for more users than exist stops at the cap: at most EVAL_MAX_HOLDOUT_FRACTION of the history.
      const capped = await prepareRunData(wh, loadConfig({ DATA_DIR: base, EVAL_MIN_USERS: '1000000', EVAL_MAX_HOLDOUT_FRACTION: '0.3' }), { version: 'w3', dir: join(base, 'w3') });
      expect(capped.window.reason).toMatch(/within the cap of 30%/);
      expect(capped.trainInteractions).toBeGreaterThan(capped.fullInteractions * 0.55);
    } finally {
      wh.close();
    }
  });
});
