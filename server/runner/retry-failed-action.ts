import type { Database } from '../db/port.ts';
import { SQLSTATE, sqlState } from '../db/sqlstate.ts';
import type { SidecarEvents } from '../events.ts';
import { runnerStatements } from './sql.ts';

export type RetryResult = 'reset' | 'not_found' | 'not_failed' | 'blocked';

/**
 * /retry: a failed action becomes pending now with a fresh attempt budget and a log line (Action
 * Scheduler has no such thing: its failed actions stay failed). A unique action whose twin went live
 * meanwhile cannot be pending beside it: the partial unique index refuses, and so do we.
 */
export async function retryFailedAction(params: { db: Database; events: SidecarEvents; id: number }): Promise<RetryResult> {
  const { db, events, id } = params;
  const sql = runnerStatements(db.schema);
  let rows: Array<{ id: number; due_ms: number }>;
  try {
    ({ rows } = await db.query<{ id: number; due_ms: number }>(sql.resetFailedAction, [id]));
  } catch (error) {
    if (sqlState(error) === SQLSTATE.UNIQUE_VIOLATION) return 'blocked';
    throw error;
  }
  const reset = rows[0];
  if (reset !== undefined) {
    events.emit('actions:enqueued', { count: 1, earliestDueAt: reset.due_ms });
    return 'reset';
  }
  const found = await db.query(sql.selectActionStatus, [id]);
  return found.rows.length === 0 ? 'not_found' : 'not_failed';
}
