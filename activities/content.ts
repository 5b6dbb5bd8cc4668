// trainContent: the content → factor model of a version (model/content.ts), trained on the warm
// titles' factors of the shipped retrieval model, so a title added later gets a vector from its
// content alone (storage/content-store.ts embedTitle). Evaluated on warm titles held out from its
// training (seeded hash of movie_id): cosine of predicted to real factors, and the share of each
// title's watchers that land in the top-CONTENT_AUDIENCE users by predicted vector vs a random
// audience. Those watchers' interactions did train the user factors, so this measures how well
// content finds the title's place in the space; bench/quality.ts has the strictly cold version
// (titles hidden from the retrieval model too). Numbers go to eval_metrics (model 'content') through
// recordContentMetrics, a warehouse-role step: trainContent runs on the train role, without DuckDB.
import { join } from 'node:path';
import { evaluateContentModel, fnv1a32, trainContentModel } from '../model/content';
import { transposeCsr } from '../model/ials';
import { fmix32 } from '../model/ranker';
import { initTf } from '../model/tf-backend';
import type { Csr } from '../model/types';
import { analyticsPaths, copyToParquet } from '../storage/analytics';
import { readF32, readJson, runDir, writeJson } from '../storage/artifacts';
import { contentDir } from '../storage/content-store';
import { runFiles, type RunItem } from '../storage/run-data';
import { saveContentModel } from '../storage/tf-models';
import type { ActivityDeps } from './deps';
import { progress, withHeartbeat } from './heartbeat';
import { factorFiles, type TrainedModelInfo } from '../pipeline/retrieval';
import type { ContentInfo } from './types';

export interface ContentSettings {
  evalFraction: number;
  audienceSize: number;
  seed: number;
  /** Users the evaluation scores every held-out title against (a seeded sample beyond it; EVAL_MAX_USERS). */
  maxUsers: number;
}

const none = (reason: string, k = 0): ContentInfo => ({
  trained: false, reason, backend: '', k, trainTitles: 0, evalTitles: 0, epochs: 0, meanCosine: null, shuffledMeanCosine: null,
  audienceSize: 0, audienceHitRate: null, randomHitRate: null, lift: null, oracleLift: null, seconds: 0,
});
const fin = (x: number) => (Number.isFinite(x) ? x : null);

/** Rows `rows` of a k-wide row-major matrix. */
function gather(a: Float32Array, k: number, rows: number[]): Float32Array {
  const out = new Float32Array(rows.length * k);
  rows.forEach((r, j) => out.set(a.subarray(r * k, (r + 1) * k), j * k));
  return out;
}

function gatherCsrRows(m: Csr, rows: number[]): Pick<Csr, 'indptr' | 'indices'> {
  const indptr = new Int32Array(rows.length + 1);
  rows.forEach((r, j) => (indptr[j + 1] = indptr[j] + m.indptr[r + 1] - m.indptr[r]));
  const indices = new Int32Array(indptr[rows.length]);
  rows.forEach((r, j) => indices.set(m.indices.subarray(m.indptr[r], m.indptr[r + 1]), indptr[j]));
  return { indptr, indices };
}

/** Train, evaluate and save the content model of a run directory's 'ship' retrieval model. */
export async function fitContentModel(dir: string, s: ContentSettings, onStep: (d: Record<string, unknown>) => void = () => {}): Promise<ContentInfo> {
  const t0 = Date.now();
  const f = factorFiles(dir, 'ship');
  const info = readJson<TrainedModelInfo>(f.info);
  if (info.model !== 'ials' || info.k === 0) return none(`the shipped retrieval model has no factors (${info.model})`);
  const k = info.k;
  const itemFactors = readF32(f.item);
  const userFactors = readF32(f.user);
  const items: RunItem[] = runFiles.items(dir);
  const byItem = transposeCsr(runFiles.csr(dir, 'ship'));
  const salt = fmix32(s.seed ^ 0x3c6ef372);
  const train: number[] = [], held: number[] = [];
  for (let i = 0; i < items.length; i++) {
    if (byItem.indptr[i + 1] === byItem.indptr[i]) continue; // not warm: its factor says nothing
    const h = fmix32((fnv1a32(items[i].movie_id) ^ salt) >>> 0) / 4294967296;
    (h < s.evalFraction ? held : train).push(i);
  }
  if (train.length < 2) return none(`${train.length} warm titles to train on`, k);

  const { backend } = await initTf();
  onStep({ step: 'content training', backend, titles: train.length });
  const model = await trainContentModel(
    train.map((i) => items[i]),
    gather(itemFactors, k, train),
    k,
    { seed: s.seed },
    (e) => onStep({ step: 'content training', backend, epoch: e.epoch, valCosine: e.valCosine }),
  );
  try {
    let ev: ReturnType<typeof evaluateContentModel> | null = null;
    if (held.length > 0) {
      onStep({ step: 'content evaluation', titles: held.length });
      // titles × users × k multiply-adds on this thread: a seeded sample of users keeps it to seconds at any user count.
      const judged = sampleUsers(userFactors, k, gatherCsrRows(byItem, held), s.maxUsers, s.seed);
      ev = evaluateContentModel(model, held.map((i) => items[i]), gather(itemFactors, k, held), judged.userFactors, judged.watchers, { audienceSize: s.audienceSize });
    }
    await saveContentModel(model, contentDir(dir));
    const out: ContentInfo = {
      trained: true,
      backend: model.trainedOn,
      k,
      trainTitles: train.length,
      evalTitles: held.length,
      epochs: model.history.length,
      meanCosine: ev ? fin(ev.meanCosine) : null,
      shuffledMeanCosine: ev ? fin(ev.shuffledMeanCosine) : null,
      audienceSize: ev?.audienceSize ?? s.audienceSize,
      audienceHitRate: ev ? fin(ev.audienceHitRate) : null,
      randomHitRate: ev ? fin(ev.randomHitRate) : null,
      lift: ev ? fin(ev.lift) : null,
      oracleLift: ev ? fin(ev.oracleLift) : null,
      seconds: (Date.now() - t0) / 1000,
    };
    writeJson(join(contentDir(dir), 'info.json'), out);
    return out;
  } finally {
    model.dispose();
  }
}

