// The content → factor model stored with a version (runs/<version>/content/: model.json +
// weights.bin, tfjs layers format, written by the trainContent activity), and the one call the
// add-title path needs: a brand-new title's vector in that version's retrieval factor space.
import { join } from 'node:path';
import type { ContentModel } from '../model/content';
import { initTf } from '../model/tf-backend';
import type { Title } from '../model/types';
import { loadContentModel } from './tf-models';

export const contentDir = (versionDir: string) => join(versionDir, 'content');

/** Loaded models by directory, most recently used last; older ones are disposed beyond CACHE_SIZE. */
const cache = new Map<string, Promise<ContentModel>>();
const CACHE_SIZE = 3;

/** The version's content model (loaded once per directory; uses the live TF.js backend, initialising the default if none). */
export function loadVersionContentModel(versionDir: string): Promise<ContentModel> {
  const dir = contentDir(versionDir);
  let model = cache.get(dir);
  if (model) {
    cache.delete(dir);
  } else {
    model = initTf().then(() => loadContentModel(dir));
    model.catch(() => cache.delete(dir)); // a later call retries (e.g. the files were still being written)
  }
  cache.set(dir, model);
  while (cache.size > CACHE_SIZE) {
    const [oldest, p] = cache.entries().next().value as [string, Promise<ContentModel>];
    cache.delete(oldest);
    void p.then((m) => m.dispose(), () => undefined);
  }
  return model;
}

/**
 * A title's vector (k floats) in the retrieval factor space of the version whose run directory
 * is `versionDir` (DATA_DIR/runs/<version>), from its content alone: genres, year, duration,
 * tags and title words through the version's content model. Throws if the version has none
 * (trainContent did not run, e.g. a popularity-only version).
 */
export async function embedTitle(versionDir: string, title: Title): Promise<Float32Array> {
  const model = await loadVersionContentModel(versionDir);
  return model.embed([title]);
}
