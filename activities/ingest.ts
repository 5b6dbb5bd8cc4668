// ingestWorld: titles then events of a world directory into the warehouse (validated,
// deduplicated, bad rows quarantined). A missing directory or file is bad input: non-retryable.
import { ApplicationFailure } from '@temporalio/activity';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ingestFile } from '../storage/ingest';
import type { ActivityDeps } from './deps';
import { progress, withHeartbeat } from './heartbeat';
import type { IngestCountsOut } from './types';

export function createIngestActivities({ wh }: Pick<ActivityDeps, 'wh'>) {
  return {
    async ingestWorld(input: { worldDir: string }): Promise<IngestCountsOut[]> {
      const dir = resolve(input.worldDir);
      for (const f of ['movies.csv', 'events.csv']) {
        if (!existsSync(join(dir, f))) throw ApplicationFailure.nonRetryable(`world directory ${dir} has no ${f} (expected movies.csv and events.csv; see recs generate / recs import)`, 'BadInput');
      }
      const out: IngestCountsOut[] = [];
      for (const [kind, file] of [['titles', 'movies.csv'], ['events', 'events.csv']] as const) {
        progress({ step: `ingest ${kind}`, file });
        const c = await withHeartbeat(() => ({ step: `ingest ${kind}`, file }), () => wh.exclusive(() => ingestFile(wh, kind, join(dir, file))));
        out.push({ kind, rowsRead: c.rowsRead, ingested: c.ingested, duplicates: c.duplicates, quarantined: c.quarantined, alreadyIngested: c.alreadyIngested });
        progress({ step: `ingested ${kind}`, ...out[out.length - 1] });
      }
      return out;
    },
  };
}
