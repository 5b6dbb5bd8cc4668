// Shared ending of `recs generate` and `recs import`: build a world directory with live progress
// on stderr (a bar on a TTY, a line every PROGRESS_LOG_SECONDS otherwise), print its manifest as
// JSON on stdout, and turn a failure into exit code 1.
import type { Config } from '../config';
import type { Manifest, WorldProgress } from '../data/world-dir';
import { createProgress, formatSeconds } from './progress';

export async function writeWorld(cfg: Config, verb: string, outDir: string, build: (progress: WorldProgress) => Promise<Manifest>): Promise<number> {
  const t0 = performance.now();
  const progress = createProgress({ unit: 'rows', everySeconds: cfg.PROGRESS_LOG_SECONDS });
  try {
    const manifest = await build(progress);
    progress.stop();
    console.error(`world written to ${outDir}: ${manifest.events} events, ${manifest.titles} titles, ${manifest.users} users in ${formatSeconds((performance.now() - t0) / 1000)}`);
    process.stdout.write(JSON.stringify(manifest, null, 2) + '\n');
    return 0;
  } catch (e) {
    progress.stop();
    console.error(`${verb} failed: ${(e as Error).message}`);
    return 1;
  }
}
