import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Database } from '../../../server/db/port.ts';
import { SERIES_STOPPED_MESSAGE } from '../../../server/runner/successors.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { actionState, logMessages, startTestRunner, waitFor } from '../../support/runner.ts';

interface SeriesRow {
  id: number;
  status: string;
  scheduled_at: Date;
  priority: number;
  args: string;
  group_name: string;
  is_unique: boolean;
  max_attempts: number;
  schedule_type: string;
  schedule_interval: number | null;
  schedule_cron: string | null;
  series_failures: number;
}

async function seriesOf(db: Database, hook: string): Promise<SeriesRow[]> {
  const { rows } = await db.query<SeriesRow>(
    `SELECT id, status, scheduled_at, priority, args, group_name, is_unique, max_attempts, schedule_type, schedule_interval, schedule_cron, series_failures
     FROM ${db.schema}.actions WHERE hook = $1 ORDER BY id`,
    [hook],
  );
  return rows;
}

async function dbNowSeconds(db: Database): Promise<number> {
  const { rows } = await db.query<{ now: number }>('SELECT extract(epoch FROM now())::float8 AS now');
  return rows[0]?.now as number;
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

describeEachDatabase('runner recurring series', import.meta.url, (ctx) => {
  it('schedules the successor of an interval instance at now + interval, inheriting what it was enqueued with', async () => {
    const t = await startTestRunner(ctx.db, { handlers: { hourly: async () => undefined } });
    try {
      const [id] = await t.enqueue([
        { hook: 'hourly', argsText: '{"b":2,"a":1.50}', group: 'reports', priority: 3, unique: true, maxAttempts: 2, schedule: { type: 'interval', at: nowSeconds() - 60, interval: 3600 } },
      ]);
      const series = await waitFor(async () => {
        const rows = await seriesOf(ctx.db, 'hourly');
        return rows.length === 2 && rows;
      }, { what: 'the successor' });
      const [first, next] = series as [SeriesRow, SeriesRow];
      assert.equal(first.id, id);
      assert.equal(first.status, 'complete');
      assert.equal(next.status, 'pending');
      const expected = (await dbNowSeconds(ctx.db)) + 3600;
      assert.ok(Math.abs(next.scheduled_at.getTime() / 1000 - expected) < 5, `successor at ${next.scheduled_at.toISOString()}`);
      assert.deepEqual(
        { priority: next.priority, args: next.args, group: next.group_name, unique: next.is_unique, maxAttempts: next.max_attempts, type: next.schedule_type, interval: next.schedule_interval },
        { priority: 3, args: '{"b":2,"a":1.50}', group: 'reports', unique: true, maxAttempts: 2, type: 'interval', interval: 3600 },
      );
      assert.equal(next.series_failures, 0);
    } finally {
      await t.stop();
    }
  });

  it('keeps the scheduled date for the successor of an interval instance run early', async () => {
    const t = await startTestRunner(ctx.db, { handlers: { early: async () => undefined }, start: false });
    try {
      const due = nowSeconds() + 7200;
      const [id] = await t.enqueue([{ hook: 'early', schedule: { type: 'interval', at: due, interval: 86_400 } }]);
      assert.equal(await t.runner.runNow(id as number), 'finished');
      const [first, next] = (await seriesOf(ctx.db, 'early')) as [SeriesRow, SeriesRow];
      assert.equal(first.status, 'complete');
      assert.equal(next.status, 'pending');
      assert.equal(next.scheduled_at.getTime(), due * 1000);
    } finally {
      await t.stop();
    }
  });

  it('schedules a cron successor at the first match after now', async () => {
    const t = await startTestRunner(ctx.db, { handlers: { nightly: async () => undefined } });
    try {
      await t.enqueue([{ hook: 'nightly', schedule: { type: 'cron', at: nowSeconds() - 120, cron: '0 0 * * *' } }]);
      const series = await waitFor(async () => {
        const rows = await seriesOf(ctx.db, 'nightly');
        return rows.length === 2 && rows;
      }, { what: 'the successor' });
      const next = series[1] as SeriesRow;
      const nextMidnight = Math.ceil((await dbNowSeconds(ctx.db)) / 86_400) * 86_400;
      assert.equal(next.scheduled_at.getTime() / 1000, nextMidnight);
      assert.equal(next.schedule_cron, '0 0 * * *');
    } finally {
      await t.stop();
    }
  });

  it('inserts the successor when the instance ends, not after each failed attempt', async () => {
    const t = await startTestRunner(ctx.db, {
      config: { retryPolicies: { wobbly: { backoff: { base_seconds: 3600, max_seconds: 3600, jitter: 0 } } } },
      handlers: { wobbly: async () => Promise.reject(new Error('down')) },
      start: false,
    });
    try {
      const [id] = await t.enqueue([{ hook: 'wobbly', maxAttempts: 2, schedule: { type: 'interval', at: nowSeconds() - 10, interval: 600 } }]);
      assert.equal(await t.runner.runNow(id as number), 'finished');
      assert.equal((await seriesOf(ctx.db, 'wobbly')).length, 1, 'a retried attempt has no successor');
      assert.equal(await t.runner.runNow(id as number), 'finished');
      const [first, next] = (await seriesOf(ctx.db, 'wobbly')) as [SeriesRow, SeriesRow];
      assert.equal(first.status, 'failed');
      assert.equal(next.status, 'pending');
      assert.equal(next.series_failures, 1);
    } finally {
      await t.stop();
    }
  });

  it('stops a series after its 5th consecutive failed instance, with a log line', async () => {
    const t = await startTestRunner(ctx.db, { handlers: { doomed: async () => Promise.reject(new Error('still broken')) }, start: false });
    try {
      const [id] = await t.enqueue([{ hook: 'doomed', schedule: { type: 'interval', at: nowSeconds() - 10, interval: 60 } }]);
      // Three earlier instances failed in a row.
      await ctx.db.query(`UPDATE ${ctx.db.schema}.actions SET series_failures = 3 WHERE id = $1`, [id]);
      assert.equal(await t.runner.runNow(id as number), 'finished');
      const fourth = await seriesOf(ctx.db, 'doomed');
      assert.equal(fourth.length, 2, 'the 4th failure still gets a successor');
      const successor = fourth[1] as SeriesRow;
      assert.equal(successor.series_failures, 4);
      assert.equal(await t.runner.runNow(successor.id), 'finished');
      const fifth = await seriesOf(ctx.db, 'doomed');
      assert.deepEqual(fifth.map((row) => row.status), ['failed', 'failed']);
      assert.equal((await logMessages(ctx.db, successor.id)).at(-1), SERIES_STOPPED_MESSAGE);
    } finally {
      await t.stop();
    }
  });

  it('starts the failure count again after an instance completes', async () => {
    const t = await startTestRunner(ctx.db, { handlers: { recovered: async () => undefined }, start: false });
    try {
      const [id] = await t.enqueue([{ hook: 'recovered', schedule: { type: 'interval', at: nowSeconds() - 10, interval: 60 } }]);
      await ctx.db.query(`UPDATE ${ctx.db.schema}.actions SET series_failures = 4 WHERE id = $1`, [id]);
      assert.equal(await t.runner.runNow(id as number), 'finished');
      const [, next] = (await seriesOf(ctx.db, 'recovered')) as [SeriesRow, SeriesRow];
      assert.equal(next.series_failures, 0);
      assert.equal((await actionState(ctx.db, id as number)).status, 'complete');
    } finally {
      await t.stop();
    }
  });
});
