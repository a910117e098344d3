import { nextCronRunAfter } from '../actions/schedules.ts';
import { insertActions, type EnqueueResult, type NewAction } from '../actions/store.ts';
import type { Queryable } from '../db/port.ts';
import type { RunnerStatements } from './sql.ts';
import type { SeriesInstance } from './rows.ts';

/**
 * Recurring and cron series (DESIGN.md §4.1): when an instance reaches its terminal status, its
 * successor is inserted in the same transaction, inheriting hook, args, group, priority, unique and
 * max_attempts. A series stops after SERIES_FAILURE_LIMIT consecutive failed instances (counted on
 * the rows, so it is the most recent ones); a lease expiry never stops it.
 */
export const SERIES_FAILURE_LIMIT = 5;

export const SERIES_STOPPED_MESSAGE = `series stopped: its last ${SERIES_FAILURE_LIMIT} instances failed in a row, so no next instance is scheduled`;

export interface FinishedInstance {
  instance: SeriesInstance;
  failed: boolean;
  /** Failed by the reaper: the series continues whatever its failure count. */
  byLeaseExpiry: boolean;
}

/**
 * When the successor falls due (epoch seconds), as Action Scheduler's `get_next(now)`: an instance run
 * after its date gets now + interval (or the first cron match after now); one run early (/run before
 * its date) keeps its own date. Null when a cron expression never matches again.
 */
export function successorDueAt(instance: SeriesInstance, nowSeconds: number): number | null {
  const scheduled = instance.scheduled_at.getTime() / 1000;
  if (nowSeconds <= scheduled) return scheduled;
  if (instance.schedule_type === 'interval') return nowSeconds + (instance.schedule_interval as number);
  return nextCronRunAfter(instance.schedule_cron as string, Math.floor(nowSeconds));
}

function successorOf(instance: SeriesInstance, at: number): NewAction {
  const schedule: NewAction['schedule'] =
    instance.schedule_type === 'interval'
      ? { type: 'interval', at, interval: instance.schedule_interval as number }
      : { type: 'cron', at, cron: instance.schedule_cron as string };
  return {
    hook: instance.hook,
    group: instance.group_name,
    argsText: instance.args,
    priority: instance.priority,
    unique: instance.is_unique,
    schedule,
    maxAttempts: instance.max_attempts,
  };
}

/**
 * Insert the successors of `finished` instances inside the caller's transaction (the one that gave them
 * their terminal status). Returns the enqueue results, to announce after commit.
 */
export async function insertSuccessors(tx: Queryable, schema: string, sql: RunnerStatements, finished: readonly FinishedInstance[], nowSeconds: number): Promise<EnqueueResult[]> {
  const items: NewAction[] = [];
  const failures: number[] = [];
  const sources: number[] = [];
  const logIds: number[] = [];
  const logMessages: string[] = [];
  for (const { instance, failed, byLeaseExpiry } of finished) {
    const seriesFailures = failed ? instance.series_failures + 1 : 0;
    if (failed && !byLeaseExpiry && seriesFailures >= SERIES_FAILURE_LIMIT) {
      logIds.push(instance.id);
      logMessages.push(SERIES_STOPPED_MESSAGE);
      continue;
    }
    const at = successorDueAt(instance, nowSeconds);
    if (at === null) {
      logIds.push(instance.id);
      logMessages.push('The cron expression never matches again. A new instance will not be scheduled.');
      continue;
    }
    items.push(successorOf(instance, at));
    failures.push(Math.min(seriesFailures, 32_767));
    sources.push(instance.id);
  }

  const results = items.length > 0 ? await insertActions(tx, schema, items) : [];
  const carried: Array<[number, number]> = [];
  results.forEach((result, index) => {
    const source = sources[index] as number;
    if (result.actionId > 0) {
      if ((failures[index] as number) > 0) carried.push([result.actionId, failures[index] as number]);
      return;
    }
    // A unique series whose twin is already live: that twin carries the series on.
    logIds.push(source);
    logMessages.push(`The next instance was not created: action ${result.existingActionId} with the same hook, args and group is already pending.`);
  });
  if (carried.length > 0) {
    await tx.query(sql.setSeriesFailures, [carried.map(([id]) => id), carried.map(([, n]) => n)]);
  }
  if (logIds.length > 0) await tx.query(sql.insertActionLogs, [logIds, logMessages]);
  return results;
}
