// A rehearsal of the full retrain at the target scale, on workers by role, as separate processes:
//   1. the world: `recs generate --preset large` (10^6 users, 10^5 titles), or one made before;
//   2. a redis-server of its own on a free port (so its memory is the rehearsal's alone) and the
//      shared Temporal (TEMPORAL_ADDRESS) with a task queue and DATA_DIR of its own;
//   3. a warehouse+train worker and two score workers (`worker.ts --roles …`);
//   4. the retrain through Temporal (ingest of the world included); one score worker is SIGKILLed
//      once its first shard's heartbeat shows progress, then restarted;
//   5. the report: per-step wall and CPU-seconds (Temporal history × /proc samples), peak RSS per
//      process, Redis used_memory for the live version, users/s of scoring, the version's list
//      count against the user count, and whether every user has a list.
// Run: npm run rehearsal -- [--preset large] [--seed 42] [--users N] [--titles N] [--world DIR]
//        [--shards N] [--ranker true|false] [--keep] [--out FILE] [--world-only (generate and time the world, no retrain)]
// Writes bench/results/rehearsal.json or FILE (rewritten with progress lines while it runs). SIGINT
// or SIGTERM stops it: the workflow is terminated and the file says what the run reached.
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import type { RetrainResult } from '../activities/types';
import { loadConfig } from '../config';
import { PRESETS, type PresetName } from '../data/generator';
import { MANIFEST_FILE, type Manifest } from '../data/world-dir';
import { freePort, startRedisServer } from '../scripts/redis-server';
import { runDir } from '../storage/artifacts';
import { keys } from '../storage/redis-keys';
import { runFiles } from '../storage/run-data';
import { byActivity, stepsOf } from './rehearsal-history';
import { ProcSampler, round1, spawnLogged, type Proc } from './rehearsal-procs';
import { extrapolate } from './rehearsal-report';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const { values: a } = parseArgs({
  options: {
    preset: { type: 'string', default: 'large' }, seed: { type: 'string', default: '42' }, users: { type: 'string' }, titles: { type: 'string' },
    world: { type: 'string' }, out: { type: 'string', default: join(ROOT, 'bench', 'results', 'rehearsal.json') }, shards: { type: 'string' }, ranker: { type: 'string' }, keep: { type: 'boolean', default: false },
    'world-only': { type: 'boolean', default: false },
  },
  allowPositionals: false,
});
if (!Object.hasOwn(PRESETS, a.preset!)) throw new RangeError(`unknown preset ${a.preset}`);
const preset = a.preset as PresetName;
const OUT = resolve(a.out!);
const cfg = loadConfig();
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const size = a.users || a.titles ? `-${a.users ?? PRESETS[preset].users}x${a.titles ?? PRESETS[preset].titles}` : '';
const worldDir = resolve(a.world ?? join(cfg.DATA_DIR, 'worlds', `${preset}-${a.seed}${size}`));
const base = resolve(cfg.DATA_DIR, 'rehearsal');
const dataDir = join(base, `run-${stamp}`);
const logDir = join(base, `logs-${stamp}`);
mkdirSync(dataDir, { recursive: true });
mkdirSync(logDir, { recursive: true });

/** A path as the report shows it: relative to the checkout. */
function shown(p: string): string {
  return relative(ROOT, p) || '.';
}

const t0 = Date.now();
const report: Record<string, unknown> & { progress: unknown[] } = {
  date: new Date().toISOString(), status: 'running', machine: { cores: availableParallelism(), memoryGB: round1(totalmem() / 2 ** 30), loadAverageAtStart: loadavg() },
  // Paths relative to the checkout: the report is committed, the machine's layout is not its business.
  args: { ...a, out: shown(OUT), ...(a.world ? { world: shown(resolve(a.world)) } : {}) }, worldDir: shown(worldDir), logDir: shown(logDir), progress: [],
};
const flush = () => {
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, JSON.stringify(report, null, 2) + '\n');
};
const note = (msg: string, extra: Record<string, unknown> = {}) => {
  const line = { at: new Date().toISOString(), elapsedSeconds: round1((Date.now() - t0) / 1000), loadAverage: loadavg().map(round1), msg, ...extra };
  report.progress.push(line);
  console.log(`[${line.elapsedSeconds}s load ${line.loadAverage[0]}] ${msg}`);
  flush();
};

