// recs schedule create|pause|unpause|trigger|describe|delete: Temporal Schedules that start the
// pipeline's workflows on the configured task queue.
//
//   recs schedule create [--workflow retrain|drain-events] [--cron "0 3 * * *"] [--id ID] [--input JSON] [--paused] [--note TEXT]
//   recs schedule pause|unpause [--workflow W | --id ID] [--note TEXT]
//   recs schedule trigger [--workflow W | --id ID]       start a run now; prints its workflow id
//   recs schedule describe [--workflow W | --id ID]      spec, state, next and recent runs
//   recs schedule delete [--workflow W | --id ID]
// Every action takes --json: stdout is then one JSON value (describe: the summary below; the others:
// what they did), for scripts; progress notes always go to stderr.
//
// Decisions:
// - Default schedule id: `<TEMPORAL_TASK_QUEUE>-<workflow>`, i.e. `recs-retrain` and
//   `recs-drain-events` with the default queue. Two instances sharing one Temporal namespace
//   must already use different task queues (else their workers would take each other's tasks),
//   so the queue is what tells their schedules apart too.
// - Default cron: retrain `0 3 * * *` (daily, 03:00), drain-events `* * * * *` (every minute).
//   Cron expressions are evaluated in UTC.
// - Overlap policy SKIP: a time that comes while the previous run is still going is skipped
//   (one retrain or drain at a time; a long drain just keeps draining). `trigger` follows it too.
// - Catch-up window 10 minutes: after a Temporal outage, a run missed by less than that is still
//   started once; older ones are dropped (the next scheduled run does the same work).
// - Each run's workflow id is `<schedule id>-<scheduled time>` (Temporal appends the time).
// Exit codes: 0 done, 1 Temporal refused (no such schedule, already exists, bad cron), 2 usage.
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleDescription } from '@temporalio/client';
import { parseArgs } from 'node:util';
import { loadConfigOrExit, type Config } from '../config';
import { temporalClient } from '../storage/clients';
import { rootMessage } from '../storage/failure';
import { formatFields, formatTable, printOutput } from './table';

/** CLI name → workflow type registered by the worker (workflows/index.ts). */
export const SCHEDULED_WORKFLOWS = {
  retrain: { type: 'retrain', cron: '0 3 * * *' },
  'drain-events': { type: 'drainEvents', cron: '* * * * *' },
} as const;
type WorkflowName = keyof typeof SCHEDULED_WORKFLOWS;

export const CATCHUP_WINDOW = '10 minutes';
const ACTIONS = ['create', 'pause', 'unpause', 'trigger', 'describe', 'delete'] as const;
type Action = (typeof ACTIONS)[number];

export function defaultScheduleId(cfg: Pick<Config, 'TEMPORAL_TASK_QUEUE'>, workflow: WorkflowName): string {
  return `${cfg.TEMPORAL_TASK_QUEUE}-${workflow}`;
}

const USAGE = `usage: recs schedule create [--workflow retrain|drain-events] [--cron EXPR] [--id ID] [--input JSON] [--paused] [--note TEXT] [--json]
       recs schedule pause|unpause|trigger|describe|delete [--workflow retrain|drain-events | --id ID] [--note TEXT] [--json]`;

function usageError(msg: string): number {
  console.error(`recs schedule: ${msg}\n${USAGE}`);
  return 2;
}

/** The schedule as JSON an operator can read (the cron comes from the memo written at create). */
export function summarize(d: ScheduleDescription) {
  const run = (r: { workflow: { workflowId: string; firstExecutionRunId: string } }) => ({ workflowId: r.workflow.workflowId, runId: r.workflow.firstExecutionRunId });
  return {
    id: d.scheduleId,
    workflow: d.action.workflowType,
    taskQueue: d.action.taskQueue,
    input: d.action.args?.[0] ?? null,
    cron: (d.memo?.cron as string | undefined) ?? null,
    paused: d.state.paused,
    note: d.state.note ?? null,
    overlap: d.policies.overlap,
    catchupWindowSeconds: d.policies.catchupWindow / 1000,
    nextRuns: d.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()),
    recentRuns: d.info.recentActions.map((a) => ({ ...run(a.action), scheduledAt: a.scheduledAt.toISOString(), takenAt: a.takenAt.toISOString() })),
    running: d.info.runningActions.map(run),
    actionsTaken: d.info.numActionsTaken,
    skippedOverlap: d.info.numActionsSkippedOverlap,
    missedCatchupWindow: d.info.numActionsMissedCatchupWindow,
  };
}

/** describe's summary for people: the settings, then the recent runs as a table. */
function describeText(s: ReturnType<typeof summarize>): string {
  const { recentRuns, running, nextRuns, input, ...fields } = s;
  return [
    formatFields({ ...fields, input: input === null ? null : JSON.stringify(input), 'next runs': nextRuns.join(', '), running: running.map((r) => r.workflowId).join(', ') }),
    '',
    'recent runs:',
    formatTable(recentRuns, { columns: ['workflowId', 'scheduledAt', 'takenAt'] }),
  ].join('\n');
}

