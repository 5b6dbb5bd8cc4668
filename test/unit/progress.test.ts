import { describe, expect, it } from 'vitest';
import { createProgress, createStepProgress, formatSeconds, formatTable, progressLine } from '../../cli/progress';

/** A non-TTY stream that keeps what was written, and a clock the test moves. */
function harness() {
  const out: string[] = [];
  let t = 0;
  return { stream: { isTTY: false, write: (s: string) => out.push(s) }, now: () => t, tick: (seconds: number) => (t += seconds * 1000), out };
}

describe('progress without a TTY (logs, the demo)', () => {
  it('prints one plain line at most every few seconds, with rows/s and the ETA, and a last line at the end', () => {
    const h = harness();
    const p = createProgress({ unit: 'events', everySeconds: 5, stream: h.stream, now: h.now });
    p.phase('write events.parquet', 1_000_000);
    for (let s = 1; s <= 8; s++) {
      h.tick(1);
      p.update(s * 100_000);
    }
    expect(h.out).toEqual(['write events.parquet: 500.0k/1.00M events (50%), 100.0k events/s, ETA 5s\n']);
    h.tick(2);
    p.update(1_000_000);
    p.stop();
    expect(h.out).toHaveLength(2);
    expect(h.out[1]).toBe('write events.parquet: 1.00M/1.00M events (100%), 100.0k events/s\n');
    expect(h.out.every((l) => !l.includes('\r'))).toBe(true);
  });

  it('a new phase closes the previous one with its final count, and notes are printed as they come', () => {
    const h = harness();
    const p = createProgress({ unit: 'rows', everySeconds: 5, stream: h.stream, now: h.now });
    p.phase('simulate users', 300);
    h.tick(2);
    p.update(300);
    p.note('simulated 300 users: 15269 events');
    p.phase('write events.parquet', 15269);
    h.tick(1);
    p.update(15269);
    p.stop();
    expect(h.out).toEqual([
      'simulate users: 300/300 rows (100%), 150 rows/s\n',
      'simulated 300 users: 15269 events\n',
      'write events.parquet: 15.3k/15.3k rows (100%), 15.3k rows/s\n',
    ]);
  });

  it('a step tracker prints one numbered line per step, not per poll', () => {
    const h = harness();
    const s = createStepProgress({ stream: h.stream });
    s.show('ingest titles', 0, 0, 'movies.csv');
    s.show('ingest titles', 1, 2);
    s.show(null);
    s.show('train gate', 1, 12);
    s.show('train gate', 5, 12);
    s.show('evaluate');
    s.stop();
    expect(h.out).toEqual(['step 1: ingest titles [movies.csv]\n', 'step 2: train gate\n', 'step 3: evaluate\n']);
  });
});

describe('formatting', () => {
  it('lines without a total show the count and rate only; durations read as s, m, h', () => {
    expect(progressLine('read ratings.csv', 'rows', 2500, 0, 2)).toBe('read ratings.csv: 2500 rows, 1250 rows/s');
    expect([formatSeconds(4.4), formatSeconds(75), formatSeconds(3 * 3600 + 120), formatSeconds(NaN)]).toEqual(['4s', '1m15s', '3h02m', '?']);
  });

  it('a table aligns columns and right-aligns numbers', () => {
    expect(formatTable(['label', 'events', 'total s'], [['before', 100004, 1.87], ['after', 1102105, 0.9]])).toBe(
      ['label    events  total s', '------  -------  -------', 'before   100004     1.87', 'after   1102105      0.9'].join('\n'),
    );
  });
});
