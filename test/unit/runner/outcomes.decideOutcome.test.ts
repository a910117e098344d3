import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeaseLostError, PermanentError, SnoozeError } from '../../../server/runner/handlers.ts';
import type { HookPolicy } from '../../../server/hook-policies.ts';
import { decideOutcome, MAX_SNOOZES, settleRowOf, ShutdownError } from '../../../server/runner/outcomes.ts';
import type { ClaimedActionRow } from '../../../server/runner/rows.ts';

const policy: HookPolicy = { maxAttempts: 3, backoff: { baseSeconds: 10, maxSeconds: 3600, jitter: 0 }, timeoutSeconds: 300, concurrency: null, retentionDays: null };
const NOW = Date.parse('2026-01-01T12:00:00Z');

function row(overrides: Partial<ClaimedActionRow> = {}): ClaimedActionRow {
  return {
    id: 7, hook: 'h', group_name: '', args: '[]', priority: 10, is_unique: false, schedule_type: 'async', schedule_interval: null, schedule_cron: null,
    scheduled_at: new Date(NOW), attempts: 1, max_attempts: 3, claim_token: '00000000-0000-0000-0000-000000000000', snoozes: 0, first_snoozed_at: null,
    series_failures: 0, started_at: new Date(NOW), ...overrides,
  };
}

describe('decideOutcome', () => {
  it('completes when the handler resolved', () => {
    assert.deepEqual(decideOutcome({ row: row(), policy, nowMs: NOW }), { kind: 'complete' });
  });

  it('retries with the exponential backoff of the attempt while attempts are left', () => {
    assert.deepEqual(decideOutcome({ row: row({ attempts: 2 }), policy, error: new Error('boom'), nowMs: NOW }), { kind: 'retry', reason: 'boom', delaySeconds: 20 });
  });

  it('fails on the last attempt, and at once on a PermanentError', () => {
    assert.deepEqual(decideOutcome({ row: row({ attempts: 3 }), policy, error: new Error('boom'), nowMs: NOW }), { kind: 'fail', reason: 'boom' });
    assert.deepEqual(decideOutcome({ row: row({ attempts: 1 }), policy, error: new PermanentError('bad row'), nowMs: NOW }), { kind: 'fail', reason: 'bad row' });
  });

  it('snoozes without spending an attempt until 20 snoozes or 24 hours, then counts a failed attempt', () => {
    const snooze = new SnoozeError(30, 'later', true);
    assert.deepEqual(decideOutcome({ row: row(), policy, error: snooze, nowMs: NOW }), { kind: 'snooze', reason: 'later', delaySeconds: 30, pauseHook: true });
    assert.equal(decideOutcome({ row: row({ snoozes: MAX_SNOOZES }), policy, error: snooze, nowMs: NOW }).kind, 'retry');
    const dayOld = row({ snoozes: 3, first_snoozed_at: new Date(NOW - 24 * 3600 * 1000), attempts: 3 });
    assert.deepEqual(decideOutcome({ row: dayOld, policy, error: snooze, nowMs: NOW }), { kind: 'fail', reason: 'snoozed 3 times over 1440 min (limit 20 times or 24 h): later' });
  });

  it('writes nothing after a lost lease and gives the action back at shutdown', () => {
    assert.deepEqual(decideOutcome({ row: row(), policy, error: new LeaseLostError(7), nowMs: NOW }), { kind: 'lost' });
    assert.equal(decideOutcome({ row: row(), policy, error: new ShutdownError(), nowMs: NOW }).kind, 'give-back');
  });

  it('keeps reasons on one line and at most 1000 characters', () => {
    const outcome = decideOutcome({ row: row({ attempts: 3 }), policy, error: new Error(`line one\n   line two ${'x'.repeat(2000)}`), nowMs: NOW });
    assert.equal(outcome.kind, 'fail');
    const reason = (outcome as { reason: string }).reason;
    assert.equal(reason.length, 1000);
    assert.ok(reason.startsWith('line one line two x'));
    assert.ok(reason.endsWith('…'));
  });

  it('drops NUL characters from reasons, which PostgreSQL text cannot hold', () => {
    assert.deepEqual(decideOutcome({ row: row({ attempts: 3 }), policy, error: new Error('bad\u0000byte'), nowMs: NOW }), { kind: 'fail', reason: 'badbyte' });
  });

  it('keeps a handler’s snooze delay finite and within a week', () => {
    assert.equal((decideOutcome({ row: row(), policy, error: new SnoozeError(Number.NaN, 'x'), nowMs: NOW }) as { delaySeconds: number }).delaySeconds, 60);
    assert.equal((decideOutcome({ row: row(), policy, error: new SnoozeError(1e12, 'x'), nowMs: NOW }) as { delaySeconds: number }).delaySeconds, 7 * 86_400);
    assert.equal((decideOutcome({ row: row(), policy, error: new SnoozeError(-5, 'x'), nowMs: NOW }) as { delaySeconds: number }).delaySeconds, 0);
  });

  it('describes a non-Error throw by its text', () => {
    assert.deepEqual(decideOutcome({ row: row({ attempts: 3 }), policy, error: 'plain string', nowMs: NOW }), { kind: 'fail', reason: 'plain string' });
  });
});

describe('settleRowOf', () => {
  it('refunds the attempt of a snooze and of a give-back, never of a retry', () => {
    assert.equal(settleRowOf({ kind: 'snooze', reason: 'r', delaySeconds: 5, pauseHook: false }, row()).refund, 1);
    assert.equal(settleRowOf({ kind: 'give-back', reason: 'r' }, row()).refund, 1);
    assert.equal(settleRowOf({ kind: 'retry', reason: 'r', delaySeconds: 5 }, row()).refund, 0);
  });

  it('keeps the scheduled date of a give-back so it keeps its place in the order', () => {
    assert.equal(settleRowOf({ kind: 'give-back', reason: 'r' }, row()).delaySeconds, null);
  });
});