/**
 * At most `max` users (a seeded hash sample, so the same run picks the same users): their factor
 * rows, and `watchers` (columns = user index) restricted to them and renumbered.
 */
export function sampleUsers(userFactors: Float32Array, k: number, watchers: Pick<Csr, 'indptr' | 'indices'>, max: number, seed: number): { userFactors: Float32Array; watchers: Pick<Csr, 'indptr' | 'indices'> } {
  const nUsers = userFactors.length / k;
  if (nUsers <= max) return { userFactors, watchers };
  const salt = fmix32(seed ^ 0x85ebca6b);
  const rate = max / nUsers;
  const slot = new Int32Array(nUsers).fill(-1);
  let n = 0;
  for (let u = 0; u < nUsers; u++) if (fmix32((u ^ salt) >>> 0) / 4294967296 < rate) slot[u] = n++;
  const sampled = new Float32Array(n * k);
  for (let u = 0; u < nUsers; u++) if (slot[u] >= 0) sampled.set(userFactors.subarray(u * k, (u + 1) * k), slot[u] * k);
  const rows = watchers.indptr.length - 1;
  const indptr = new Int32Array(rows + 1);
  const indices: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let p = watchers.indptr[r]; p < watchers.indptr[r + 1]; p++) if (slot[watchers.indices[p]] >= 0) indices.push(slot[watchers.indices[p]]);
    indptr[r + 1] = indices.length;
  }
  return { userFactors: sampled, watchers: { indptr, indices: Int32Array.from(indices) } };
}

export function createContentActivities({ cfg, wh }: Pick<ActivityDeps, 'cfg' | 'wh'>) {
  return {
    async trainContent(input: { version: string }): Promise<ContentInfo> {
      const dir = runDir(cfg, input.version);
      await initTf(cfg.TF_BACKEND);
      let details: Record<string, unknown> = { step: 'content' };
      const info = await withHeartbeat(
        () => details,
        () =>
          fitContentModel(dir, { evalFraction: cfg.CONTENT_EVAL_FRACTION, audienceSize: cfg.CONTENT_AUDIENCE, seed: cfg.RANKER_SEED, maxUsers: cfg.EVAL_MAX_USERS }, (d) => {
            details = d;
            progress(d);
          }),
      );
      progress({ step: 'content done', ...info });
      return info;
    },

    /** The content model's evaluation into the warehouse (a warehouse-role step: trainContent runs on the train role). */
    async recordContentMetrics(input: { version: string; info: ContentInfo }): Promise<void> {
      const info = input.info;
      if (!info.trained) return;
      const metrics: Record<string, number | null> = {
        titles: info.evalTitles,
        mean_cosine: info.meanCosine,
        shuffled_mean_cosine: info.shuffledMeanCosine,
        audience_size: info.audienceSize,
        audience_hit_rate: info.audienceHitRate,
        random_hit_rate: info.randomHitRate,
        lift: info.lift,
        oracle_lift: info.oracleLift,
      };
      await wh.exclusive(async () => {
        for (const [metric, value] of Object.entries(metrics)) await wh.exec('ins_eval_metric', { version: input.version, model: 'content', holdout: 'warm_titles', slice: 'all', metric, value });
        await copyToParquet(wh, 'exp_analytics_eval_metrics', { version: input.version }, analyticsPaths(cfg.DATA_DIR).run(input.version, 'eval_metrics'));
      });
    },
  };
}
