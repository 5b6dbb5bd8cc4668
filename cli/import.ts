// `recs import DIR [--out OUT]`: convert a MovieLens release (ml-latest/ml-25m, ml-1m, ml-100k) into
// a world directory (movies.csv + events.parquet, read and written by DuckDB). Prints the manifest
// as JSON on stdout and progress on stderr (cli/world.ts).
// Exit codes: 0 ok, 1 failed (e.g. not a MovieLens directory), 2 bad arguments.
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../config';
import { importMovieLens } from '../data/movielens';
import { writeWorld } from './world';

const USAGE = `usage: recs import DIR [--out OUT]
  DIR    a MovieLens release: ratings.csv + movies.csv [+ tags.csv], ratings.dat + movies.dat, or u.data + u.item
  --out  output directory (default: $DATA_DIR/worlds/movielens-<basename of DIR>)`;

export default async function main(argv: string[]): Promise<number> {
  let values: { out?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
    }));
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.error(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    console.error(`${positionals.length === 0 ? 'the MovieLens directory is required' : `expected one directory, got ${positionals.length}`}\n${USAGE}`);
    return 2;
  }
  const inDir = resolve(positionals[0]);
  const cfg = loadConfigOrExit();
  const outDir = values.out ? resolve(values.out) : join(cfg.DATA_DIR, 'worlds', `movielens-${basename(inDir)}`);
  return writeWorld(cfg, 'import', outDir, (progress) => importMovieLens(inDir, outDir, progress));
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
