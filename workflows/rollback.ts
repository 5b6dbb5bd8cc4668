// rollback: flip the live pointer back to a kept version (default: the one before live).
import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { rollbackVersion } = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: ['BadInput'] },
});

export async function rollback(input: { toVersion?: string } = {}): Promise<{ from: string | null; to: string }> {
  setCurrentDetails(`rolling back to ${input.toVersion ?? 'the previous version'}`);
  const r = await rollbackVersion(input);
  setCurrentDetails(`live: ${r.to} (was ${r.from ?? 'none'})`);
  return r;
}
