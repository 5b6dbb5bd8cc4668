// vitest globalSetup: bundle workflows/ once per test run and point every worker at it
// (WORKFLOW_BUNDLE_PATH, config.ts): the forks and the worker processes the tests spawn inherit
// the variable. Built from this checkout's code at the start of each run, so it is never stale.
import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// worker.ts's WORKFLOWS_PATH, without importing the worker's module graph into vitest's main process.
const WORKFLOWS_PATH = join(dirname(fileURLToPath(import.meta.url)), '../../workflows/index.ts');

export default async function setup(): Promise<() => void> {
  if (process.env.WORKFLOW_BUNDLE_PATH) return () => undefined; // the caller brought one
  const dir = mkdtempSync(join(tmpdir(), 'recs-workflow-bundle-'));
  const path = join(dir, 'workflow-bundle.js');
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH });
  writeFileSync(path, code);
  process.env.WORKFLOW_BUNDLE_PATH = path;
  return () => {
    delete process.env.WORKFLOW_BUNDLE_PATH;
    rmSync(dir, { recursive: true, force: true });
  };
}
