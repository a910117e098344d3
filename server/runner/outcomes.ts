import { coerceError } from '../errors.ts';
import { LeaseLostError, PermanentError, SnoozeError } from './handlers.ts';
import { backoffSeconds, type HookPolicy } from '../hook-policies.ts';
import type { ClaimedActionRow } from './rows.ts';

/**
 * What a run ends with, decided in one place from the handler's result, and how each outcome is
 * written (status, date, attempt refund, log line). Pure: the runner and the tests share it.
 */
export type Outcome =
  | { kind: 'complete' }
  | { kind: 'fail'; reason: string }
  | { kind: 'retry'; reason: string; delaySeconds: number }
  | { kind: 'snooze'; reason: string; delaySeconds: number; pauseHook: boolean }
  | { kind: 'give-back'; reason: string }
  /** The claim was lost to another worker: write nothing. */
  | { kind: 'lost' };

/** Action Scheduler-like snooze limits: past either, a snooze counts as a failed attempt. */
export const MAX_SNOOZES = 20;
export const MAX_SNOOZE_SPAN_MS = 24 * 3600 * 1000;
/** Reasons land in logs and `last_error`; a remote's whole error page does not. */
export const MAX_REASON_LENGTH = 1000;

export function truncateReason(text: string, max = MAX_REASON_LENGTH): string {
  // PostgreSQL text cannot hold NUL: one such message would make its whole settle batch fail.
  const single = text.replace(/\u0000/g, '').replace(/\s+/g, ' ').trim();
  return single.length <= max ? single : `${single.slice(0, max - 1)}…`;
}

/** Why the runner aborted a handler: its execution timeout or the process shutting down. */
export class ExecutionTimeoutError extends Error {
  constructor(readonly seconds: number) {
    super(`timed out after ${seconds} s`);
    this.name = 'ExecutionTimeoutError';
  }
}

export class ShutdownError extends Error {
  constructor() {
    super('the worker shut down before the action finished');
    this.name = 'ShutdownError';
  }
}

/** Delays come from handlers (SnoozeError) too: keep them finite and within a week. */
export function sanitizeDelay(seconds: number): number {
  return Number.isFinite(seconds) ? Math.min(Math.max(seconds, 0), 7 * 86_400) : 60;
}

/** A failed attempt: retry while attempts are left, unless the error says it is permanent. */
function failedAttempt(row: ClaimedActionRow, policy: HookPolicy, reason: string, permanent: boolean, random?: () => number): Outcome {
  if (permanent || row.attempts >= row.max_attempts) return { kind: 'fail', reason };
  return { kind: 'retry', reason, delaySeconds: sanitizeDelay(backoffSeconds(policy.backoff, row.attempts, random)) };
}

export interface DecideInput {
  row: ClaimedActionRow;
  policy: HookPolicy;
  /** undefined when the handler resolved. */
  error?: unknown;
  nowMs: number;
  random?: () => number;
}

/** The outcome of a settled handler (or of the runner's own timeout / shutdown). */
export function decideOutcome({ row, policy, error, nowMs, random }: DecideInput): Outcome {
  if (error === undefined) return { kind: 'complete' };
  if (error instanceof LeaseLostError) return { kind: 'lost' };
  if (error instanceof ShutdownError) return { kind: 'give-back', reason: error.message };
  if (error instanceof SnoozeError) {
    const reason = truncateReason(error.message || 'snoozed');
    const snoozedFor = row.first_snoozed_at === null ? 0 : nowMs - row.first_snoozed_at.getTime();
    if (row.snoozes >= MAX_SNOOZES || snoozedFor >= MAX_SNOOZE_SPAN_MS) {
      const limit = `snoozed ${row.snoozes} times over ${Math.round(snoozedFor / 60_000)} min (limit ${MAX_SNOOZES} times or 24 h)`;
      return failedAttempt(row, policy, truncateReason(`${limit}: ${reason}`), false, random);
    }
    return { kind: 'snooze', reason, delaySeconds: sanitizeDelay(error.seconds), pauseHook: error.pauseHook };
  }
  const coerced = coerceError(error);
  return failedAttempt(row, policy, truncateReason(coerced.message || coerced.name), error instanceof PermanentError, random);
}

/** One row of the settle statement's arrays. */
export interface SettleRow {
  status: 'complete' | 'failed' | 'pending';
  /** null keeps the scheduled date (give back: the action keeps its place in the order). */
  delaySeconds: number | null;
  refund: 0 | 1;
  snoozed: boolean;
  message: string;
  error: string | null;
}

function seconds(value: number): string {
  return value < 10 ? value.toFixed(1).replace(/\.0$/, '') : String(Math.round(value));
}

/** How an outcome is written. `lost` is never written. */
export function settleRowOf(outcome: Exclude<Outcome, { kind: 'lost' }>, row: ClaimedActionRow): SettleRow {
  switch (outcome.kind) {
    case 'complete':
      return { status: 'complete', delaySeconds: null, refund: 0, snoozed: false, message: 'action complete via Sidecar', error: null };
    case 'fail':
      return { status: 'failed', delaySeconds: null, refund: 0, snoozed: false, message: `action failed via Sidecar: ${outcome.reason}`, error: outcome.reason };
    case 'retry':
      return {
        status: 'pending',
        delaySeconds: outcome.delaySeconds,
        refund: 0,
        snoozed: false,
        message: `attempt ${row.attempts} of ${row.max_attempts} failed via Sidecar: ${outcome.reason}; retrying in ${seconds(outcome.delaySeconds)} s`,
        error: outcome.reason,
      };
    case 'snooze':
      return {
        status: 'pending',
        delaySeconds: outcome.delaySeconds,
        refund: 1,
        snoozed: true,
        message: `action snoozed via Sidecar for ${seconds(outcome.delaySeconds)} s without spending an attempt (snooze ${row.snoozes + 1} of ${MAX_SNOOZES})${outcome.pauseHook ? ', hook paused' : ''}: ${outcome.reason}`,
        error: null,
      };
    case 'give-back':
      return { status: 'pending', delaySeconds: null, refund: 1, snoozed: false, message: `action returned to the queue without spending an attempt: ${outcome.reason}`, error: null };
  }
}

/** Terminal outcomes end an instance: a recurring series gets its successor then. */
export function isTerminal(outcome: Outcome): boolean {
  return outcome.kind === 'complete' || outcome.kind === 'fail';
}
