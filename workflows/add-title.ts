// addTitle: validate → catalog → content vector → fresh pool (+ notify the API instances).
// A title can be shown the minute it is added; the next retrain learns it from real watches.
import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { Title } from '../model/types';

const act = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '1s', maximumInterval: '20s', maximumAttempts: 20, nonRetryableErrorTypes: ['BadInput'] },
});

export async function addTitle(input: Title): Promise<{ movie_id: string; version: string | null; method: string; dims: number }> {
  setCurrentDetails('validating');
  const title = await act.validateTitle(input);
  setCurrentDetails(`adding ${title.movie_id} to the catalog`);
  await act.insertCatalogTitle(title);
  setCurrentDetails('computing its vector from content');
  const embedded = await act.embedTitle(title);
  setCurrentDetails(`publishing to the fresh pool (${embedded.method})`);
  await act.publishFreshTitle({ title, embedded });
  setCurrentDetails(`added ${title.movie_id}: ${embedded.method} vector for ${embedded.version ?? 'no live version'}`);
  return { movie_id: title.movie_id, version: embedded.version, method: embedded.method, dims: embedded.vector?.length ?? 0 };
}
