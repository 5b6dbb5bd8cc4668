// The API's last-resort list on disk: the popular head of the last version it loaded (ids, titles,
// genres), written on every load and read at start. An API that starts while Redis is down — or
// before any version is live in a Redis that lost its data — still answers a non-empty feed
// (source "fallback") as long as it once saw a catalog. Owned by the API (its own file under
// DATA_DIR/api/); it never reads the worker's run artifacts or the warehouse.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { VersionState } from './state';

export interface FallbackTitle {
  movie_id: string;
  title: string;
  genres: string[];
}

export interface FallbackList {
  version: string;
  saved_at: string;
  items: FallbackTitle[]; // most popular first
}

const schema = z.object({
  version: z.string(),
  saved_at: z.string(),
  items: z.array(z.object({ movie_id: z.string(), title: z.string(), genres: z.array(z.string()) })).min(1),
});

/** Write atomically (temp file + rename): a crash never leaves a half-written list. */
export function saveFallbackList(path: string, list: FallbackList): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(list));
  renameSync(tmp, path);
}

/** The saved list, or null when there is none or it does not parse (it is only a fallback). */
export function loadFallbackList(path: string): FallbackList | null {
  try {
    const r = schema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

/** The list in memory and on disk: read once when the app is built, rewritten on every version load. */
export class DiskFallback {
  /** The last saved list (null: no file given, none saved yet, or it did not parse). */
  list: FallbackList | null;

  constructor(
    /** null: keep no list on disk. */
    private readonly path: string | null,
    private readonly clock: () => number,
    private readonly onError: (e: unknown) => void,
  ) {
    this.list = path ? loadFallbackList(path) : null;
  }

  /** Keep the popular head of a version that just loaded (a version without one changes nothing). */
  remember(v: Pick<VersionState, 'version' | 'fallback' | 'items'>): void {
    if (!this.path || v.fallback.length === 0) return;
    this.list = { version: v.version, saved_at: new Date(this.clock()).toISOString(), items: v.fallback.map((i) => ({ movie_id: v.items[i].movie_id, title: v.items[i].title, genres: v.items[i].genres })) };
    try {
      saveFallbackList(this.path, this.list);
    } catch (e) {
      this.onError(e);
    }
  }
}
