import { describe, expect, it } from 'vitest';
import { decideGate } from '../../model/gate';

const cfg = { minLiftOverPopularity: 0.1, maxRegressionVsLive: 0.05 };

describe('the release gate', () => {
  it('passes a candidate that beats popularity by the margin and holds up against live', () => {
    const d = decideGate({ metric: 'ndcg_10', candidate: 0.2, popularity: 0.1, live: 0.2 }, cfg);
    expect(d.passed).toBe(true);
    expect(d.popularityThreshold).toBeCloseTo(0.11, 10);
    expect(d.liveThreshold).toBeCloseTo(0.19, 10);
  });

  it('rejects a candidate that does not beat popularity by the margin, and says so', () => {
    const d = decideGate({ metric: 'ndcg_10', candidate: 0.105, popularity: 0.1, live: null }, cfg);
    expect(d.passed).toBe(false);
    expect(d.reason).toMatch(/does not beat popularity/);
  });

  it('rejects a candidate that regresses against the live model beyond the tolerance', () => {
    const d = decideGate({ metric: 'ndcg_10', candidate: 0.18, popularity: 0.1, live: 0.2 }, cfg);
    expect(d.passed).toBe(false);
    expect(d.reason).toMatch(/regresses against live/);
  });

  it('passes with no live model when popularity is beaten', () => {
    expect(decideGate({ metric: 'ndcg_10', candidate: 0.2, popularity: 0.1, live: null }, cfg).passed).toBe(true);
  });

  it('never passes a NaN or zero candidate', () => {
    expect(decideGate({ metric: 'ndcg_10', candidate: Number.NaN, popularity: 0, live: null }, cfg).passed).toBe(false);
    expect(decideGate({ metric: 'ndcg_10', candidate: 0, popularity: 0, live: null }, cfg).passed).toBe(false);
  });
});

