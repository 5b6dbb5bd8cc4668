// The layering rules of eslint.config.js and the cycle check of scripts/check-cycles.ts, each
// shown to fire on a planted violation (linted as virtual text at a path inside the folder the
// rule guards) and to stay quiet on the real tree.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { checkCycles, findCycles, importsOf, sourceFiles } from '../../scripts/check-cycles';
import { ROOT as repoRoot } from '../helpers/paths';

const eslint = new ESLint({ cwd: repoRoot });

/** Layering errors (no-restricted-imports) that ESLint reports for `code` placed at `filePath`. */
async function layeringErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(repoRoot, filePath) });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('the layering lint', () => {
  const planted: [rule: string, file: string, code: string][] = [
    ['model/ does file I/O (node:fs)', 'model/planted.ts', "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n"],
    ['model/content/ does file I/O (fs/promises)', 'model/content/planted.ts', "import { readFile } from 'fs/promises';\nexport const f = readFile;\n"],
    ['model/ imports from storage/', 'model/planted.ts', "import { runDir } from '../storage/artifacts';\nexport const f = runDir;\n"],
    ['model/ imports a Redis client', 'model/planted.ts', "import { Redis } from 'ioredis';\nexport const f = Redis;\n"],
    ['model/ imports DuckDB', 'model/planted.ts', "import { DuckDBInstance } from '@duckdb/node-api';\nexport const f = DuckDBInstance;\n"],
    ['api/ imports DuckDB', 'api/planted.ts', "import { DuckDBInstance } from '@duckdb/node-api';\nexport const f = DuckDBInstance;\n"],
    ['api/ imports a warehouse wrapper', 'api/planted.ts', "import { Warehouse } from '../storage/duckdb';\nexport const f = Warehouse;\n"],
    ['api/ imports a run-artifact reader (storage/artifacts)', 'api/planted.ts', "import { readF32 } from '../storage/artifacts';\nexport const f = readF32;\n"],
    ['api/ imports a run-artifact reader (storage/run-data)', 'api/planted.ts', "import { runFiles } from '../storage/run-data';\nexport const f = runFiles;\n"],
    ['api/dashboard.ts imports @duckdb/* (no file of api/ is exempt)', 'api/dashboard.ts', "import { DuckDBInstance } from '@duckdb/node-api';\nexport const f = DuckDBInstance;\n"],
    ['api/dashboard.ts imports the analysts\' views (storage/analytics)', 'api/dashboard.ts', "import { openAnalytics } from '../storage/analytics';\nexport const f = openAnalytics;\n"],
    ['api/dashboard-data.ts imports a warehouse type (storage/duckdb)', 'api/dashboard-data.ts', "import type { Warehouse } from '../storage/duckdb';\nexport type W = Warehouse;\n"],
    ['api/ imports the worker\'s dashboard publisher', 'api/planted.ts', "import { dashboardPublisher } from '../storage/dashboard-publish';\nexport const f = dashboardPublisher;\n"],
    ['api/dashboard.ts imports a run-artifact reader', 'api/dashboard.ts', "import { runFiles } from '../storage/run-data';\nexport const f = runFiles;\n"],
    ['config.ts imports from api/', 'config.ts', "import { apiOptions } from './api/schemas';\nexport const f = apiOptions;\n"],
    ['a workflow imports a value from an activity file', 'workflows/planted.ts', "import { defaultParams } from '../activities/plan';\nexport const f = defaultParams;\n"],
    ['a workflow imports a value from the activities index', 'workflows/planted.ts', "import { createActivities } from '../activities';\nexport const f = createActivities;\n"],
    ['bench/ imports an activity', 'bench/planted.ts', "import { fitRetrieval } from '../activities/train';\nexport const f = fitRetrieval;\n"],
  ];
  for (const [rule, file, code] of planted) {
    it(`fails when ${rule}`, async () => {
      expect(await layeringErrors(file, code)).toHaveLength(1);
    });
  }

  it('lets workflows and benchmarks import activity types', async () => {
    expect(await layeringErrors('workflows/planted.ts', "import type { Activities } from '../activities';\nexport type A = Activities;\n")).toEqual([]);
    expect(await layeringErrors('bench/planted.ts', "import type { RetrainResult } from '../activities/types';\nexport type R = RetrainResult;\n")).toEqual([]);
  });

  it('passes on the real tree', async () => {
    const results = await eslint.lintFiles(['model', 'api', 'config.ts', 'config-serving.ts', 'workflows', 'bench']);
    const errors = results.flatMap((r) => r.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => `${r.filePath}:${m.line} ${m.message}`));
    expect(errors).toEqual([]);
  }, 60_000);
});

describe('the import-cycle check', () => {
  it('finds a cycle closed by a type-only import, and a dynamic one, and names its files from the first', async () => {
    const root = await mkdtemp(join(tmpdir(), 'cycles-'));
    try {
      await mkdir(join(root, 'a'));
      await writeFile(join(root, 'a', 'x.ts'), "import { y } from './y';\nexport const x = y;\n");
      await writeFile(join(root, 'a', 'y.ts'), "import type { Z } from '../z';\nexport const y = 1 as Z;\n");
      await writeFile(join(root, 'z.ts'), "export type Z = number;\nexport const load = () => import('./a/x');\n");
      await writeFile(join(root, 'free.ts'), "import { x } from './a/x';\nexport const f = x;\n");
      expect(sourceFiles(root)).toEqual(['a/x.ts', 'a/y.ts', 'free.ts', 'z.ts']);
      expect(importsOf(root, 'a/y.ts')).toEqual(['z.ts']);
      const { cycles, staleAllowed } = checkCycles(root, ['p.ts → q.ts']);
      expect(cycles).toEqual(['a/x.ts → a/y.ts → z.ts']);
      expect(staleAllowed).toEqual(['p.ts → q.ts']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('reports nothing for an acyclic graph and a self-import as a cycle', () => {
    expect(findCycles(new Map([['a', ['b']], ['b', ['c']], ['c', []]]))).toEqual([]);
    expect(findCycles(new Map([['a', ['a']]]))).toEqual([['a']]);
  });

  it('finds no cycle in the real tree beyond the allowed ones', () => {
    expect(checkCycles(repoRoot)).toEqual({ cycles: [], staleAllowed: [] });
  });
});
