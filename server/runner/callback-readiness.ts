import type { Database } from '../db/port.ts';
import type { ReadinessCheck } from '../http/readiness.ts';
import { runnerStatements } from './sql.ts';

/** The count stops here: a readiness probe must stay cheap however long the queue has waited. */
export const WAITING_COUNT_CAP = 10_000;

/**
 * /readyz `wordpress_callback`, registered when WP_CALLBACK_URL is not set: hooks without a built-in
 * handler run in WordPress, so their actions wait, pending. Amber while any is due (the queue works;
 * the setting needs a human), like SMTP authentication failures.
 */
export function createCallbackReadinessCheck(params: { db: Database; handledHooks(): string[] }): ReadinessCheck {
  const sql = runnerStatements(params.db.schema);
  return async () => {
    const { rows } = await params.db.query<{ waiting: number }>(sql.countDueWithoutHandler, [params.handledHooks(), WAITING_COUNT_CAP], { prepare: true });
    const waiting = rows[0]?.waiting ?? 0;
    if (waiting === 0) return { status: 'ok', detail: 'WP_CALLBACK_URL is not set: actions of hooks without a built-in handler would wait, pending' };
    const count = waiting >= WAITING_COUNT_CAP ? `at least ${WAITING_COUNT_CAP}` : String(waiting);
    return {
      status: 'warn',
      detail: `${count} due action${waiting === 1 ? '' : 's'} wait${waiting === 1 ? 's' : ''} for WP_CALLBACK_URL (hooks without a built-in handler run in WordPress); set it and WP_CALLBACK_SECRET and they run`,
    };
  };
}
