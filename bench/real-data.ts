// The README's path on a real MovieLens export, as a new user would take it, with default settings
// and a fresh DATA_DIR: `recs import DIR` → a worker → `recs retrain --world … --wait` → the API →
// GET /home-feed for every user in the ratings file. Prints the retrain's status and gate reason and
// how many users got a non-empty feed; writes bench/results/real-data.json.
// Needs the services (npm run services:up). Nothing is downloaded: DIR is a local MovieLens folder
// (default ../shared/data/ml-latest-small-2016).
//
// Run: npm run bench:real-data [-- DIR] [--port 18181]
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const dir = resolve(args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--')) ?? join(ROOT, '..', 'shared', 'data', 'ml-latest-small-2016'));
const port = Number(flag('port') ?? 18181);
const t0 = performance.now();
const log = (m: string) => console.error(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${m}`);

const run = `rd${Date.now().toString(36)}`;
const env: Record<string, string> = {
  ...(process.env as Record<string, string>),
  DATA_DIR: mkdtempSync(join(tmpdir(), 'recs-real-data-')),
  REDIS_PREFIX: run,
  TEMPORAL_TASK_QUEUE: `recs-${run}`,
  PORT: String(port),
  ADMIN_TOKEN: process.env.ADMIN_TOKEN ?? `bench-${run}-token`,
};

function node(script: string, extra: string[], opts: { capture?: boolean } = {}): { proc: ChildProcess; output: () => string; done: Promise<{ code: number; out: string }> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, script), ...extra], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (opts.capture ? (out += d) : process.stderr.write(d)));
  return { proc, output: () => out, done: new Promise((r) => proc.on('exit', (code) => r({ code: code ?? 1, out }))) };
}

async function waitFor(ok: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await ok().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function main() {
  if (!existsSync(dir)) throw new Error(`no MovieLens folder at ${dir}`);
  const world = join(env.DATA_DIR, 'world');
  log(`recs import ${dir}`);
  const imp = await node('cli/index.ts', ['import', dir, '--out', world]).done;
  if (imp.code !== 0) throw new Error(`recs import exited ${imp.code}`);

  log('starting a worker');
  const worker = node('worker.ts', [], { capture: true });
  const api: { proc?: ChildProcess } = {};
  try {
    await waitFor(async () => {
      if (worker.proc.exitCode !== null) throw new Error(`the worker exited: ${worker.output().slice(-2000)}`);
      return /task queue/.test(worker.output());
    }, 60_000, 'the worker');
    log('recs retrain --wait (default settings)');
    const rt = await node('cli/index.ts', ['retrain', '--world', world, '--wait']).done;
    const jsonStart = rt.out.indexOf('{');
    const result = JSON.parse(rt.out.slice(jsonStart)) as { status: string; reason: string; version: string; users: number; gate: Record<string, unknown>; metrics: Record<string, Record<string, Record<string, number>>> };
    log(`retrain ${result.status} (exit ${rt.code}): ${result.reason}`);

    log(`starting the API on ${port}`);
    const a = node('api/server.ts', [], { capture: true });
    api.proc = a.proc;
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, 60_000, 'the API');

    const ratings = readFileSync(join(dir, 'ratings.csv'), 'utf8').split('\n').slice(1).filter(Boolean);
    const users = [...new Set(ratings.map((l) => l.split(',')[0]))];
    let nonEmpty = 0, personalized = 0, minItems = Infinity;
    const sources: Record<string, number> = {};
    for (const u of users) {
      const r = await fetch(`http://127.0.0.1:${port}/home-feed?user_id=${encodeURIComponent(u)}&limit=20`);
      const f = (await r.json()) as { items: unknown[]; source: string };
      if (r.status === 200 && f.items.length > 0) nonEmpty++;
      if (f.source === 'personalized') personalized++;
      sources[f.source] = (sources[f.source] ?? 0) + 1;
      minItems = Math.min(minItems, f.items.length);
    }
    log(`${nonEmpty} of ${users.length} users got a non-empty feed (fewest items: ${minItems}); sources ${JSON.stringify(sources)}`);
    const out = {
      date: new Date().toISOString(),
      script: 'npm run bench:real-data',
      dataset: basename(dir),
      retrain: { status: result.status, exitCode: rt.code, reason: result.reason, version: result.version, users: result.users, gate: result.gate, shipped: result.metrics.shipped?.all ?? null, popularity: result.metrics.popularity?.all ?? null, candidate: result.metrics.candidate?.all ?? null },
      feeds: { users: users.length, nonEmpty, personalized, minItems, sources },
      wallSeconds: (performance.now() - t0) / 1000,
    };
    const path = join(ROOT, 'bench', 'results', 'real-data.json');
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify(out, null, 1) + '\n');
    console.log(JSON.stringify({ status: out.retrain.status, reason: out.retrain.reason, feeds: out.feeds }, null, 1));
    log(`wrote ${path}`);
  } finally {
    api.proc?.kill('SIGTERM');
    worker.proc.kill('SIGTERM');
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
