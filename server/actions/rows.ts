import { RawJson } from '../raw-json.ts';
import type { Action, ActionStatus, ScheduleType } from './schemas.ts';

/** A row of `actions` as the store selects it (ACTION_COLUMNS). */
export interface ActionRow {
  id: number;
  hook: string;
  status: ActionStatus;
  /** Canonical JSON text. */
  args: string;
  group_name: string;
  priority: number;
  is_unique: boolean;
  schedule_type: ScheduleType;
  schedule_interval: number | null;
  schedule_cron: string | null;
  scheduled_at: Date;
  attempts: number;
  max_attempts: number;
  last_attempt_at: Date | null;
  claim_token: string | null;
  last_error: string | null;
}

export interface ActionLogRow {
  id: number;
  message: string;
  created_at: Date;
}

/** Seconds, as Action Scheduler's timestamps are. */
export function unixSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

export function toAction(row: ActionRow): Action {
  const timestamp = unixSeconds(row.scheduled_at);
  const schedule: Action['schedule'] = { type: row.schedule_type };
  if (row.schedule_type !== 'async') schedule.timestamp = timestamp;
  if (row.schedule_interval !== null) schedule.interval = row.schedule_interval;
  if (row.schedule_cron !== null) schedule.cron = row.schedule_cron;
  return {
    id: row.id,
    hook: row.hook,
    status: row.status,
    // The stored canonical text itself, written into the reply as it is: key order and literals kept.
    args: new RawJson(row.args),
    group: row.group_name,
    priority: row.priority,
    unique: row.is_unique,
    schedule,
    scheduled_date_gmt: row.scheduled_at.toISOString(),
    scheduled_timestamp: timestamp,
    attempts: row.attempts,
    max_attempts: row.max_attempts,
    last_attempt_gmt: row.last_attempt_at?.toISOString() ?? null,
    claim_id: row.claim_token,
    last_error: row.last_error,
  };
}

export function toActionLog(row: ActionLogRow): { id: number; message: string; date_gmt: string } {
  return { id: row.id, message: row.message, date_gmt: row.created_at.toISOString() };
}
