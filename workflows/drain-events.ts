// drainEvents: move the API's event stream into the warehouse. A loop of the drainEvents
// activity (each call: up to `batchesPerActivity` read → land → ack batches) until the stream
// has nothing left or `maxBatches` batches were drained; continues as new after
// `iterationsBeforeContinueAsNew` calls so a long backlog never grows one history without bound.
// Started every minute by the `recs-drain-events` schedule (cli/schedule.ts, overlap SKIP: a
// drain still running when the next minute comes simply keeps going).
import { continueAsNew, proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DrainEventsActivityInput, DrainEventsOut } from '../activities/drain';

export interface DrainEventsInput extends Omit<DrainEventsActivityInput, 'maxBatches'> {
  /** Stop after this many batches in total (this run and the runs it continued as). Default 500. */
  maxBatches?: number;
  /** Batches per activity call (its heartbeat covers them). Default 20. */
  batchesPerActivity?: number;
  /** Activity calls per run before continuing as new. Default 100. */
  iterationsBeforeContinueAsNew?: number;
  /** Totals of the runs this one continues (set by continue-as-new, not by callers). */
  carried?: DrainEventsResult;
}

export interface DrainEventsResult extends Omit<DrainEventsOut, 'empty'> {
  /** true when the drain stopped because the stream had nothing more (not at maxBatches). */
  empty: boolean;
  /** Activity calls over all runs. */
  calls: number;
  /** Workflow runs (1 + continue-as-new count). */
  runs: number;
}

const DEFAULTS = { maxBatches: 500, batchesPerActivity: 20, iterationsBeforeContinueAsNew: 100 };

const { drainEvents: drainBatches } = proxyActivities<Activities>({
  startToCloseTimeout: '30m',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10, nonRetryableErrorTypes: ['BadInput'] },
});

const zero = (): DrainEventsResult => ({ batches: 0, entries: 0, ingested: 0, duplicates: 0, quarantined: 0, claimed: 0, lost: 0, pending: 0, empty: false, calls: 0, runs: 0 });

function summary(t: DrainEventsResult): string {
  return `drained ${t.entries} entries in ${t.batches} batches: ${t.ingested} new events, ${t.duplicates} duplicates, ${t.quarantined} quarantined${t.claimed ? `, ${t.claimed} re-claimed from dead consumers` : ''}${t.lost ? `, **${t.lost} lost to stream trimming**` : ''}`;
}

export async function drainEvents(input: DrainEventsInput = {}): Promise<DrainEventsResult> {
  const { carried, maxBatches = DEFAULTS.maxBatches, batchesPerActivity = DEFAULTS.batchesPerActivity, iterationsBeforeContinueAsNew = DEFAULTS.iterationsBeforeContinueAsNew, ...knobs } = input;
  const t: DrainEventsResult = { ...(carried ?? zero()), empty: false, runs: (carried?.runs ?? 0) + 1 };
  setCurrentDetails(carried ? `continuing: ${summary(t)}` : 'draining the events stream');
  for (let i = 0; t.batches < maxBatches; i++) {
    if (i >= iterationsBeforeContinueAsNew || workflowInfo().continueAsNewSuggested) {
      return continueAsNew<typeof drainEvents>({ ...input, carried: t });
    }
    const r = await drainBatches({ ...knobs, maxBatches: Math.min(batchesPerActivity, maxBatches - t.batches) });
    t.calls += 1;
    t.batches += r.batches;
    t.entries += r.entries;
    t.ingested += r.ingested;
    t.duplicates += r.duplicates;
    t.quarantined += r.quarantined;
    t.claimed += r.claimed;
    t.lost += r.lost;
    t.pending = r.pending;
    setCurrentDetails(summary(t));
    if (r.empty) {
      t.empty = true;
      break;
    }
  }
  return t;
}
