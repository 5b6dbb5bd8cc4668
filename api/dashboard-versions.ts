// The dashboard's version panel: the live version and the others Redis still holds (rollback
// targets), read from the version registry the publish step writes.
import { num, str } from './dashboard-runs';
import { metaValue } from './state';

export interface VersionReader {
  live(): Promise<string | null>;
  versions(): Promise<string[]>;
  meta(version: string): Promise<Record<string, string>>;
}

export interface VersionRow {
  version: string;
  role: 'live' | 'rollback';
  model: string | null;
  data_as_of: string | null;
  created_at: string | null;
  published_at: string | null;
  rolled_back_to_at: string | null;
  n_users: number | null;
  n_items: number | null;
  ndcg_10: number | null;
}

export interface VersionPanel {
  live: string | null;
  /** What this API instance serves right now (lags `live` for a moment after a flip). */
  serving: string | null;
  versions: VersionRow[];
  error?: string;
}

/** The live version and the others still in Redis (what a rollback can flip to), newest first. */
export async function readVersionPanel(r: VersionReader): Promise<Omit<VersionPanel, 'serving'>> {
  const [live, all] = await Promise.all([r.live(), r.versions()]);
  const ids = live && !all.includes(live) ? [live, ...all] : all;
  const metas = await Promise.all(ids.map((v) => r.meta(v)));
  return {
    live,
    versions: ids.map((version, i) => {
      const m = metas[i];
      const metrics = metaValue(m, 'metrics') as Record<string, unknown> | null;
      return {
        version,
        role: version === live ? 'live' : 'rollback',
        model: str(metaValue(m, 'model')),
        data_as_of: str(metaValue(m, 'data_as_of')),
        created_at: str(metaValue(m, 'created_at')),
        published_at: str(metaValue(m, 'published_at')),
        rolled_back_to_at: str(metaValue(m, 'rolled_back_to_at')),
        n_users: num(metaValue(m, 'n_users')),
        n_items: num(metaValue(m, 'n_items')),
        ndcg_10: metrics && typeof metrics === 'object' ? num(metrics.ndcg_10) : null,
      };
    }),
  };
}
