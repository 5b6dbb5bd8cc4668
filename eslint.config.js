import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const MODEL_MESSAGE = 'model/ is pure numerics: no file I/O, storage, Redis or DuckDB (put I/O in storage/)';
const MODEL_PATHS = ['fs', 'fs/promises', 'ioredis'].map((name) => ({ name, message: MODEL_MESSAGE }));
const MODEL_PATTERNS = [{ group: ['node:fs', 'node:fs/*', '**/storage', '**/storage/*', '@duckdb/*'], message: MODEL_MESSAGE }];

const API_MESSAGE = 'api/ never opens DuckDB or reads run artifacts; the pipeline publishes what the API needs to Redis';
const API_PATTERNS = [
  { group: ['@duckdb/*'], message: API_MESSAGE },
  { group: ['**/storage/artifacts', '**/storage/run-data', '**/storage/content-store', '**/storage/tf-models'], message: API_MESSAGE },
  // The warehouse wrappers and the worker's publishers (each opens DuckDB); type imports included.
  { group: ['**/storage/duckdb', '**/storage/analytics', '**/storage/ingest', '**/storage/events-stream', '**/storage/ranker-data', '**/storage/dashboard-publish'], message: API_MESSAGE },
];

const BENCH_NO_ACTIVITIES = { group: ['**/activities', '**/activities/*'], allowTypeImports: true, message: 'bench/ measures model/ and storage/ code, not activities' };

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', '.tools/**', 'bench/results/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', performance: 'readonly', SharedArrayBuffer: 'readonly', Atomics: 'readonly', AbortController: 'readonly', fetch: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  // ---- Layering (../shared/DESIGN.md, STYLE.md). test/unit/layering.test.ts plants a violation
  // of each rule and checks it fails; scripts/check-cycles.ts (also in `npm run lint`) forbids
  // import cycles.
  {
    // model/ is pure numerics and ML: no file I/O, no storage, no clients.
    files: ['model/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: MODEL_PATHS, patterns: MODEL_PATTERNS }] },
  },
  {
    // The API reads Redis and in-memory state; it never opens DuckDB or reads run artifacts. No
    // exceptions: the dashboard reads what the worker publishes (storage/dashboard-data.ts).
    files: ['api/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: API_PATTERNS }] },
  },
  {
    // Configuration is read by everyone; it imports nothing from the API.
    files: ['config.ts', 'config-serving.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['./api', './api/*'], message: 'config imports nothing from api/ (shared knobs live in config-serving.ts)' }] }] },
  },
  {
    // Workflows run in Temporal's deterministic sandbox: only types from activities.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: ['fs', 'ioredis'].map((name) => ({ name, message: 'workflows import activity types only' })), patterns: [
        { group: ['../activities', '../activities/*', '../storage/*', '../model/*'], allowTypeImports: true, message: 'workflows import activity types only' },
        { group: ['node:*', 'fs/*', '@duckdb/*'], message: 'workflows import activity types only' },
      ] }],
    },
  },
  {
    // Benchmarks measure model/ and storage/ code, not activities (types such as RetrainResult are fine).
    files: ['bench/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [BENCH_NO_ACTIVITIES] }] },
  },
);
