import { describe, expect, it } from 'vitest';
import { stepText, stepView } from '../../cli/retrain-watch';

describe('what recs retrain --wait shows of a running retrain', () => {
  it('the step is the workflow details without the version prefix', () => {
    expect(stepText('**v20261201T180213Z-01a232** — training ials on events before 2026-10-24')).toBe('training ials on events before 2026-10-24');
    expect(stepText(undefined)).toBeNull();
  });

  it('training heartbeats count epochs; scoring heartbeats sum users over the shards running now', () => {
    const cur = '**v1** — scoring';
    expect(stepView('**v1** — training', [{ name: 'trainRetrieval', details: { step: 'train gate', epoch: 3, of: 12, loss: 0.123456 } }])).toEqual({
      step: 'training', done: 3, total: 12, detail: 'trainRetrieval loss 0.1235',
    });
    const v = stepView(cur, [
      { name: 'scoreShard', details: { step: 'score', shard: 0, users: 100, scored: 40 } },
      { name: 'scoreShard', details: { step: 'score', shard: 1, users: 100, scored: 10 } },
    ]);
    expect(v).toMatchObject({ step: 'scoring', done: 50, total: 200 });
    expect(v.detail).toBe('scoreShard shard 0; scoreShard shard 1');
  });

  it('an activity that has not heartbeated yet shows its name and no count', () => {
    expect(stepView('**v1** — evaluating', [{ name: 'evaluateCandidate', details: null }])).toEqual({ step: 'evaluating', detail: 'evaluateCandidate' });
  });
});
