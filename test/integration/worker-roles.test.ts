// Workers by role: a warehouse worker (workflows, ingest, SQL, evaluation, publish), a train worker
// and two score workers, each its own OS process except the warehouse, run one retrain; the
// Temporal history shows which worker ran each step.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RetrainResult } from '../../activities/types';
import { generateWorld } from '../../data/generator';
import { keys } from '../../storage/redis-keys';
import { roleQueue } from '../../workflows/task-queues';
import { tempDir } from '../helpers/paths';
import { startPipeline, type TestPipeline } from '../helpers/pipeline';
import { configEnv, spawnWorker, type WorkerProcess } from '../helpers/worker-process';

let p: TestPipeline;
let worldDir: string;
const procs: WorkerProcess[] = [];

beforeAll(async () => {
  worldDir = join(tempDir('world'), 'tiny');
  await generateWorld({ preset: 'tiny', seed: 11, outDir: worldDir });
  p = await startPipeline('roles', { WORKER_ROLES: 'warehouse', RANKER_ENABLED: 'false', SCORE_SHARDS: '4', SCORE_CONCURRENCY: '2', TOP_N: '50' });
  // One shard at a time per score worker, so two shards scheduled together land on both.
  const [train, scoreA, scoreB] = await Promise.all([
    spawnWorker(configEnv(p.cfg, { WORKER_ROLES: 'train' })),
    spawnWorker(configEnv(p.cfg, { WORKER_ROLES: 'score', WORKER_MAX_ACTIVITIES: '1' })),
    spawnWorker(configEnv(p.cfg, { WORKER_ROLES: 'score', WORKER_MAX_ACTIVITIES: '1' })),
  ]);
  procs.push(train, scoreA, scoreB);
}, 180_000);
afterAll(async () => {
  for (const w of procs) await w.kill('SIGTERM');
  await p?.close();
});

describe('workers by role', () => {
  it('a retrain routes training to the train worker and spreads the shards over both score workers', async () => {
    const [train, scoreA, scoreB] = procs;
    expect(train.output()).toMatch(new RegExp(`task queue ${roleQueue(p.taskQueue, 'train')} \\(roles train\\)`));
    const h = await p.client.workflow.start('retrain', { taskQueue: p.taskQueue, workflowId: `roles-${Date.now()}`, args: [{ worldDir }] });
    const r = (await h.result()) as RetrainResult;
    expect(r.published).toBe(true);
    expect(await p.redis.get(keys(p.cfg.REDIS_PREFIX).live)).toBe(r.version);

    // Which worker (identity `<pid>@<host>/<role>`) started each activity, from the history.
    const events = (await h.fetchHistory()).events ?? [];
    const scheduled = new Map<string, { type: string; queue: string }>();
    const ran: { type: string; queue: string; identity: string }[] = [];
    for (const e of events) {
      const s = e.activityTaskScheduledEventAttributes;
      if (s) scheduled.set(String(e.eventId), { type: s.activityType?.name ?? '', queue: s.taskQueue?.name ?? '' });
      const st = e.activityTaskStartedEventAttributes;
      if (st) ran.push({ ...scheduled.get(String(st.scheduledEventId))!, identity: st.identity ?? '' });
    }
    const by = (type: string) => ran.filter((x) => x.type === type);
    const pidOf = (identity: string) => Number(identity.split('@')[0]);

    expect(by('trainRetrieval').length).toBeGreaterThan(0);
    for (const x of [...by('trainRetrieval'), ...by('trainContent')]) {
      expect(x.queue).toBe(roleQueue(p.taskQueue, 'train'));
      expect(pidOf(x.identity)).toBe(train.proc.pid);
    }
    for (const x of [...by('ingestWorld'), ...by('prepareRun'), ...by('evaluateCandidate'), ...by('recordContentMetrics'), ...by('publishVersion')]) {
      expect(x.queue).toBe(p.taskQueue);
      expect(pidOf(x.identity)).toBe(process.pid);
    }
    const shards = by('scoreShard');
    expect(shards.length).toBe(4);
    for (const x of shards) expect(x.queue).toBe(roleQueue(p.taskQueue, 'score'));
    expect(new Set(shards.map((x) => pidOf(x.identity)))).toEqual(new Set([scoreA.proc.pid, scoreB.proc.pid]));
  });
});
