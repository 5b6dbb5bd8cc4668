// publishVersion / expireOldVersions / rollbackVersion: the pointer flips. A version is only
// published (and registered for rollback) when every expected user's list is in Redis, and never
// over a live version with newer data; Redis being down is transient (plain throw → Temporal
// retries), a rollback target that is gone or data older than live's is bad input.
import { ApplicationFailure } from '@temporalio/activity';
import { analyticsPaths, copyToParquet, writeAnalystsDb } from '../storage/analytics';
import { dashboardPublisher } from '../storage/dashboard-publish';
import { PublishError, StaleVersionError } from '../storage/redis-versions';
import type { ActivityDeps } from './deps';
import { beat, progress } from './heartbeat';

export function createPublishActivities({ cfg, wh, redis, versions }: Pick<ActivityDeps, 'cfg' | 'wh' | 'redis' | 'versions'>) {
  const dashboard = dashboardPublisher(cfg, redis);
  return {
    async publishVersion(input: { version: string; expectedUsers: number }): Promise<{ previous: string | null }> {
      let r: { previous: string | null };
      try {
        r = await versions.publish(input.version, input.expectedUsers);
      } catch (e) {
        if (e instanceof StaleVersionError) throw ApplicationFailure.nonRetryable(e.message, 'StaleData');
        throw e;
      }
      await dashboard.audience(input.version); // the operators' title lookup (a retry re-flips to the same version: a no-op)
      await wh.exclusive(async () => {
        await wh.exec('upd_model_run_published', { version: input.version, now: new Date().toISOString() });
        await copyToParquet(wh, 'exp_analytics_model_run', { version: input.version }, analyticsPaths(cfg.DATA_DIR).run(input.version, 'model_runs'));
      });
      await dashboard.runs(wh);
      await writeAnalystsDb(cfg.DATA_DIR).catch(() => undefined); // best effort: a reader may hold it
      return r;
    },

    /** Heartbeats after every batch of keys, so a dead worker's expiry is retried (and resumes) quickly. */
    async expireOldVersions(): Promise<string[]> {
      progress({ step: 'expire', keep: cfg.KEEP_VERSIONS });
      return versions.expireOldVersions(cfg.KEEP_VERSIONS, cfg.OLD_VERSION_TTL_SECONDS, {
        abandonedAfterSeconds: cfg.ABANDONED_VERSION_SECONDS,
        // Log when a version's shard is done, beat on every batch.
        onProgress: (p) => (p.shard === null ? progress({ step: 'expire', ...p }) : beat({ step: 'expire', ...p })),
      });
    },

    async rollbackVersion(input: { toVersion?: string }): Promise<{ from: string | null; to: string }> {
      const live = await versions.live();
      const all = await versions.versions(); // newest first
      let target = input.toVersion;
      if (!target) {
        const i = live ? all.indexOf(live) : -1;
        target = all[i + 1];
        if (!target) throw ApplicationFailure.nonRetryable(`no version older than ${live ?? '(none)'} is kept; kept: ${all.join(', ') || 'none'}`, 'BadInput');
      }
      if (!all.includes(target)) throw ApplicationFailure.nonRetryable(`version ${target} is not kept in Redis; kept: ${all.join(', ') || 'none'}`, 'BadInput');
      const meta = await versions.meta(target);
      try {
        await versions.publish(target, Number(meta.n_users), 'rollback');
      } catch (e) {
        if (e instanceof PublishError) throw ApplicationFailure.nonRetryable(e.message, 'BadInput');
        throw e;
      }
      return { from: live, to: target };
    },
  };
}