/** Print what an action did: its workflow id or schedule id as plain text, or a JSON object with --json. */
function done(json: boolean, result: { id: string; action: Action; workflowId?: string; skipped?: boolean }): void {
  printOutput(result, json, (r) => r.workflowId ?? r.id);
}

async function trigger(client: Client, id: string, json: boolean): Promise<number> {
  const handle = client.schedule.getHandle(id);
  const before = await handle.describe();
  await handle.trigger();
  // The server takes the action asynchronously: wait a little to report what happened.
  for (let i = 0; i < 50; i++) {
    const d = await handle.describe();
    if (d.info.numActionsTaken > before.info.numActionsTaken) {
      const last = d.info.recentActions[d.info.recentActions.length - 1];
      console.error(`triggered ${id}: started ${last.action.workflow.workflowId}`);
      done(json, { id, action: 'trigger', workflowId: last.action.workflow.workflowId });
      return 0;
    }
    if (d.info.numActionsSkippedOverlap > before.info.numActionsSkippedOverlap) {
      console.error(`triggered ${id}: skipped, a run is still going (overlap ${d.policies.overlap}): ${d.info.runningActions.map((r) => r.workflow.workflowId).join(', ')}`);
      if (json) done(json, { id, action: 'trigger', skipped: true });
      return 0;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  console.error(`triggered ${id}; no run has appeared yet (see recs schedule describe)`);
  if (json) done(json, { id, action: 'trigger' });
  return 0;
}

export default async function main(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  if (!action || action === '--help' || action === '-h') {
    console.log(USAGE);
    return action ? 0 : 2;
  }
  if (!(ACTIONS as readonly string[]).includes(action)) return usageError(`unknown action "${action}"`);
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: { workflow: { type: 'string' }, id: { type: 'string' }, cron: { type: 'string' }, input: { type: 'string' }, note: { type: 'string' }, paused: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
      strict: true,
    }));
  } catch (e) {
    return usageError((e as Error).message);
  }
  const workflow = (values.workflow ?? 'retrain') as WorkflowName;
  if (!(workflow in SCHEDULED_WORKFLOWS)) return usageError(`--workflow must be one of ${Object.keys(SCHEDULED_WORKFLOWS).join(', ')}, got "${values.workflow}"`);
  if (action !== 'create' && (values.cron || values.input || values.paused)) return usageError('--cron, --input and --paused only go with create');
  let input: Record<string, unknown> = {};
  if (values.input) {
    try {
      input = JSON.parse(values.input);
    } catch {
      return usageError(`--input is not JSON: ${values.input}`);
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return usageError('--input must be a JSON object (the workflow\'s input)');
  }
  const cfg = loadConfigOrExit();
  const id = values.id ?? defaultScheduleId(cfg, workflow);
  const { client, connection } = await temporalClient(cfg);
  try {
    const handle = client.schedule.getHandle(id);
    switch (action as Action) {
      case 'create': {
        const cron = values.cron ?? SCHEDULED_WORKFLOWS[workflow].cron;
        await client.schedule.create({
          scheduleId: id,
          spec: { cronExpressions: [cron] },
          action: { type: 'startWorkflow', workflowType: SCHEDULED_WORKFLOWS[workflow].type, workflowId: id, taskQueue: cfg.TEMPORAL_TASK_QUEUE, args: [input] },
          policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: CATCHUP_WINDOW, pauseOnFailure: false },
          memo: { cron, createdBy: 'recs schedule create' },
          state: { paused: values.paused, note: values.note ?? `created by recs schedule create (${workflow}, ${cron} UTC)` },
        });
        console.error(`created schedule ${id}: ${SCHEDULED_WORKFLOWS[workflow].type} on task queue ${cfg.TEMPORAL_TASK_QUEUE}, cron "${cron}" (UTC)${values.paused ? ', paused' : ''}`);
        done(values.json, { id, action: 'create' });
        return 0;
      }
      case 'pause':
        await handle.pause(values.note ?? 'paused by recs schedule pause');
        console.error(`paused ${id}`);
        if (values.json) done(true, { id, action: action as Action });
        return 0;
      case 'unpause':
        await handle.unpause(values.note ?? 'unpaused by recs schedule unpause');
        console.error(`unpaused ${id}`);
        if (values.json) done(true, { id, action: action as Action });
        return 0;
      case 'trigger':
        return await trigger(client, id, values.json);
      case 'describe':
        printOutput(summarize(await handle.describe()), values.json, describeText);
        return 0;
      case 'delete':
        await handle.delete();
        console.error(`deleted ${id}`);
        if (values.json) done(true, { id, action: action as Action });
        return 0;
    }
  } catch (e) {
    if (e instanceof ScheduleNotFoundError) console.error(`recs schedule ${action}: no schedule "${id}" (create it with: recs schedule create --workflow ${workflow})`);
    else if (e instanceof ScheduleAlreadyRunning) console.error(`recs schedule create: schedule "${id}" already exists (recs schedule describe --id ${id}; delete it first to change it)`);
    else console.error(`recs schedule ${action} ${id}: ${rootMessage(e)}`);
    return 1;
  } finally {
    await connection.close();
  }
}
