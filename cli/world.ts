// Shared ending of `recs generate` and `recs import`: build a world directory with progress on
// stderr, print its manifest as JSON on stdout, and turn a failure into exit code 1.
import type { Manifest } from '../data/csv';

export async function writeWorld(verb: string, outDir: string, build: (onProgress: (msg: string) => void) => Promise<Manifest>): Promise<number> {
  try {
    const manifest = await build((msg) => console.error(msg));
    console.error(`world written to ${outDir}`);
    process.stdout.write(JSON.stringify(manifest, null, 2) + '\n');
    return 0;
  } catch (e) {
    console.error(`${verb} failed: ${(e as Error).message}`);
    return 1;
  }
}
