import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Database } from '../../../server/db/port.ts';
import { createReadiness } from '../../../server/http/readiness.ts';
import type { QueueDepth } from '../../../server/runner/queue-depth.ts';
import { createStatusReporter } from '../../../server/status/status.ts';

function reporterWith(db: Pick<Database, 'query' | 'schema'>, depth: QueueDepth, clock: { now: number }) {
  const readiness = createReadiness();
  readiness.register('database', async () => {
    await db.query('SELECT 1');
    return { status: 'ok' };
  });
  return createStatusReporter({
    db: db as Database, readiness, depth, notificationsEnabled: true, sourceTable: 'public.class_change_logs',
    processLockKey: 'wecoza_ai_summary_lock', enrichHook: 'wecoza_enrich_notification', now: () => clock.now, cacheMs: 5_000,
  });
}

describe('createStatusReporter', () => {
  it('answers the readiness checks with null numbers when the database cannot be read', async () => {
    const down = { schema: '"sidecar"', query: async () => { throw new Error('connect ECONNREFUSED 127.0.0.1:5432'); } };
    const depth: QueueDepth = { snapshot: async () => { throw new Error('connect ECONNREFUSED'); } };
    const status = await reporterWith(down, depth, { now: 1_000 }).status();
    assert.equal(status.readiness.status, 'not_ready');
    assert.equal(status.readiness.checks.database?.status, 'fail');
    assert.match(status.readiness.checks.database?.detail ?? '', /ECONNREFUSED/);
    assert.deepEqual([status.actions, status.notifications], [null, null]);
  });

  it('builds once per cache period, and shares one build between concurrent callers', async () => {
    let statements = 0;
    const db = {
      schema: '"sidecar"',
      query: async (text: string) => {
        if (text !== 'SELECT 1') statements += 1;
        return { rows: [{ cursor_log_id: '7', cursor_updated_at: new Date(0), pass_started_at: null, pass_expires_at: null, passes: null, pass_running: null, sent_24h: 3, failed_24h: 0, ai_paused_until: null }], rowCount: 1 };
      },
    };
    const depth: QueueDepth = { snapshot: async () => ({ byHook: [{ hook: 'a', pending: 2, in_progress: 1, past_due: 1 }, { hook: 'b', pending: 3, in_progress: 0, past_due: 0 }], oldestDueAge: 4, capped: false, takenAt: 0 }) };
    const clock = { now: 10_000 };
    const reporter = reporterWith(db as unknown as Database, depth, clock);
    const [first, second] = await Promise.all([reporter.status(), reporter.status()]);
    assert.equal(statements, 1);
    assert.equal(first, second);
    assert.deepEqual([first.actions?.pending, first.actions?.in_progress, first.actions?.past_due], [5, 1, 1]);
    assert.deepEqual([first.notifications?.cursor?.log_id, first.notifications?.last_pass, first.notifications?.emails_last_24h.sent], [7, null, 3]);
    clock.now += 4_999;
    await reporter.status();
    assert.equal(statements, 1);
    clock.now += 2;
    await reporter.status();
    assert.equal(statements, 2);
  });
});
