// The POST /events spool on a real temp directory, replayed into an in-memory sink that keeps the
// same offset contract as the Redis script (append only when the recorded offset is `from`).
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deriveEventId } from '../../api/events';
import { EventSpool, SpoolFullError, type SpoolSink } from '../../api/spool';
import { tempDir } from '../helpers/paths';

const line = (i: number) => JSON.stringify({ event_id: `e${i}`, user_id: 'u1', movie_id: 'm1', event_type: 'browse', ts: '2024-06-01T00:00:00.000Z' });
const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => line(from + i));
const OPTS = { maxBytes: 1 << 20, segmentBytes: 4096, replayBatch: 7 };

/** The stream and the offsets, in memory; `failAfter` chunks it throws (Redis went away again). */
function memorySink(failAfter = Infinity, stream: string[] = [], offsets = new Map<string, number>()) {
  let chunks = 0;
  const sink: SpoolSink = {
    offset: async (seg) => offsets.get(seg) ?? 0,
    append: async (seg, from, to, ls) => {
      if (chunks++ >= failAfter) throw new Error('redis down');
      const at = offsets.get(seg) ?? 0;
      if (at !== from) return at;
      stream.push(...ls);
      offsets.set(seg, to);
      return to;
    },
    forget: async (seg) => void offsets.delete(seg),
  };
  return { sink, stream, offsets };
}

const ids = (stream: string[]) => stream.map((l) => (JSON.parse(l) as { event_id: string }).event_id);

describe('the event spool', () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = tempDir('spool');
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('an append resolves once its lines are in a file, and a burst shares its fsyncs', async () => {
    const d = dir();
    const spool = new EventSpool(d, OPTS);
    await Promise.all(Array.from({ length: 100 }, (_, i) => spool.append([line(i)])));
    expect(spool.rounds).toBeLessThanOrEqual(2);
    const text = readdirSync(d).map((f) => readFileSync(join(d, f), 'utf8')).join('');
    expect(text.trim().split('\n').sort()).toEqual(lines(0, 100).sort());
    expect(spool.appended).toBe(100);
    expect(spool.isEmpty()).toBe(false);
    await spool.close();
  });

  it('an append made the moment another one is acknowledged is written too (never stranded behind a finished writer)', async () => {
    const spool = new EventSpool(dir(), OPTS);
    const chained = spool.append([line(0)]).then(() => spool.append([line(1)]));
    const outcome = await Promise.race([chained.then(() => 'written'), new Promise((r) => setTimeout(() => r('stuck'), 2000))]);
    expect(outcome).toBe('written');
    expect(spool.appended).toBe(2);
    await spool.close();
  });

  it('a full spool refuses the batch whole and keeps what it holds', async () => {
    const spool = new EventSpool(dir(), { ...OPTS, maxBytes: 1000 });
    await spool.append(lines(0, 5));
    const before = spool.bytes;
    await expect(spool.append(lines(5, 20))).rejects.toBeInstanceOf(SpoolFullError);
    expect(spool.bytes).toBe(before);
    const { sink, stream } = memorySink();
    expect(await spool.replay(sink)).toBe(5);
    expect(ids(stream)).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
    expect(spool.isEmpty()).toBe(true);
    await spool.append(lines(5, 5)); // room again
  });

  it('replays in append order across segments, then deletes them and forgets their offsets', async () => {
    const d = dir();
    const spool = new EventSpool(d, { ...OPTS, segmentBytes: 500 });
    for (let i = 0; i < 60; i += 6) await spool.append(lines(i, 6));
    expect(readdirSync(d).length).toBeGreaterThan(3);
    const { sink, stream, offsets } = memorySink();
    expect(await spool.replay(sink)).toBe(60);
    expect(ids(stream)).toEqual(lines(0, 60).map((_, i) => `e${i}`));
    expect(readdirSync(d)).toEqual([]);
    expect(offsets.size).toBe(0);
    expect(spool.bytes).toBe(0);
  });

  it('a replay cut short resumes where the recorded offset says: every line once, none twice', async () => {
    const d = dir();
    const spool = new EventSpool(d, OPTS);
    await spool.append(lines(0, 30));
    const { sink, stream, offsets } = memorySink(2);
    await expect(spool.replay(sink)).rejects.toThrow('redis down');
    expect(stream).toHaveLength(14);
    // A new process (the first one crashed) picks up the same segment and the same offsets.
    const again = new EventSpool(d, OPTS);
    expect(await again.replay(memorySink(Infinity, stream, offsets).sink)).toBe(16);
    expect(ids(stream)).toEqual(lines(0, 30).map((_, i) => `e${i}`));
  });

  it('a torn last line (a crash mid-write, never acknowledged) is not replayed; a garbled one is skipped and counted', async () => {
    const d = dir();
    writeFileSync(join(d, `seg-000000000000001-${process.pid}-000000000-deadbeef.jsonl`), `${line(0)}\nnot json\n${line(1)}\n{"event_id":"e2","us`);
    const spool = new EventSpool(d, OPTS);
    const { sink, stream } = memorySink();
    expect(await spool.replay(sink)).toBe(2);
    expect(ids(stream)).toEqual(['e0', 'e1']);
    expect(spool.corrupt).toBe(1);
  });

  it("another live process's segment is left to it", async () => {
    const d = dir();
    writeFileSync(join(d, `seg-000000000000001-${process.ppid}-000000000-deadbeef.jsonl`), `${line(0)}\n`);
    const spool = new EventSpool(d, OPTS);
    expect(spool.isEmpty()).toBe(true);
    const { sink, stream } = memorySink();
    expect(await spool.replay(sink)).toBe(0);
    expect(stream).toEqual([]);
    expect(readdirSync(d)).toHaveLength(1);
  });
});

describe('derived event ids', () => {
  const e = { user_id: 'u1', movie_id: 'm1', event_type: 'watch' as const, ts: '2024-06-01T00:00:00.000Z', source: 'home_feed:3' };
  it('the same event gets the same id; any field that differs gives another', () => {
    expect(deriveEventId(e)).toBe(deriveEventId({ ...e }));
    expect(deriveEventId(e)).toMatch(/^h-[0-9a-f]{32}$/);
    const others = [{ user_id: 'u2' }, { movie_id: 'm2' }, { event_type: 'browse' as const }, { ts: '2024-06-01T00:00:00.001Z' }, { source: null }, { source: 'home_feed:4' }].map((d) => deriveEventId({ ...e, ...d }));
    expect(new Set([deriveEventId(e), ...others]).size).toBe(7);
  });
  it('fields cannot run into each other', () => {
    expect(deriveEventId({ ...e, user_id: 'u1m', movie_id: '1' })).not.toBe(deriveEventId({ ...e, user_id: 'u1', movie_id: 'm1' }));
  });
});
