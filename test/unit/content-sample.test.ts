// The content model's evaluation scores every held-out title against every judged user; past
// EVAL_MAX_USERS users it judges a seeded sample, so a big run's evaluation stays within seconds
// (and within its heartbeat) instead of growing with the user count.
import { describe, expect, it } from 'vitest';
import { sampleUsers } from '../../activities/content';

describe('the content evaluation judges a seeded sample of users past its cap', () => {
  const k = 2;
  const nUsers = 5000;
  const factors = Float32Array.from({ length: nUsers * k }, (_, i) => i); // row u = [2u, 2u + 1]
  // Three titles, watched by every 7th, 11th and 13th user.
  const rows = [7, 11, 13].map((step) => Array.from({ length: Math.floor(nUsers / step) }, (_, j) => j * step));
  const indptr = Int32Array.from([0, ...rows.map((_, r) => rows.slice(0, r + 1).flat().length)]);
  const watchers = { indptr, indices: Int32Array.from(rows.flat()) };

  it('keeps about max users, the same ones for the same seed, and renumbers each kept watcher to its own factor row', () => {
    const a = sampleUsers(factors, k, watchers, 500, 42);
    const b = sampleUsers(factors, k, watchers, 500, 42);
    const n = a.userFactors.length / k;
    expect(n).toBeGreaterThan(400);
    expect(n).toBeLessThan(600);
    expect(Array.from(a.watchers.indices)).toEqual(Array.from(b.watchers.indices));
    for (let r = 0; r < 3; r++) {
      for (let p = a.watchers.indptr[r]; p < a.watchers.indptr[r + 1]; p++) {
        const original = a.userFactors[a.watchers.indices[p] * k] / 2; // the user the sampled row came from
        expect(original % [7, 11, 13][r]).toBe(0);
      }
    }
    expect(sampleUsers(factors, k, watchers, 500, 7).watchers.indices).not.toEqual(a.watchers.indices);
  });

  it('leaves a run under the cap untouched', () => {
    const s = sampleUsers(factors, k, watchers, nUsers, 42);
    expect(s.userFactors).toBe(factors);
    expect(s.watchers).toBe(watchers);
  });
});
