// The titles service: what POST /titles means — a new title for the catalog, checked against the
// loaded one, handed to the addTitle workflow (through TitleAdder, which api/server.ts builds over
// a Temporal client). The workflow embeds it and adds it to the fresh pool; the API only starts it.
import type { Title } from '../model/types';
import type { Logger } from './logging';
import type { ApiMetrics } from './metrics';
import { HttpError, parseOr400, titleBodySchema } from './schemas';
import type { ServingState } from './state';

export interface TitleAdder {
  addTitle(t: Title): Promise<{ workflowId: string }>;
}

export interface TitlesServiceDeps {
  state: ServingState;
  /** Absent: this instance does not add titles (503 not_configured). */
  titleAdder?: TitleAdder;
  metrics: ApiMetrics;
  clock: () => number;
  logSome: Logger;
}

export class TitlesService {
  constructor(private readonly deps: TitlesServiceDeps) {}

  /** Validate a POST /titles body and start its workflow; resolves with the workflow id (400/409/503 as HttpError). */
  async add(body: unknown): Promise<string> {
    const { deps } = this;
    const t = parseOr400(titleBodySchema, body, 'body');
    const snap = deps.state.snapshot();
    if (snap && (snap.v.indexById.has(t.movie_id) || snap.freshById.has(t.movie_id))) throw new HttpError(409, 'already_exists', `movie ${t.movie_id} is already in the catalog`);
    if (!deps.titleAdder) throw new HttpError(503, 'not_configured', 'adding titles is not configured on this instance');
    const title: Title = { ...t, added_at: t.added_at ?? new Date(deps.clock()).toISOString() };
    try {
      return (await deps.titleAdder.addTitle(title)).workflowId;
    } catch (e) {
      deps.metrics.errors.inc({ where: 'add_title' });
      deps.logSome('error', 'addTitle failed', { error: (e as Error).message });
      throw new HttpError(503, 'unavailable', 'the title workflow could not be started; retry later');
    }
  }
}
