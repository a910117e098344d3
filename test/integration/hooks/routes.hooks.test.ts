import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import type { Database } from '../../../server/db/port.ts';
import { hookStatements } from '../../../server/hooks/sql.ts';
import { buildTestApp, type TestApp } from '../../support/app.ts';
import { describeEachDatabase } from '../../support/databases.ts';

/** GET /v1/hooks on a fixture whose every figure is known, and its edges (no hook at all, idle policy hooks). */

interface Row {
  hook: string;
  status: 'pending' | 'in-progress' | 'complete' | 'failed' | 'canceled';
  /** Scheduled this many seconds from now (negative: due). */
  at?: number;
  /** Finished this many hours ago. */
  finishedHoursAgo?: number;
}

async function seed(db: Database, rows: Row[]): Promise<void> {
  const s = db.schema;
  for (const [i, row] of rows.entries()) {
    await db.query(
      `INSERT INTO ${s}.actions (hook, args, args_digest, status, schedule_type, scheduled_at, finished_at, claim_token, attempts)
       VALUES ($1, $2, sha256(convert_to($2, 'UTF8')), $3, 'async', now() + make_interval(secs => $4::float8),
               CASE WHEN $5::float8 IS NULL THEN NULL ELSE now() - make_interval(secs => $5::float8 * 3600) END,
               CASE WHEN $3 = 'in-progress' THEN gen_random_uuid() END, 1)`,
      [row.hook, `[${i}]`, row.status, row.at ?? -60, row.finishedHoursAgo ?? null],
    );
  }
}

describeEachDatabase('GET /v1/hooks', import.meta.url, (ctx) => {
  const apps: TestApp[] = [];
  const open = async (overrides: Parameters<typeof buildTestApp>[1] = {}): Promise<TestApp> => {
    const t = await buildTestApp(ctx.db, { role: 'api', ...overrides });
    apps.push(t);
    return t;
  };
  after(async () => {
    for (const t of apps.splice(0)) await t.close();
  });

  it('answers each hook’s pending, due, in-progress and 24-hour failure counts, its pause and its policy', async () => {
    await seed(ctx.db, [
      { hook: 'alpha', status: 'pending' },
      { hook: 'alpha', status: 'pending' },
      { hook: 'alpha', status: 'pending', at: 3600 },
      { hook: 'alpha', status: 'in-progress' },
      { hook: 'alpha', status: 'failed', finishedHoursAgo: 1 },
      { hook: 'alpha', status: 'failed', finishedHoursAgo: 23 },
      { hook: 'alpha', status: 'failed', finishedHoursAgo: 25 },
      { hook: 'alpha', status: 'complete', finishedHoursAgo: 1 },
      { hook: 'beta', status: 'failed', finishedHoursAgo: 2 },
      { hook: 'beta', status: 'canceled', finishedHoursAgo: 2 },
      // Only finished long ago, or not failed: not listed.
      { hook: 'gone', status: 'failed', finishedHoursAgo: 48 },
      { hook: 'gone', status: 'complete', finishedHoursAgo: 1 },
    ]);
    const t = await open({
      hookConcurrency: { alpha: 2 },
      retryPolicies: { alpha: { max_attempts: 4, timeout_seconds: 20, backoff: { base_seconds: 5, max_seconds: 60, jitter: 0 } }, idle_configured: { max_attempts: 2 } },
    });
    const until = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000).toISOString();
    await t.call('POST', '/v1/hooks/gamma/pause', { until });
    await t.call('POST', '/v1/hooks/beta/pause', {});
    await t.call('POST', '/v1/hooks/beta/resume', {});

    const response = await t.call('GET', '/v1/hooks');
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json();
    const byHook = Object.fromEntries((body.hooks as Array<{ hook: string }>).map((h) => [h.hook, h]));
    assert.deepEqual(Object.keys(byHook), ['alpha', 'beta', 'gamma', 'idle_configured', 'wecoza_enrich_notification', 'wecoza_send_notification_email']);
    assert.deepEqual(byHook.alpha, {
      hook: 'alpha', pending: 3, due: 2, in_progress: 1, failed_24h: 2, paused: false, paused_until: null, pause_reason: null,
      cap: 2, retry: { max_attempts: 4, backoff: { base_seconds: 5, max_seconds: 60, jitter: 0 } }, timeout_seconds: 20, retention_days: null,
    });
    assert.deepEqual(byHook.beta, {
      hook: 'beta', pending: 0, due: 0, in_progress: 0, failed_24h: 1, paused: false, paused_until: null, pause_reason: null,
      cap: null, retry: { max_attempts: 1, backoff: { base_seconds: 10, max_seconds: 3600, jitter: 0.2 } }, timeout_seconds: 300, retention_days: null,
    });
    assert.deepEqual(
      [byHook.gamma, byHook.idle_configured].map((h) => h as Record<string, unknown>).map(({ paused, paused_until, pause_reason, pending, failed_24h }) => ({ paused, paused_until, pause_reason, pending, failed_24h })),
      [
        { paused: true, paused_until: until, pause_reason: 'operator', pending: 0, failed_24h: 0 },
        { paused: false, paused_until: null, pause_reason: null, pending: 0, failed_24h: 0 },
      ],
    );
    assert.deepEqual(body.runner, { paused: false, paused_until: null, reason: null });
  });

  it('answers the runner pause even when no hook is listed', async () => {
    const t = await open({ notificationsEnabled: false });
    await t.call('POST', '/v1/runner/pause', {});
    const body = (await t.call('GET', '/v1/hooks')).json();
    const listed = (body.hooks as Array<{ hook: string }>).map((h) => h.hook);
    assert.ok(!listed.some((hook) => !hook.startsWith('wecoza_')), `only built-in policy hooks: ${listed.join(', ')}`);
    assert.deepEqual(body.runner, { paused: true, paused_until: null, reason: 'operator' });
    // Without even a policy hook, the statement still answers one row, for the runner pause.
    const { rows } = await ctx.db.query<{ hook: string | null; runner_paused: boolean }>(hookStatements(ctx.db.schema).selectHookOverview, [[]]);
    assert.deepEqual(rows.map((row) => [row.hook, row.runner_paused]), [[null, true]]);
  });

  it('refuses a request without the token', async () => {
    const t = await open();
    const response = await t.app.inject({ method: 'GET', url: '/v1/hooks' });
    assert.equal(response.statusCode, 401);
  });
});
