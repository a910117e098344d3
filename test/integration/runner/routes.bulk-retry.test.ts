import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import type { Database } from '../../../server/db/port.ts';
import { buildTestApp, type TestApp } from '../../support/app.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { logMessages } from '../../support/runner.ts';

/**
 * POST /v1/actions/retry: the bulk retry counts what it reset, writes a log line on each, keeps to
 * its filter and its limit, refuses an unfiltered call, and never doubles a unique action or a series.
 * Seeded rows that must stay untouched sit beside the ones it takes.
 */

interface Failed {
  hook: string;
  group?: string;
  hoursAgo?: number;
  unique?: boolean;
  args?: string;
  schedule?: 'async' | 'interval';
  status?: 'failed' | 'complete' | 'pending';
}

async function seed(db: Database, rows: Failed[]): Promise<number[]> {
  const ids: number[] = [];
  for (const [i, row] of rows.entries()) {
    const status = row.status ?? 'failed';
    const { rows: inserted } = await db.query<{ id: number }>(
      `INSERT INTO ${db.schema}.actions (hook, group_name, args, args_digest, status, is_unique, schedule_type, schedule_interval, scheduled_at, finished_at, attempts, max_attempts, last_error)
       VALUES ($1, $2, $3, sha256(convert_to($3, 'UTF8')), $4, $5, $6, CASE WHEN $6 = 'interval' THEN 3600 END, now() - interval '2 days',
               CASE WHEN $4 = 'pending' THEN NULL ELSE now() - make_interval(secs => $7::float8 * 3600) END, 1, 1, 'boom')
       RETURNING id`,
      [row.hook, row.group ?? '', row.args ?? `[${i}]`, status, row.unique ?? false, row.schedule ?? 'async', row.hoursAgo ?? 1],
    );
    ids.push(Number(inserted[0]?.id));
  }
  return ids;
}

const statusOf = async (db: Database, ids: number[]): Promise<string[]> => {
  const { rows } = await db.query<{ id: number; status: string }>(`SELECT id, status FROM ${db.schema}.actions WHERE id = ANY ($1::bigint[])`, [ids]);
  const byId = new Map(rows.map((row) => [Number(row.id), row.status]));
  return ids.map((id) => byId.get(id) ?? 'missing');
};

