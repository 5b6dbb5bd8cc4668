import { describe, expect, it } from 'vitest';
import { foldInUser, prepareFoldIn } from '../../model/foldin';
import { recencyWeight, rescoreSession, sessionMix, sessionVector, type FoldInModel, type SessionParams } from '../../model/session';

// Four genres on four axes, five titles each (a small tilt keeps them distinct).
const K = 4, N = 20;
const Y = new Float32Array(N * K);
for (let i = 0; i < N; i++) {
  Y[i * K + Math.floor(i / 5)] = 1 - 0.05 * (i % 5);
  Y[i * K + ((Math.floor(i / 5) + 1) % 4)] = 0.01 * (i % 5);
}
const model: FoldInModel = { itemFactors: Y, k: K, nItems: N, gramAlpha0: prepareFoldIn(Y, N, K, 0.1), lambda: 0.05, nu: 1, alpha0: 0.1, watchConfidence: 1 };
const P: SessionParams = { halfLifeMinutes: 60, alpha: 0.5, saturation: 1, maxEvents: 10, minWeight: 0.05, rescoreTop: 100, neighbours: 5 };
const NOW = Date.parse('2026-10-01T20:00:00Z');
const MIN = 60_000;
const horrorFan = Float32Array.from([2, 0.1, 0, 0]);
const comedy = (j: number) => 5 + j;
const dot = (x: Float32Array, i: number) => x.reduce((s, v, t) => s + v * Y[i * K + t], 0);
const retrievalScores = (idx: number[]) => idx.map((i) => dot(horrorFan, i));

