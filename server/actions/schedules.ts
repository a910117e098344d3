import { Cron } from 'croner';
import { sidecarError } from '../errors.ts';

/**
 * Cron expressions as Action Scheduler reads them: 5 fields (minute hour day-of-month month
 * day-of-week) or 6 with a trailing year, or a macro (@daily…); evaluated in UTC; day-of-month and
 * day-of-week combine with OR, as in Vixie cron.
 */
function toCroner(expression: string): Cron {
  const fields = expression.trim().split(/\s+/);
  let pattern: string;
  let mode: '5-part' | '7-part' | 'auto';
  if (fields.length === 1 && fields[0]?.startsWith('@')) {
    pattern = fields[0];
    mode = 'auto';
  } else if (fields.length === 5) {
    pattern = fields.join(' ');
    mode = '5-part';
  } else if (fields.length === 6) {
    // Action Scheduler's sixth field is a year; croner's 7-part form is second … year.
    pattern = `0 ${fields.join(' ')}`;
    mode = '7-part';
  } else {
    throw sidecarError('invalid_cron', `The cron expression needs 5 fields (or 6 with a year), got ${fields.length}.`);
  }
  try {
    return new Cron(pattern, { timezone: 'UTC', paused: true, mode });
  } catch (error) {
    throw sidecarError('invalid_cron', `The cron expression is not valid: ${(error as Error).message}`);
  }
}

/**
 * The first match at or after `fromSeconds`, seconds truncated to the minute as Action Scheduler does.
 * Null when the expression never matches again (a past year, say).
 */
export function firstCronRunAtOrAfter(expression: string, fromSeconds: number): number | null {
  const job = toCroner(expression);
  const minuteStartMs = Math.floor(fromSeconds / 60) * 60_000;
  const next = job.nextRun(new Date(minuteStartMs - 1));
  return next === null ? null : Math.floor(next.getTime() / 1000);
}

/** The first match strictly after `afterSeconds`: the successor of a cron instance. */
export function nextCronRunAfter(expression: string, afterSeconds: number): number | null {
  const next = toCroner(expression).nextRun(new Date(afterSeconds * 1000));
  return next === null ? null : Math.floor(next.getTime() / 1000);
}
