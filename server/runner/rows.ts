import type { ActionRow } from '../actions/rows.ts';
import type { ScheduleType } from '../actions/schemas.ts';
import type { RunningAction } from './handlers.ts';

/**
 * Glossary of the runner:
 * - claim: one statement moves due pending actions to in-progress and gives each a fresh claim token;
 * - claim token: a uuid that fences every later write about that run (settle, heartbeat, `fenced()`);
 * - lease: how long the claim holds without a heartbeat (`lease_expires_at`, database clock);
 * - outcome: what a run ended with (complete, retry, snooze, fail, give back), written in batches;
 * - settle: the batched statement that writes outcomes, fenced by id + token + in-progress;
 * - successor: the next instance of a recurring or cron series, inserted with the terminal outcome.
 */

/** The parts of a finished instance a successor is made from: the columns it copies. */
export type SeriesInstance = Pick<
  ActionRow,
  'id' | 'hook' | 'group_name' | 'args' | 'priority' | 'is_unique' | 'schedule_type' | 'schedule_interval' | 'schedule_cron' | 'scheduled_at' | 'max_attempts'
> & { series_failures: number };

/** A row as the claim statements return it (CLAIMED_COLUMNS in sql.ts). */
export interface ClaimedActionRow extends SeriesInstance {
  /** Already counts this run. */
  attempts: number;
  claim_token: string;
  snoozes: number;
  first_snoozed_at: Date | null;
  /** The database's now() at the claim. */
  started_at: Date;
}

/** What the reaper returns for each expired lease it handled (the series columns serve a successor). */
export interface ReapedActionRow extends SeriesInstance {
  status: 'pending' | 'failed';
  lease_expiries: number;
  db_now: number;
}

export function toRunningAction(row: ClaimedActionRow): RunningAction {
  return {
    id: row.id,
    hook: row.hook,
    group: row.group_name,
    argsText: row.args,
    args: JSON.parse(row.args) as unknown,
    priority: row.priority,
    attempt: row.attempts,
    maxAttempts: row.max_attempts,
    claimToken: row.claim_token,
    scheduledAt: row.scheduled_at,
  };
}

export function isRecurring(row: { schedule_type: ScheduleType }): boolean {
  return row.schedule_type === 'interval' || row.schedule_type === 'cron';
}
