// What a running retrain is doing, for `recs retrain --wait`: the workflow's current step (its
// setCurrentDetails text, read with the SDK's built-in __temporal_workflow_metadata query) and
// the progress its running activities last heartbeated (describe(): pendingActivities).
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { StepProgress } from './progress';

export interface ActivityBeat {
  name: string;
  details: Record<string, unknown> | null;
}

export interface StepView {
  step: string | null;
  done?: number;
  total?: number;
  detail: string;
}

/** "**v2026…** — training ials …" → "training ials …" (the version is printed once at the start). */
export function stepText(currentDetails: string | undefined): string | null {
  if (!currentDetails) return null;
  return currentDetails.replace(/^\*\*[^*]+\*\*\s*—\s*/, '').trim() || null;
}

/**
 * The step and its progress from the activities' heartbeats: epochs for training (epoch / of),
 * users for scoring (scored / users, summed over the shards running now); other details shown as text.
 */
export function stepView(currentDetails: string | undefined, beats: readonly ActivityBeat[]): StepView {
  let done = 0;
  let total = 0;
  const words: string[] = [];
  for (const b of beats) {
    const d = b.details ?? {};
    const num = (k: string) => (typeof d[k] === 'number' ? (d[k] as number) : undefined);
    if (num('epoch') !== undefined && num('of') !== undefined) {
      done += num('epoch')!;
      total += num('of')!;
    } else if (num('scored') !== undefined && num('users') !== undefined) {
      done += num('scored')!;
      total += num('users')!;
    }
    const extra = Object.entries(d)
      .filter(([k, v]) => !['step', 'epoch', 'of', 'scored', 'users'].includes(k) && (typeof v === 'string' || typeof v === 'number'))
      .map(([k, v]) => `${k} ${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : v}`);
    words.push([b.name, ...extra].join(' '));
  }
  return { step: stepText(currentDetails), ...(total > 0 ? { done, total } : {}), detail: words.join('; ') };
}

/** Poll the workflow every `everySeconds` and show its step until stop() (errors of one poll are skipped). */
export function watchRetrain(handle: WorkflowHandle, everySeconds: number, show: StepProgress): { stop(): void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const poll = async () => {
    try {
      const [meta, desc] = await Promise.all([
        handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata').catch(() => ({ currentDetails: undefined })),
        handle.describe(),
      ]);
      const beats = (desc.raw.pendingActivities ?? []).map((a) => {
        const p = a.heartbeatDetails?.payloads?.[0];
        let details: Record<string, unknown> | null = null;
        try {
          details = p ? (defaultPayloadConverter.fromPayload(p) as Record<string, unknown>) : null;
        } catch {
          details = null;
        }
        return { name: a.activityType?.name ?? 'activity', details };
      });
      const v = stepView(meta.currentDetails, beats);
      if (!stopped) show.show(v.step, v.done, v.total, v.detail);
    } catch {
      // the next poll tries again; the result (or its failure) still ends the wait
    }
    if (!stopped) timer = setTimeout(poll, everySeconds * 1000);
  };
  void poll();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      show.stop();
    },
  };
}
