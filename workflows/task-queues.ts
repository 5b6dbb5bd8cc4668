// Workers by role: which task queue each activity runs on. The base queue (TEMPORAL_TASK_QUEUE)
// carries the workflows and the warehouse role (ingest, SQL, evaluation, publish bookkeeping: the
// steps that use the DuckDB warehouse, which one process owns); training and scoring have queues of
// their own, so a training machine and a pool of scoring workers are sized apart. Pure: imported by
// the workflows (to route) and by worker.ts (to register).
import type { Activities } from '../activities';

export const ROLES = ['warehouse', 'train', 'score'] as const;
export type Role = (typeof ROLES)[number];

/** Activities that run outside the warehouse role; every other activity is the warehouse's. */
export const ROLE_OF_ACTIVITY: Readonly<Partial<Record<keyof Activities, Exclude<Role, 'warehouse'>>>> = {
  trainRetrieval: 'train',
  trainRanker: 'train',
  trainContent: 'train',
  scoreShard: 'score',
};

export function roleOf(activity: string): Role {
  return (ROLE_OF_ACTIVITY as Record<string, Role | undefined>)[activity] ?? 'warehouse';
}

/** `<base>` for the warehouse role (and the workflows), `<base>-train`, `<base>-score`. */
export function roleQueue(base: string, role: Role): string {
  return role === 'warehouse' ? base : `${base}-${role}`;
}

/** Parse a `warehouse,train,score` list (WORKER_ROLES, `--roles`). */
export function parseRoles(s: string): Role[] {
  const roles = s.split(',').map((r) => r.trim()).filter(Boolean);
  const bad = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (bad.length || !roles.length) throw new RangeError(`roles must be a comma-separated subset of ${ROLES.join(',')}, got ${JSON.stringify(s)}`);
  return ROLES.filter((r) => roles.includes(r));
}
