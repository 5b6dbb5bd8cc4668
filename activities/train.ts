// trainRetrieval: fit the retrieval model of a run, for the gate (events before the cutoff), for
// shipping (all events up to as-of), or for the pre period (events before cutoff − window: the
// candidates of the gate ranker's training examples, so its labels never reach its features). iALS runs in worker threads, so this activity keeps
// heart-beating (epoch, loss); each epoch is checkpointed, and a retried attempt resumes from
// the last checkpoint instead of starting over.
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { trainIals, transposeCsr } from '../model/ials';
import { runDir, readF32, readJson, writeF32, writeJson } from '../storage/artifacts';
import { runFiles, type RunCsrName } from '../storage/run-data';
import type { ActivityDeps } from './deps';
import { progress } from './heartbeat';
import type { RetrievalParams } from './types';

export type Phase = 'pre' | 'gate' | 'ship';

/** The training data (positives CSR) of each phase. */
export const PHASE_DATA: Record<Phase, RunCsrName> = { pre: 'pre', gate: 'train', ship: 'full' };

export interface TrainedModelInfo {
  model: RetrievalParams['model'];
  phase: Phase;
  k: number;
  epochs: number;
  seconds: number;
  losses: number[];
  resumedFromEpoch: number;
}

export const factorFiles = (dir: string, phase: string) => ({
  user: join(dir, `${phase}.user.f32`),
  item: join(dir, `${phase}.item.f32`),
  info: join(dir, `${phase}.model.json`),
  checkpoint: join(dir, `${phase}.checkpoint.json`),
  ckptUser: join(dir, `${phase}.ckpt.user.f32`),
  ckptItem: join(dir, `${phase}.ckpt.item.f32`),
});

/** Train `params` on a prepared run's data; writes factor files under `dir` with the phase prefix. */
export async function fitRetrieval(dir: string, phase: string, dataName: RunCsrName, params: RetrievalParams, threads: number): Promise<TrainedModelInfo> {
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

export function createTrainActivities({ cfg }: Pick<ActivityDeps, 'cfg'>) {
  return {
    async trainRetrieval(input: { version: string; phase: Phase; params: RetrievalParams }): Promise<TrainedModelInfo> {
      const dir = runDir(cfg.DATA_DIR, input.version);
      return fitRetrieval(dir, input.phase, PHASE_DATA[input.phase], input.params, cfg.ALS_THREADS);
    },
  };
}
