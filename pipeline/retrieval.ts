// Retrieval models of a run: fit iALS (or the popularity baseline) on a period's positives and
// write the factors under the run directory; load a fitted model back as a Recommender. Shared by
// the activities (activities/train.ts, evaluate, score) and the benchmarks.
//
// Phases: pre (events before the pre clock: the gate ranker's candidates), gate (events before the
// cutoff: evaluated on the holdout), ship (every event up to as-of: what users get).
// iALS runs in worker threads, so a caller can keep heart-beating (onEpoch); each epoch is
// checkpointed, and a retried fit resumes from the last checkpoint instead of starting over.
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { trainIals, transposeCsr } from '../model/ials';
import { factorRecommender, globalRecommender, type Recommender } from '../model/recommend';
import type { RetrievalParams, RunPhase } from '../model/types';
import { readF32, readJson, writeF32, writeJson } from '../storage/artifacts';
import { runFiles, type RunCsrName } from '../storage/run-data';

/** A run's training periods (model/types.ts RunPhase). */
export type Phase = RunPhase;

/** The training data (positives CSR) of each phase. */
export const PHASE_DATA: Record<Phase, RunCsrName> = { pre: 'pre', gate: 'gate', ship: 'ship' };

export interface TrainedModelInfo {
  model: RetrievalParams['model'];
  phase: Phase;
  k: number;
  epochs: number;
  seconds: number;
  losses: number[];
  resumedFromEpoch: number;
}

/** The popularity signal of a period (storage/run-data.ts pop_<signals>). */
export type PopName = 'pop_pre' | 'pop_gate' | 'pop_ship';

export const factorFiles = (dir: string, phase: string) => ({
  user: join(dir, `${phase}.user.f32`),
  item: join(dir, `${phase}.item.f32`),
  info: join(dir, `${phase}.model.json`),
  checkpoint: join(dir, `${phase}.checkpoint.json`),
  ckptUser: join(dir, `${phase}.ckpt.user.f32`),
  ckptItem: join(dir, `${phase}.ckpt.item.f32`),
});

/** Train `params` on a prepared run's data; writes factor files under `dir` with the phase prefix. */
export async function fitRetrieval(dir: string, phase: string, dataName: RunCsrName, params: RetrievalParams, threads: number, progress: (details: Record<string, unknown>) => void = () => {}): Promise<TrainedModelInfo> {
  const f = factorFiles(dir, phase);
  const t0 = Date.now();
  if (params.model === 'popularity') {
    const info: TrainedModelInfo = { model: 'popularity', phase: phase as Phase, k: 0, epochs: 0, seconds: 0, losses: [], resumedFromEpoch: 0 };
    writeJson(f.info, info);
    return info;
  }
  const byUser = runFiles.csr(dir, dataName);
  const byItem = transposeCsr(byUser);
  let start: { userFactors: Float32Array; itemFactors: Float32Array; epoch: number } | undefined;
  if (existsSync(f.checkpoint)) {
    const c = readJson<{ epoch: number; params: RetrievalParams }>(f.checkpoint);
    if (JSON.stringify(c.params) === JSON.stringify(params)) start = { userFactors: readF32(f.ckptUser), itemFactors: readF32(f.ckptItem), epoch: c.epoch };
  }
  const losses: number[] = [];
  progress({ step: `train ${phase}`, epoch: start?.epoch ?? 0, of: params.epochs, resumed: !!start });
  const res = await trainIals(
    byUser,
    byItem,
    { factors: params.factors, epochs: params.epochs, alpha0: params.alpha0, lambda: params.lambda, nu: params.nu, cgSteps: params.cgSteps, seed: params.seed, threads },
    {
      start,
      computeLoss: true,
      onEpoch: (e) => {
        if (e.loss !== undefined) losses.push(e.loss);
        // Checkpoint: factors first, then the marker that names their epoch (a crash between the
        // two leaves the older marker, whose factors files are at least that far along).
        writeF32(f.ckptUser, e.factors.userFactors);
        writeF32(f.ckptItem, e.factors.itemFactors);
        writeJson(f.checkpoint, { epoch: e.epoch, params });
        progress({ step: `train ${phase}`, epoch: e.epoch, of: params.epochs, loss: e.loss, seconds: Number(e.seconds.toFixed(3)) });
      },
    },
  );
  writeF32(f.user, res.userFactors);
  writeF32(f.item, res.itemFactors);
  const info: TrainedModelInfo = { model: 'ials', phase: phase as Phase, k: res.k, epochs: res.epochs, seconds: (Date.now() - t0) / 1000, losses, resumedFromEpoch: start?.epoch ?? 0 };
  writeJson(f.info, info);
  return info;
}

/** The recommender a phase trained (popularity reads the phase's popularity signal). */
export function loadRecommender(dir: string, phase: string, popName: PopName, threads = 0): Recommender & { info: TrainedModelInfo } {
  const f = factorFiles(dir, phase);
  const info = readJson<TrainedModelInfo>(f.info);
  if (info.model === 'popularity') return Object.assign(globalRecommender('popularity', runFiles.f32(dir, popName)), { info });
  return Object.assign(factorRecommender(info.model, info.k, readF32(f.user), readF32(f.item), threads), { info });
}