const sampler = new ProcSampler();
let stopping = false;
const procs: Proc[] = [];
let redisProc: ReturnType<typeof spawnLogged>['proc'] | null = null;
let workflow: { terminate(reason?: string): Promise<unknown> } | null = null;

async function ensureWorld(): Promise<Manifest> {
  const mf = join(worldDir, MANIFEST_FILE);
  if (existsSync(mf)) {
    note(`reusing the world in ${shown(worldDir)}`);
    return JSON.parse(readFileSync(mf, 'utf8')) as Manifest;
  }
  note(`generating the world (${preset}, seed ${a.seed}${size}) into ${shown(worldDir)}`);
  const args = ['--import', 'tsx', 'cli/index.ts', 'generate', '--preset', preset, '--seed', a.seed!, '--out', worldDir];
  if (a.users) args.push('--users', a.users);
  if (a.titles) args.push('--titles', a.titles);
  const started = Date.now();
  const g = spawnLogged('generate', process.execPath, args, process.env, join(logDir, 'generate.log'), ROOT);
  sampler.watch('generate', g.pid);
  const code = await g.exited;
  sampler.sampleAll();
  if (code !== 0) throw new Error(`recs generate exited ${code} (see ${logDir}/generate.log)`);
  const s = sampler.stats().find((x) => x.pid === g.pid)!;
  report.generation = { wallSeconds: round1((Date.now() - started) / 1000), cpuSeconds: s.cpuSeconds, peakRssMB: s.peakRssMB };
  return JSON.parse(readFileSync(mf, 'utf8')) as Manifest;
}

