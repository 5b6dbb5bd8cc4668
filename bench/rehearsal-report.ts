// The extrapolation of a rehearsal (bench/rehearsal.ts) to 3·10^7 users, from the rates it
// measured. Labelled as such in the JSON: nothing here ran at that size.
import { round1, type ProcStats } from './rehearsal-procs';
import type { StepRow } from './rehearsal-history';

const TARGET_USERS = 30_000_000;

interface Measured {
  steps?: StepRow[];
  processes?: ProcStats[];
  scoring?: { users: number };
  redis?: { usedMemoryMB: number; listMemoryUsageBytesMean: number };
  lists?: { runUsers: number };
}

/**
 * Linear in users (events per user held fixed) where the work is: ingest, SQL and iALS (events and
 * interactions), scoring and Redis (users). CPU-seconds are the steadier figure on a shared machine.
 */
export function extrapolate(r: Measured): Record<string, unknown> {
  const users = r.lists?.runUsers ?? 0;
  if (!users || !r.steps || !r.scoring || !r.redis) return { label: 'extrapolation: not computed (the run did not finish)' };
  const factor = TARGET_USERS / users;
  const shards = r.steps.filter((s) => s.activity === 'scoreShard' && s.outcome === 'completed');
  const shardCpu = shards.reduce((s, x) => s + (x.cpuSeconds ?? 0), 0);
  const shardWall = shards.reduce((s, x) => s + (x.wallSeconds ?? 0), 0);
  const cpuPerUser = shardCpu / r.scoring.users;
  const workerSecondsPerUser = shardWall / r.scoring.users;
  const listBytes = r.redis.listMemoryUsageBytesMean;
  const fixedBytes = Math.max(0, r.redis.usedMemoryMB * 2 ** 20 - listBytes * r.scoring.users); // catalog, factors, indexes
  // Linear in events: ingest, SQL, iALS. Bounded by their samples (RANKER_TRAIN_USERS,
  // EVAL_MAX_USERS) or by the catalog: the rankers, the evaluation, the content model.
  const linear = new Set(['ingestWorld', 'prepareRun', 'trainRetrieval']);
  const byStep = new Map<string, number>();
  for (const s of r.steps) if (s.activity !== 'scoreShard') byStep.set(s.activity, (byStep.get(s.activity) ?? 0) + (s.cpuSeconds ?? 0));
  return {
    label: `EXTRAPOLATION, not measured: ${TARGET_USERS} users from this run's ${users} users (same events per user, same catalog); CPU-hours, to divide by the cores of a deployment`,
    factor: round1(factor),
    scoring: {
      cpuSecondsPerUser: cpuPerUser, workerSecondsPerUserOnThisMachine: workerSecondsPerUser,
      cpuHours: round1((cpuPerUser * TARGET_USERS) / 3600),
      minutesOn64TwoCoreWorkersAtThisCpuRate: round1((cpuPerUser * TARGET_USERS) / (64 * 2) / 60),
    },
    redis: {
      memoryUsagePerListBytes: listBytes, fixedPerVersionMB: round1(fixedBytes / 2 ** 20),
      liveVersionGB: round1((listBytes * TARGET_USERS + fixedBytes) / 2 ** 30), withPreviousVersionGB: round1((2 * (listBytes * TARGET_USERS + fixedBytes)) / 2 ** 30),
    },
    stepsCpuHours: [...byStep.entries()].map(([activity, cpu]) => ({
      activity, scaling: linear.has(activity) ? 'linear in events' : 'bounded (sampled users or catalog): as measured',
      cpuHours: round1(((linear.has(activity) ? factor : 1) * cpu) / 3600),
    })),
  };
}
