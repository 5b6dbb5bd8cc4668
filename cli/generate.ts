// `recs generate --preset tiny|demo|large --seed N [--users N] [--titles N] [--out DIR]`: write a synthetic world directory.
// Prints the manifest as JSON on stdout and progress on stderr (cli/world.ts). Exit codes: 0 ok, 1 failed, 2 bad arguments.
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../config';
import { PRESETS, generateWorld, type PresetName } from '../data/generator';
import { writeWorld } from './world';

const USAGE = `usage: recs generate --preset ${Object.keys(PRESETS).join('|')} --seed N [--users N] [--titles N] [--out DIR]
  --preset  world size: ${Object.entries(PRESETS).map(([k, p]) => `${k} (${p.users} users, ${p.titles} titles, ${p.days} days)`).join(', ')}
  --seed    non-negative integer; the same preset and seed give byte-identical files
  --users   override the preset's number of users (e.g. a smaller world of the large preset's kind)
  --titles  override the preset's number of titles
  --out     output directory (default: $DATA_DIR/worlds/<preset>-<seed>[-<users>x<titles>])`;

export default async function main(argv: string[]): Promise<number> {
  let values: { preset?: string; seed?: string; users?: string; titles?: string; out?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { preset: { type: 'string' }, seed: { type: 'string' }, users: { type: 'string' }, titles: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.error(USAGE);
    return 0;
  }
  const problems: string[] = [];
  if (!values.preset) problems.push('--preset is required');
  else if (!Object.hasOwn(PRESETS, values.preset)) problems.push(`unknown preset "${values.preset}"`);
  if (values.seed === undefined) problems.push('--seed is required');
  else if (!/^\d+$/.test(values.seed) || !Number.isSafeInteger(Number(values.seed))) problems.push(`--seed must be a non-negative integer, got "${values.seed}"`);
  for (const k of ['users', 'titles'] as const) {
    const v = values[k];
    if (v !== undefined && (!/^[1-9]\d*$/.test(v) || !Number.isSafeInteger(Number(v)))) problems.push(`--${k} must be a positive integer, got "${v}"`);
  }
  if (problems.length) {
    console.error(`${problems.join('; ')}\n${USAGE}`);
    return 2;
  }
  const preset = values.preset as PresetName;
  const seed = Number(values.seed);
  const cfg = loadConfigOrExit();
  const users = values.users === undefined ? undefined : Number(values.users);
  const titles = values.titles === undefined ? undefined : Number(values.titles);
  const size = users !== undefined || titles !== undefined ? `-${users ?? PRESETS[preset].users}x${titles ?? PRESETS[preset].titles}` : '';
  const outDir = values.out ? resolve(values.out) : join(cfg.DATA_DIR, 'worlds', `${preset}-${seed}${size}`);
  return writeWorld(cfg, 'generate', outDir, (progress) => generateWorld({ preset, seed, users, titles, outDir, progress }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
