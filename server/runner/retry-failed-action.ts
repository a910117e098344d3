import type { Database } from '../db/port.ts';
import { SQLSTATE, sqlState } from '../db/sqlstate.ts';
import type { SidecarEvents } from '../events.ts';
import { runnerStatements } from './sql.ts';

export type RetryResult = 'reset' | 'not_found' | 'not_failed' | 'blocked';

interface ResetRow {
  matched: number;
  reset: number;
  due_ms: number;
}

/** The filter of a bulk retry; null means any. */
export interface FailedFilter {
  hook: string | null;
  group: string | null;
  finishedSince: Date | null;
  finishedBefore: Date | null;
  limit: number;
}

export interface BulkRetryResult {
  retried: number;
  /** Failed unique actions matched but left failed: a twin is live (or newer among those retried). */
  blocked: number;
}

/** A concurrent enqueue of a unique twin refuses the whole reset; it is read again, and then skipped. */
const UNIQUE_RACE_ATTEMPTS = 3;

function announce(events: SidecarEvents, row: ResetRow): void {
  if (row.reset > 0) events.emit('actions:enqueued', { count: row.reset, earliestDueAt: row.due_ms });
}

/**
 * /retry: a failed action becomes pending now with a fresh attempt budget and a log line (the reset
 * statement, runner/sql.ts resetFailedActions, owns the transition for one action and for many). A
 * unique action whose twin is live cannot be pending beside it: 'blocked'.
 */
export async function retryFailedAction(params: { db: Database; events: SidecarEvents; id: number }): Promise<RetryResult> {
  const { db, events, id } = params;
  const sql = runnerStatements(db.schema);
  let row: ResetRow | undefined;
  try {
    ({ rows: [row] } = await db.query<ResetRow>(sql.resetFailedAction, [id]));
  } catch (error) {
    if (sqlState(error) === SQLSTATE.UNIQUE_VIOLATION) return 'blocked';
    throw error;
  }
  if (row !== undefined && row.reset > 0) {
    announce(events, row);
    return 'reset';
  }
  if (row !== undefined && row.matched > 0) return 'blocked';
  const found = await db.query(sql.selectActionStatus, [id]);
  return found.rows.length === 0 ? 'not_found' : 'not_failed';
}

/** POST /v1/actions/retry: reset up to `filter.limit` failed actions matching the filter, oldest first. */
export async function retryFailedActions(params: { db: Database; events: SidecarEvents; filter: FailedFilter }): Promise<BulkRetryResult> {
  const { db, events, filter } = params;
  const sql = runnerStatements(db.schema);
  const values = [filter.hook, filter.group, filter.finishedSince, filter.finishedBefore, filter.limit];
  for (let attempt = 1; ; attempt++) {
    try {
      const { rows } = await db.query<ResetRow>(sql.resetFailedActionsByFilter, values);
      const row = rows[0] ?? { matched: 0, reset: 0, due_ms: Date.now() };
      announce(events, row);
      return { retried: row.reset, blocked: row.matched - row.reset };
    } catch (error) {
      if (sqlState(error) !== SQLSTATE.UNIQUE_VIOLATION || attempt >= UNIQUE_RACE_ATTEMPTS) throw error;
    }
  }
}
