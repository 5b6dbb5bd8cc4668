// The retrain workflow end to end on a tiny world: real Temporal dev server, Redis, DuckDB.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RetrainResult } from '../../activities/types';
import { generateWorld } from '../../data/generator';
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
  p = await startPipeline('retrain');
});
afterAll(async () => p?.close());

describe('the retrain workflow on a tiny world', () => {
  let first: RetrainResult;

  it('publishes an iALS version that beats popularity, with a list for every user with events', async () => {
    first = await retrain({ worldDir });
    expect(first.status).toBe('published');
    expect(first.params.model).toBe('ials');
    expect(first.gate.candidate).toBeGreaterThan(first.gate.popularity);
    expect(first.ingest?.find((c) => c.kind === 'events')?.ingested).toBeGreaterThan(1000);

    const k = keys(p.cfg.REDIS_PREFIX);
    expect(await p.redis.get(k.live)).toBe(first.version);
    const users = runFiles.users(runDir(p.cfg.DATA_DIR, first.version));
    expect(users.length).toBe(first.users);
    const pipe = p.redis.pipeline();
    for (const u of users) pipe.getBuffer(k.userList(first.version, u));
    const lists = (await pipe.exec())!.map(([, v]) => v as Buffer | null);
    expect(lists.filter((b) => b === null)).toHaveLength(0);
    const one = decodeUserList(lists[0]!);
    // every title the user has not seen, up to TOP_N
    const seen = runFiles.csr(runDir(p.cfg.DATA_DIR, first.version), 'full_seen');
    expect(one.itemIndex.length).toBe(Math.min(p.cfg.TOP_N, first.items - (seen.indptr[1] - seen.indptr[0])));
    expect(one.userVec.length).toBe(16);
    // best first
    for (let i = 1; i < one.score.length; i++) expect(one.score[i]).toBeLessThanOrEqual(one.score[i - 1]);
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
    expect(bad.reason).toMatch(/popularity|live/);
    expect(await p.redis.get(keys(p.cfg.REDIS_PREFIX).live)).toBe(live);
  });

  it('bad params end the run with a non-retryable failure that names the field', async () => {
    const err = await retrain({ params: { factors: -3 } }).then(() => null, (e: unknown) => e);
    expect(err).not.toBeNull();
    expect(rootMessage(err)).toMatch(/params\.factors/);
  });
});
