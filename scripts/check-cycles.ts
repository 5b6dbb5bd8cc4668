// Import-cycle check, run by `npm run lint`: walks every relative import of the project's .ts
// files — static, type-only, re-exports and dynamic import() alike, as TypeScript's own
// pre-processor reads them — and fails naming each cycle it finds. A cycle that only types
// close still couples the two files' reasons to change, so it counts too.
//
//   tsx scripts/check-cycles.ts [root]     exit 0: none; exit 1: cycles printed one per line
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** Folders never walked. */
const SKIP_DIRS = new Set(['node_modules', '.data', '.tools', '.git', 'dist', 'results']);

/**
 * Cycles allowed for now, each as its files in import order from the alphabetically first,
 * joined by " → ". Every entry names who removes it; an entry that no longer matches fails.
 */
export const ALLOWED_CYCLES: readonly string[] = [];

/** Every .ts file under root (relative, '/'-separated), minus SKIP_DIRS. */
export function sourceFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (!SKIP_DIRS.has(name)) walk(path);
      } else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(relative(root, path).split('\\').join('/'));
    }
  };
  walk(root);
  return out;
}

/** Relative imports of one file, resolved to project files (x → x.ts, x.ts, x/index.ts). */
export function importsOf(root: string, file: string, text = readFileSync(join(root, file), 'utf8')): string[] {
  const info = ts.preProcessFile(text, true, true);
  const out = new Set<string>();
  for (const ref of info.importedFiles) {
    const spec = ref.fileName;
    if (!spec.startsWith('./') && !spec.startsWith('../')) continue;
    const base = resolve(root, dirname(file), spec);
    const hit = [base, `${base}.ts`, join(base, 'index.ts')].find((p) => p.endsWith('.ts') && existsSync(p));
    if (hit) out.add(relative(root, hit).split('\\').join('/'));
  }
  return [...out].sort();
}

/**
 * Elementary cycles of the import graph, one per strongly connected component's shortest loop
 * through its first file, each rotated to start at its alphabetically first file.
 * (One loop per component is enough to fail the check and to point at the files.)
 */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  // Tarjan's strongly connected components.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(comp.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);

  // Shortest loop from each component's first file back to itself (BFS inside the component).
  return components
    .map((comp) => {
      const inComp = new Set(comp);
      const start = comp[0];
      const prev = new Map<string, string>();
      const queue = [start];
      let end: string | undefined;
      for (let q = 0; q < queue.length && end === undefined; q++) {
        for (const w of graph.get(queue[q]) ?? []) {
          if (!inComp.has(w)) continue;
          if (w === start) {
            end = queue[q];
            break;
          }
          if (!prev.has(w)) {
            prev.set(w, queue[q]);
            queue.push(w);
          }
        }
      }
      const loop = [end!];
      while (loop[0] !== start) loop.unshift(prev.get(loop[0])!);
      return loop;
    })
    .sort((a, b) => a[0].localeCompare(b[0]));
}

/** The project's import graph and its cycles, minus the allowed ones (and allowed ones that are gone). */
export function checkCycles(root: string, allowed: readonly string[] = ALLOWED_CYCLES): { cycles: string[]; staleAllowed: string[] } {
  const graph = new Map(sourceFiles(root).map((f) => [f, importsOf(root, f)] as const));
  const found = findCycles(graph).map((c) => c.join(' → '));
  return { cycles: found.filter((c) => !allowed.includes(c)), staleAllowed: allowed.filter((c) => !found.includes(c)) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
  const { cycles, staleAllowed } = checkCycles(root);
  for (const c of cycles) console.error(`import cycle: ${c} → (back to the first)`);
  for (const c of staleAllowed) console.error(`allowed cycle no longer exists, remove it from ALLOWED_CYCLES in scripts/check-cycles.ts: ${c}`);
  if (cycles.length || staleAllowed.length) process.exit(1);
  console.info('no import cycles');
}