describe('session formula (model/session.ts)', () => {
  it('a watch one half-life old weighs half as much as one just now; a future stamp counts as now', () => {
    expect(recencyWeight(0, 60)).toBe(1);
    expect(recencyWeight(60 * MIN, 60)).toBeCloseTo(0.5, 12);
    expect(recencyWeight(180 * MIN, 60)).toBeCloseTo(0.125, 12);
    expect(recencyWeight(-5 * MIN, 60)).toBe(1);
    expect(() => recencyWeight(0, 0)).toThrow(RangeError);
  });

  it('the mixing weight is α·W/(W+κ): zero without events, half of α at W = κ, approaching α', () => {
    expect(sessionMix(0, P)).toBe(0);
    expect(sessionMix(1, P)).toBeCloseTo(0.25, 12);
    expect(sessionMix(1e6, P)).toBeCloseTo(0.5, 5);
  });

  it('x′ is |x_u|·((1−a)·x̂_u + a·ŝ) with ŝ the direction of the recency-weighted fold-in', () => {
    const events = [
      { itemIndex: comedy(0), tsMs: NOW },
      { itemIndex: comedy(1), tsMs: NOW - 60 * MIN },
    ];
    const sv = sessionVector(horrorFan, events, NOW, model, P)!;
    expect(sv.weight).toBeCloseTo(1.5, 12);
    expect(sv.mix).toBeCloseTo((0.5 * 1.5) / 2.5, 12);
    const s = foldInUser(Y, K, model.gramAlpha0, [comedy(0), comedy(1)], [1, 0.5], model.lambda, model.nu, model.alpha0, N);
    const ns = Math.hypot(...s), nu = Math.hypot(...horrorFan);
    for (let t = 0; t < K; t++) expect(sv.vector[t]).toBeCloseTo(nu * ((1 - sv.mix) * (horrorFan[t] / nu) + sv.mix * (s[t] / ns)), 5);
    expect(Math.hypot(...sv.vector)).toBeLessThanOrEqual(nu + 1e-6); // a convex mix of unit directions, scaled by |x_u|
    expect(sv.vector[1]).toBeGreaterThan(horrorFan[1]); // pulled toward comedy
  });

  it('only the newest SESSION_MAX_EVENTS watches are folded in, newest first', () => {
    const events = [0, 1, 2, 3].map((j) => ({ itemIndex: comedy(j), tsMs: NOW - j * MIN }));
    const sv = sessionVector(horrorFan, events, NOW, model, { ...P, maxEvents: 2 })!;
    expect(sv.items).toEqual([comedy(0), comedy(1)]);
  });

  it('a faded session (W below SESSION_MIN_WEIGHT), no events or α = 0 leave the user vector alone', () => {
    const old = [{ itemIndex: comedy(0), tsMs: NOW - 600 * MIN }]; // 2^-10 ≈ 0.001
    expect(sessionVector(horrorFan, old, NOW, model, P)).toBeNull();
    expect(sessionVector(horrorFan, [], NOW, model, P)).toBeNull();
    expect(sessionVector(horrorFan, [{ itemIndex: comedy(0), tsMs: NOW }], NOW, model, { ...P, alpha: 0 })).toBeNull();
    expect(sessionVector(horrorFan, [{ itemIndex: N + 3, tsMs: NOW }], NOW, model, P)).toBeNull(); // not in the model
  });

  it('more recent events pull harder than the same events an hour older', () => {
    const at = (ago: number) => sessionVector(horrorFan, [comedy(0), comedy(1)].map((i) => ({ itemIndex: i, tsMs: NOW - ago })), NOW, model, P)!;
    expect(at(0).mix).toBeGreaterThan(at(60 * MIN).mix);
    expect(at(0).vector[1] / at(0).vector[0]).toBeGreaterThan(at(60 * MIN).vector[1] / at(60 * MIN).vector[0]);
  });

  it('re-scoring by x′ lifts the session genre above the stored order and marks what moved', () => {
    const stored = [0, 1, 2, 3, 4, 10, 11]; // the horror fan's stored head: horror first
    const sv = sessionVector(horrorFan, [comedy(0), comedy(1), comedy(2)].map((i) => ({ itemIndex: i, tsMs: NOW })), NOW, model, { ...P, alpha: 0.9, saturation: 0.1 })!;
    const out = rescoreSession(sv.vector, horrorFan, Y, K, stored, retrievalScores(stored), [comedy(3), comedy(4), 0]);
    expect(out.map((r) => r.itemIndex).slice(0, 2)).toEqual([comedy(3), comedy(4)]);
    const moved = out.filter((r) => r.moved).map((r) => r.itemIndex);
    expect(moved).toEqual(expect.arrayContaining([comedy(3), comedy(4)]));
    expect(moved).not.toContain(0); // pushed down, not up
    expect(moved).not.toContain(10); // the drama titles stay last
    expect(new Set(out.map((r) => r.itemIndex)).size).toBe(out.length); // no duplicates (0 was in both)
    for (let i = 1; i < out.length; i++) expect(out[i - 1].score).toBeGreaterThanOrEqual(out[i].score);
  });

  it('for a list in retrieval order the score is x′·y; a neighbour gets x′·y too', () => {
    const stored = [0, 1, 2];
    const sv = sessionVector(horrorFan, [{ itemIndex: comedy(0), tsMs: NOW }], NOW, model, P)!;
    const out = rescoreSession(sv.vector, horrorFan, Y, K, stored, retrievalScores(stored), [comedy(1)]);
    for (const r of out) expect(r.score).toBeCloseTo(dot(sv.vector, r.itemIndex), 5);
  });

  it('with x′ = x_u a list in any order (say, the ranker\'s) keeps its order and nothing is marked', () => {
    const stored = [3, 0, 4, 1, 2];
    const out = rescoreSession(horrorFan, horrorFan, Y, K, stored, [0.9, 0.8, 0.7, 0.6, 0.5], []);
    expect(out.map((r) => r.itemIndex)).toEqual(stored);
    expect(out.some((r) => r.moved)).toBe(false);
  });

  it('rejects a vector of the wrong length', () => {
    expect(() => rescoreSession(new Float32Array(3), horrorFan, Y, K, [0], [1], [])).toThrow(RangeError);
    expect(() => rescoreSession(horrorFan, horrorFan, Y, K, [0], [], [])).toThrow(RangeError);
    expect(() => sessionVector(new Float32Array(3), [], NOW, model, P)).toThrow(RangeError);
  });
});