describeEachDatabase('POST /v1/actions/retry', import.meta.url, (ctx) => {
  const apps: TestApp[] = [];
  const open = async (): Promise<TestApp> => {
    const t = await buildTestApp(ctx.db, { role: 'api' });
    apps.push(t);
    return t;
  };
  after(async () => {
    for (const t of apps.splice(0)) await t.close();
  });

  it('retries the failed actions of a hook, each with a log line, and leaves other hooks and statuses alone', async () => {
    const taken = await seed(ctx.db, [{ hook: 'mail' }, { hook: 'mail', group: 'g1' }, { hook: 'mail', hoursAgo: 30 }]);
    const untouched = await seed(ctx.db, [{ hook: 'other' }, { hook: 'mail', status: 'complete' }, { hook: 'mail', status: 'pending' }]);
    const t = await open();
    const response = await t.call('POST', '/v1/actions/retry', { hook: 'mail' });
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json(), { retried: 3, blocked: 0 });
    assert.deepEqual(await statusOf(ctx.db, taken), ['pending', 'pending', 'pending']);
    assert.deepEqual(await statusOf(ctx.db, untouched), ['failed', 'complete', 'pending']);
    for (const id of taken) assert.deepEqual(await logMessages(ctx.db, id), ['action reset: bulk retry requested via Sidecar (a fresh budget of 1 attempt)']);
    for (const id of untouched) assert.deepEqual(await logMessages(ctx.db, id), []);
    const { rows } = await ctx.db.query<{ attempts: number; finished: boolean }>(`SELECT attempts, finished_at IS NOT NULL AS finished FROM ${ctx.db.schema}.actions WHERE id = $1`, [taken[0]]);
    assert.deepEqual(rows[0], { attempts: 0, finished: false });
  });

  it('keeps to the group, the finish window and the limit, oldest failure first', async () => {
    const ids = await seed(ctx.db, [
      { hook: 'a', group: 'g', hoursAgo: 50 },
      { hook: 'b', group: 'g', hoursAgo: 10 },
      { hook: 'c', group: 'g', hoursAgo: 5 },
      { hook: 'd', group: 'g', hoursAgo: 1 },
      { hook: 'e', group: 'h', hoursAgo: 5 },
    ]);
    const t = await open();
    const hoursAgo = (h: number): string => new Date(Date.now() - h * 3_600_000).toISOString();
    const response = await t.call('POST', '/v1/actions/retry', { group: 'g', status: 'failed', finished_since: hoursAgo(24), finished_before: hoursAgo(2), limit: 1 });
    assert.deepEqual(response.json(), { retried: 1, blocked: 0 });
    assert.deepEqual(await statusOf(ctx.db, ids), ['failed', 'pending', 'failed', 'failed', 'failed']);
    // Unix seconds work as well as ISO 8601.
    const again = await t.call('POST', '/v1/actions/retry', { group: 'g', finished_since: Math.floor(Date.now() / 1000) - 24 * 3600 });
    assert.deepEqual(again.json(), { retried: 2, blocked: 0 });
    assert.deepEqual(await statusOf(ctx.db, ids), ['failed', 'pending', 'pending', 'pending', 'failed']);
  });

  it('refuses an unfiltered retry, another status, a limit past 10,000, bad dates, NUL characters and unknown keys with 400, changing nothing', async () => {
    const ids = await seed(ctx.db, [{ hook: 'x' }, { hook: 'y', group: 'g' }]);
    const t = await open();
    const bodies: unknown[] = [
      {},
      { group: '' },
      { status: 'failed', limit: 5 },
      { hook: 'x', status: 'complete' },
      { hook: 'x', limit: 10_001 },
      { hook: 'x', limit: 0 },
      { hook: 'x', finished_since: 'yesterday' },
      { hook: 'x\u0000' },
      { group: 'g\u0000' },
      { hook: 'x', extra: true },
      { hook: 'x', limit: '5' },
    ];
    for (const body of bodies) {
      const response = await t.call('POST', '/v1/actions/retry', body);
      assert.equal(response.statusCode, 400, `${JSON.stringify(body)}: ${response.body}`);
    }
    assert.match((await t.call('POST', '/v1/actions/retry', {})).json().error.message, /Give a hook or a group/);
    assert.deepEqual(await statusOf(ctx.db, ids), ['failed', 'failed']);
    assert.deepEqual(await logMessages(ctx.db, ids[0] as number), []);
  });

  it('leaves a unique action failed when its twin is live, and retries only the newest of failed twins', async () => {
    const [withLiveTwin, olderTwin, newerTwin] = await seed(ctx.db, [
      { hook: 'u', unique: true, args: '{"k":1}' },
      { hook: 'u', unique: true, args: '{"k":2}', hoursAgo: 3 },
      { hook: 'u', unique: true, args: '{"k":2}', hoursAgo: 2 },
    ]);
    await seed(ctx.db, [{ hook: 'u', unique: true, args: '{"k":1}', status: 'pending' }]);
    const t = await open();
    const response = await t.call('POST', '/v1/actions/retry', { hook: 'u' });
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json(), { retried: 1, blocked: 2 });
    assert.deepEqual(await statusOf(ctx.db, [withLiveTwin as number, olderTwin as number, newerTwin as number]), ['failed', 'failed', 'pending']);
  });

  it('runs older failed instances of one series once, and keeps the newest recurring, so the series is not doubled', async () => {
    const ids = await seed(ctx.db, [
      { hook: 'series', schedule: 'interval', args: '[1]', hoursAgo: 3 },
      { hook: 'series', schedule: 'interval', args: '[1]', hoursAgo: 2 },
    ]);
    const t = await open();
    assert.deepEqual((await t.call('POST', '/v1/actions/retry', { hook: 'series' })).json(), { retried: 2, blocked: 0 });
    const { rows } = await ctx.db.query<{ schedule_type: string }>(`SELECT schedule_type FROM ${ctx.db.schema}.actions WHERE id = ANY ($1::bigint[]) ORDER BY id`, [ids]);
    assert.deepEqual(rows.map((row) => row.schedule_type), ['single', 'interval']);
  });

  it('retries at most 1,000 by default and answers 0 when nothing matches', async () => {
    const t = await open();
    await ctx.db.query(
      `INSERT INTO ${ctx.db.schema}.actions (hook, args, args_digest, status, schedule_type, scheduled_at, finished_at, attempts)
       SELECT 'many', '[' || g || ']', sha256(convert_to('[' || g || ']', 'UTF8')), 'failed', 'async', now(), now() - make_interval(secs => g), 1
       FROM generate_series(1, 1005) AS g`,
    );
    assert.deepEqual((await t.call('POST', '/v1/actions/retry', { hook: 'many' })).json(), { retried: 1000, blocked: 0 });
    assert.deepEqual((await t.call('POST', '/v1/actions/retry', { hook: 'many' })).json(), { retried: 5, blocked: 0 });
    assert.deepEqual((await t.call('POST', '/v1/actions/retry', { hook: 'many' })).json(), { retried: 0, blocked: 0 });
    const { rows } = await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${ctx.db.schema}.action_logs l JOIN ${ctx.db.schema}.actions a ON a.id = l.action_id WHERE a.hook = 'many'`);
    assert.equal(rows[0]?.n, 1005, 'one log line per retried action');
  });
});
