import { describe, expect, it } from 'vitest';
import { parseRoles, roleOf, roleQueue } from '../../workflows/task-queues';

describe('worker roles', () => {
  it('the warehouse keeps the base queue (and the workflows); train and score get queues of their own', () => {
    expect(roleQueue('recs', 'warehouse')).toBe('recs');
    expect(roleQueue('recs', 'train')).toBe('recs-train');
    expect(roleQueue('recs', 'score')).toBe('recs-score');
  });

  it('training and scoring steps leave the warehouse; an activity nobody routed stays on it', () => {
    expect(['trainRetrieval', 'trainRanker', 'trainContent', 'scoreShard', 'publishVersion', 'recordContentMetrics'].map(roleOf)).toEqual(['train', 'train', 'train', 'score', 'warehouse', 'warehouse']);
  });

  it('--roles takes a subset in any order, and names the allowed roles when given something else', () => {
    expect(parseRoles(' score,train ')).toEqual(['train', 'score']);
    expect(parseRoles('warehouse,train,score')).toEqual(['warehouse', 'train', 'score']);
    expect(() => parseRoles('train,gpu')).toThrow(/subset of warehouse,train,score, got "train,gpu"/);
    expect(() => parseRoles('')).toThrow(/subset/);
  });
});
