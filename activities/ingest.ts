// ingestWorld: titles then events of a world directory into the warehouse (validated,
// deduplicated, bad rows quarantined). A missing directory or file is bad input: non-retryable.
import { ApplicationFailure } from '@temporalio/activity';
import { basename, resolve } from 'node:path';
import { worldFiles } from '../data/world-dir';
import { analyticsPaths, copyToParquet, writeAnalystsDb } from '../storage/analytics';
import { dashboardPublisher } from '../storage/dashboard-publish';
import { ingestFile } from '../storage/ingest';
import type { ActivityDeps } from './deps';
import { progress, withHeartbeat } from './heartbeat';
import type { IngestCountsOut } from './types';

export function createIngestActivities({ cfg, wh, redis }: Pick<ActivityDeps, 'cfg' | 'wh' | 'redis'>) {
  const paths = analyticsPaths(cfg.DATA_DIR);
  const dashboard = dashboardPublisher(cfg, redis);
  return {
    async ingestWorld(input: { worldDir: string }): Promise<IngestCountsOut[]> {
      const dir = resolve(input.worldDir);
      const files = worldFiles(dir);
      if ('missing' in files) throw ApplicationFailure.nonRetryable(`world directory ${dir} has no ${files.missing} (see recs generate / recs import)`, 'BadInput');
      const out: IngestCountsOut[] = [];
      for (const [kind, file] of [['titles', files.movies], ['events', files.events]] as const) {
        progress({ step: `ingest ${kind}`, file: basename(file) });
        // A world's events file takes minutes at the target scale: the heartbeat shows how far it is.
        const at = { rows: 0, total: 0, historyUsers: 0 };
        const c = await withHeartbeat(
          () => ({ step: `ingest ${kind}`, file: basename(file), ...(at.total ? { rows: at.rows, totalRows: at.total } : {}), ...(at.historyUsers ? { historyUsers: at.historyUsers } : {}) }),
          () =>
            wh.exclusive(async () => {
              const r = await ingestFile(wh, kind, file, new Date(), { onProgress: (rows, total) => Object.assign(at, { rows, total }) });
              // The analysts' Parquet copies (rewritten if a retried attempt gets here again).
              if (kind === 'events') await copyToParquet(wh, 'exp_analytics_events_batch', { batch_id: r.sourceHash }, paths.eventsBatch(r.sourceHash));
              else await copyToParquet(wh, 'exp_analytics_catalog', {}, paths.catalog);
              if (r.quarantined > 0) await copyToParquet(wh, 'exp_analytics_quarantine_batch', { source_hash: r.sourceHash }, paths.quarantineBatch(r.sourceHash));
              if (kind === 'events') await dashboard.histories(wh, r.sourceHash, r.rowsRead, (n) => (at.historyUsers = n)); // the operators' user lookup
              return r;
            }),
        );
        out.push({ kind, rowsRead: c.rowsRead, ingested: c.ingested, duplicates: c.duplicates, quarantined: c.quarantined, alreadyIngested: c.alreadyIngested });
        progress({ step: `ingested ${kind}`, ...out[out.length - 1] });
      }
      await writeAnalystsDb(cfg.DATA_DIR).catch(() => undefined); // best effort: a reader may hold it
      return out;
    },
  };
}