async function main() {
  const world = await ensureWorld();
  report.world = world;
  if (a['world-only']) {
    // Only the world's generation, timed (the retrain can then reuse it with --world).
    report.status = report.generation ? 'world generated' : 'world already there (nothing timed)';
    note(`${report.status}: ${world.events} events`);
    return;
  }
  const shards = Number(a.shards ?? Math.max(4, Math.ceil(world.users / 125_000)));
  // Batches of at most 5 000 users, and at least five per shard, so the kill lands mid-shard.
  const batchUsers = Math.max(100, Math.min(5000, Math.floor(world.users / shards / 5)));
  const port = await freePort();
  mkdirSync(join(dataDir, 'redis'), { recursive: true });
  redisProc = await startRedisServer(port, join(dataDir, 'redis'));
  sampler.watch('redis-server', redisProc.pid!);
  const redis = new Redis(port, '127.0.0.1');
  const memory = async () => Object.fromEntries((await redis.info('memory')).split('\r\n').filter((l) => l.includes(':')).map((l) => l.split(':') as [string, string]));
  const redisBaseline = Number((await memory()).used_memory);

  const queue = `rehearsal-${stamp}`.slice(0, 60);
  const env: NodeJS.ProcessEnv = {
    ...process.env, DATA_DIR: dataDir, REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_PREFIX: 'reh', TEMPORAL_TASK_QUEUE: queue,
    WORKER_METRICS_PORT: '0', SCORE_SHARDS: String(shards), SCORE_CONCURRENCY: '2',
    SCORE_BATCH_USERS: String(batchUsers), DUCKDB_MEMORY_LIMIT: '4GB', LOG_LEVEL: 'info', ...(a.ranker ? { RANKER_ENABLED: a.ranker } : {}),
  };
  delete env.ARTIFACT_DIR; // artifacts under this run's DATA_DIR
  report.config = Object.fromEntries(['REDIS_URL', 'TEMPORAL_TASK_QUEUE', 'ACTIVITY_HEARTBEAT_TIMEOUT_SECONDS', 'SCORE_SHARDS', 'SCORE_CONCURRENCY', 'SCORE_BATCH_USERS', 'DUCKDB_MEMORY_LIMIT', 'RANKER_ENABLED', 'GATE_MIN_LIFT_OVER_POPULARITY', 'CONTENT_EVAL_FRACTION', 'ALS_FACTORS', 'ALS_EPOCHS', 'TOP_N'].map((k) => [k, env[k] ?? `default (${String(cfg[k as keyof typeof cfg] ?? '')})`]));
  const worker = (name: string, roles: string, extra: NodeJS.ProcessEnv = {}) => {
    const p = spawnLogged(name, process.execPath, ['--import', 'tsx', 'worker.ts', '--roles', roles], { ...env, ...extra }, join(logDir, `${name}.log`), ROOT);
    sampler.watch(name, p.pid);
    procs.push(p);
    return p;
  };
  const wt = worker('warehouse+train', 'warehouse,train');
  let scoreA = worker('score-a', 'score', { WORKER_MAX_ACTIVITIES: '1' });
  const scoreB = worker('score-b', 'score', { WORKER_MAX_ACTIVITIES: '1' });
  await Promise.all([wt, scoreA, scoreB].map((p) => p.waitFor(/worker: task queue/, 600_000))); // bundling the workflows takes minutes on a loaded machine
  note(`redis-server on port ${port}; workers up: ${procs.map((p) => `${p.name} pid ${p.pid}`).join(', ')}; ${shards} shards`);

  const connection = await Connection.connect({ address: cfg.TEMPORAL_ADDRESS });
  const client = new Client({ connection, namespace: cfg.TEMPORAL_NAMESPACE });
  const handle = await client.workflow.start('retrain', { taskQueue: queue, workflowId: `rehearsal-${stamp}`, args: [{ worldDir, shards }] });
  workflow = handle;
  const wfStart = Date.now();
  note(`retrain started: workflow ${handle.workflowId} on task queue ${queue}`);
  let result: RetrainResult | null = null;
  let failure: Error | null = null;
  void handle.result().then((r) => (result = r as RetrainResult), (e: Error) => (failure = e));

  let kill: Record<string, unknown> | null = null;
  let lastPending = '';
  let lastNote = 0;
  while (!result && !failure && !stopping) {
    await new Promise((r) => setTimeout(r, 2000));
    const d = await handle.describe().catch(() => null);
    const pending = (d?.raw.pendingActivities ?? []).map((p) => {
      const payload = p.heartbeatDetails?.payloads?.[0];
      const details = payload ? (defaultPayloadConverter.fromPayload(payload) as Record<string, unknown>) : undefined;
      return { activity: p.activityType?.name ?? '', attempt: p.attempt ?? 1, worker: p.lastWorkerIdentity ?? '', details };
    });
    const summary = pending.map((p) => `${p.activity}${p.details?.shard !== undefined ? `#${String(p.details.shard)}` : ''}${p.attempt > 1 ? ` (attempt ${p.attempt})` : ''}`).sort().join(', ');
    if (summary !== lastPending || Date.now() - lastNote > 60_000) {
      lastPending = summary;
      lastNote = Date.now();
      note(`running: ${summary || '(workflow task)'}`, { pending, rssMB: sampler.stats().map((s) => [s.name, s.peakRssMB]) });
    }
    if (!kill) {
      const victim = pending.find((p) => p.activity === 'scoreShard' && Number(p.worker.split('@')[0]) === scoreA.pid && Number(p.details?.scored ?? 0) > 0 && Number(p.details?.scored) < Number(p.details?.users));
      if (victim) {
        await scoreA.kill('SIGKILL');
        kill = { at: new Date().toISOString(), pid: scoreA.pid, shard: victim.details?.shard, scoredAtKill: victim.details?.scored, shardUsers: victim.details?.users };
        note(`SIGKILLed score-a (pid ${scoreA.pid}) mid-shard ${String(victim.details?.shard)} at ${String(victim.details?.scored)}/${String(victim.details?.users)} users; restarting it`, { kill });
        scoreA = worker('score-a2', 'score', { WORKER_MAX_ACTIVITIES: '1' });
        await scoreA.waitFor(/worker: task queue/, 600_000);
        note(`score-a2 up (pid ${scoreA.pid})`);
      }
    }
  }
  if (stopping) return;
  const wfWall = (Date.now() - wfStart) / 1000;
  sampler.sampleAll();
  if (failure) throw failure;
  const r = result!;
  note(`retrain ${r.status} version ${r.version} in ${round1(wfWall)} s`);

  const history = await handle.fetchHistory();
  const steps = stepsOf(history, sampler, (input) => {
    const p = input?.payloads?.[0];
    return p ? (defaultPayloadConverter.fromPayload(p) as { shard: number }).shard : undefined;
  });
  const k = keys('reh');
  const meta = await redis.hgetall(k.versionMeta(r.version));
  const listCount = Object.entries(meta).filter(([f]) => f.startsWith('shard:')).reduce((s, [, v]) => s + Number(v), 0);
  const runUsers = runFiles.users(runDir({ DATA_DIR: dataDir }, r.version));
  let found = 0;
  for (let i = 0; i < runUsers.length; i += 10_000) {
    const p = redis.pipeline();
    for (const u of runUsers.slice(i, i + 10_000)) p.exists(k.userList(r.version, u));
    found += (await p.exec())!.reduce((s, [, v]) => s + Number(v), 0);
  }
  const sample = runUsers.filter((_, i) => i % Math.max(1, Math.floor(runUsers.length / 100)) === 0).slice(0, 100);
  let sampleBytes = 0;
  for (const u of sample) sampleBytes += Number(await redis.call('MEMORY', 'USAGE', k.userList(r.version, u)));
  const mem = await memory();
  const shardRows = steps.filter((s) => s.activity === 'scoreShard' && s.outcome === 'completed');
  const shardStarts = steps.filter((s) => s.activity === 'scoreShard').map((s) => Date.parse(s.scheduledAt));
  const scoringWall = shardRows.length ? (Math.max(...shardRows.map((s) => Date.parse(s.scheduledAt) + (s.totalSeconds ?? 0) * 1000)) - Math.min(...shardStarts)) / 1000 : NaN;
  const killedShard = kill ? steps.filter((s) => s.activity === 'scoreShard' && s.shard === kill!.shard) : [];

  Object.assign(report, {
    status: 'done',
    result: { version: r.version, status: r.status, reason: r.reason, users: r.users, items: r.items, gate: { outcome: r.gate.outcome, release: r.gate.release }, rankedLists: r.ranker.ship?.trained ?? false, ingest: r.ingest },
    workflowWallSeconds: round1(wfWall),
    steps,
    stepsByActivity: byActivity(steps),
    processes: sampler.stats(),
    kill: kill ? { ...kill, finishedBy: killedShard.map((s) => ({ worker: s.worker, attempt: s.attempt, outcome: s.outcome, wallSeconds: s.wallSeconds })) } : null,
    scoring: {
      users: listCount, shards, wallSeconds: round1(scoringWall), usersPerSecond: round1(listCount / scoringWall),
      perShard: shardRows.map((s) => ({ shard: s.shard, worker: s.worker, attempt: s.attempt, wallSeconds: s.wallSeconds, cpuSeconds: s.cpuSeconds, usersPerSecond: round1(Number(meta[`shard:${String(s.shard)}`]) / (s.wallSeconds ?? NaN)) })),
    },
    redis: {
      usedMemoryMB: round1((Number(mem.used_memory) - redisBaseline) / 2 ** 20), usedMemoryPeakMB: round1(Number(mem.used_memory_peak) / 2 ** 20),
      emptyBaselineMB: round1(redisBaseline / 2 ** 20), listMemoryUsageBytesMean: Math.round(sampleBytes / Math.max(1, sample.length)), keys: await redis.dbsize(),
    },
    lists: { worldUsers: world.users, runUsers: runUsers.length, versionListCount: listCount, runUsersWithList: found, everyUserHasAList: found === runUsers.length && listCount === runUsers.length },
    loadAverageAtEnd: loadavg(),
  });
  report.extrapolation = extrapolate(report as Parameters<typeof extrapolate>[0]);
  note(`done: ${found}/${runUsers.length} users have a list; scoring ${round1(listCount / scoringWall)} users/s; Redis ${(report.redis as { usedMemoryMB: number }).usedMemoryMB} MB`);
  redis.disconnect();
  await connection.close();
}

async function cleanup() {
  sampler.stop();
  await workflow?.terminate('rehearsal stopped').catch(() => {}); // no-op once it has closed
  // SIGTERM lets a worker finish its activity; past 10 s (a stopped run), SIGKILL.
  await Promise.all(procs.map(async (p) => {
    const t = setTimeout(() => p.proc.kill('SIGKILL'), 10_000);
    await p.kill('SIGTERM').catch(() => {});
    clearTimeout(t);
  }));
  if (redisProc && redisProc.exitCode === null) {
    redisProc.kill('SIGTERM');
    await new Promise((r) => redisProc!.once('exit', r));
  }
  if (!a.keep) rmSync(dataDir, { recursive: true, force: true });
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    report.status = `stopped (${sig}) before the retrain finished`;
    note(`stopped by ${sig}: the report holds what the run reached`, { processes: sampler.stats() });
    void cleanup().finally(() => process.exit(130));
  });
}

main()
  .catch((e: Error) => {
    report.status = 'failed';
    report.error = e.stack ?? e.message;
    note(`failed: ${e.message}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanup();
    flush();
    process.exit();
  });
