import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { runnerStatements } from '../../../server/runner/sql.ts';
import { buildTestApp, type TestApp } from '../../support/app.ts';
import { describeEachDatabase } from '../../support/databases.ts';

/**
 * POST /v1/hooks/{hook}/pause|resume and /v1/runner/pause|resume: what they answer, what they write,
 * and that bad input changes nothing. The runner is not started here (role api): these are the
 * routes and the stored pauses; test/integration/runner/pauses.claims.test.ts has the claims.
 */
const inHours = (hours: number): string => new Date(Date.now() + hours * 3_600_000).toISOString();

describeEachDatabase('pause routes', import.meta.url, (ctx) => {
  const apps: TestApp[] = [];
  const open = async (): Promise<TestApp> => {
    const t = await buildTestApp(ctx.db, { role: 'api' });
    apps.push(t);
    return t;
  };
  after(async () => {
    for (const t of apps.splice(0)) await t.close();
  });
  const pauseRows = async (): Promise<Array<{ hook: string; active: boolean; infinite: boolean; reason: string }>> =>
    (
      await ctx.db.query<{ hook: string; active: boolean; infinite: boolean; reason: string }>(
        `SELECT hook, paused_until > now() AS active, NOT isfinite(paused_until) AS infinite, reason FROM ${ctx.db.schema}.hook_pauses ORDER BY hook`,
      )
    ).rows;
  const runnerRows = async (): Promise<Array<{ active: boolean; infinite: boolean }>> =>
    (await ctx.db.query<{ active: boolean; infinite: boolean }>(`SELECT paused_until > now() AS active, NOT isfinite(paused_until) AS infinite FROM ${ctx.db.schema}.runner_pause`)).rows;

  it('pauses a hook indefinitely with {} and answers paused_until null', async () => {
    const t = await open();
    const response = await t.call('POST', '/v1/hooks/wecoza_send/pause', {});
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json(), { hook: 'wecoza_send', paused: true, paused_until: null, reason: 'operator' });
    assert.deepEqual(await pauseRows(), [{ hook: 'wecoza_send', active: true, infinite: true, reason: 'operator' }]);
  });

  it('pauses a hook until a future time and answers that time', async () => {
    const t = await open();
    const until = new Date(Math.floor(Date.now() / 1000) * 1000 + 7_200_000).toISOString();
    const response = await t.call('POST', '/v1/hooks/h1/pause', { until });
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json(), { hook: 'h1', paused: true, paused_until: until, reason: 'operator' });
    // Unix seconds are taken too.
    const seconds = Math.floor(Date.now() / 1000) + 600;
    const again = await t.call('POST', '/v1/hooks/h1/pause', { until: seconds });
    assert.equal(again.json().paused_until, new Date(seconds * 1000).toISOString(), 'an operator may shorten an operator pause');
  });

  it('refuses an until in the past, a bad date, NUL characters, bad hooks and unknown keys with 400, changing nothing', async () => {
    const t = await open();
    await t.call('POST', '/v1/hooks/kept/pause', { until: inHours(1) });
    const before = await pauseRows();
    const cases: Array<[string, unknown]> = [
      ['/v1/hooks/kept/pause', { until: new Date(Date.now() - 60_000).toISOString() }],
      ['/v1/hooks/other/pause', { until: '2001-01-01T00:00:00Z' }],
      ['/v1/hooks/other/pause', { until: 'tomorrow' }],
      ['/v1/hooks/other/pause', { until: `${inHours(1)}\u0000` }],
      ['/v1/hooks/bad%00hook/pause', {}],
      [`/v1/hooks/${'x'.repeat(192)}/pause`, {}],
      ['/v1/hooks/other/pause', { until: inHours(1), extra: 1 }],
      ['/v1/hooks/other/pause', { until: null }],
      ['/v1/hooks/bad%00hook/resume', {}],
      ['/v1/hooks/kept/resume', { now: true }],
      ['/v1/runner/pause', { until: '2001-01-01T00:00:00Z' }],
      ['/v1/runner/pause', { until: 'x\u0000' }],
      ['/v1/runner/resume', { extra: 1 }],
    ];
    for (const [url, body] of cases) {
      const response = await t.call('POST', url, body);
      assert.equal(response.statusCode, 400, `${url} ${JSON.stringify(body)}: ${response.body}`);
      assert.match(response.json().error.code, /^(validation_failed|invalid_date)$/);
    }
    const past = await t.call('POST', '/v1/hooks/kept/pause', { until: '2001-01-01T00:00:00Z' });
    assert.match(past.json().error.message, /until must be in the future/);
    assert.deepEqual(await pauseRows(), before);
    assert.deepEqual(await runnerRows(), []);
  });

  it('resumes a paused hook, answering was_paused, and keeps the ended window', async () => {
    const t = await open();
    await t.call('POST', '/v1/hooks/h2/pause', {});
    const resumed = await t.call('POST', '/v1/hooks/h2/resume', {});
    assert.equal(resumed.statusCode, 200, resumed.body);
    assert.deepEqual(resumed.json(), { hook: 'h2', paused: false, was_paused: true });
    assert.deepEqual(await pauseRows(), [{ hook: 'h2', active: false, infinite: false, reason: 'operator' }]);
    const again = await t.call('POST', '/v1/hooks/h2/resume', {});
    assert.deepEqual(again.json(), { hook: 'h2', paused: false, was_paused: false });
    const never = await t.call('POST', '/v1/hooks/never_paused/resume', {});
    assert.deepEqual(never.json(), { hook: 'never_paused', paused: false, was_paused: false });
  });

  it('keeps an operator pause when the runner pauses the same hook for a 429, and keeps the later end of the two', async () => {
    const t = await open();
    const sql = runnerStatements(ctx.db.schema);
    await t.call('POST', '/v1/hooks/ai/pause', {});
    await ctx.db.query(sql.pauseHookUntil, ['ai', 60, 'openai 429']);
    assert.deepEqual(await pauseRows(), [{ hook: 'ai', active: true, infinite: true, reason: 'operator' }]);

    await t.call('POST', '/v1/hooks/ai/pause', { until: inHours(2) });
    await ctx.db.query(sql.pauseHookUntil, ['ai', 60, 'openai 429']);
    const { rows } = await ctx.db.query<{ hours: number; reason: string }>(`SELECT extract(epoch FROM paused_until - now()) / 3600 AS hours, reason FROM ${ctx.db.schema}.hook_pauses`);
    assert.ok(Number(rows[0]?.hours) > 1.9, 'a 60 s automatic pause does not shorten a 2 h operator pause');
    assert.equal(rows[0]?.reason, 'operator');

    // An automatic pause that ends later than the operator's: the later end wins, and says why.
    await ctx.db.query(sql.pauseHookUntil, ['ai', 3 * 3600, 'openai 429']);
    const reply = await t.call('POST', '/v1/hooks/ai/pause', { until: inHours(1) });
    assert.equal(reply.json().reason, 'openai 429');
    assert.ok(Date.parse(reply.json().paused_until) > Date.now() + 2.9 * 3_600_000);
  });

  it('pauses and resumes the runner, indefinitely or until a time', async () => {
    const t = await open();
    const paused = await t.call('POST', '/v1/runner/pause', {});
    assert.equal(paused.statusCode, 200, paused.body);
    assert.deepEqual(paused.json(), { paused: true, paused_until: null, reason: 'operator' });
    assert.deepEqual(await runnerRows(), [{ active: true, infinite: true }]);
    const until = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000).toISOString();
    const timed = await t.call('POST', '/v1/runner/pause', { until });
    assert.deepEqual(timed.json(), { paused: true, paused_until: until, reason: 'operator' });
    assert.deepEqual((await t.call('POST', '/v1/runner/resume', {})).json(), { paused: false, was_paused: true });
    assert.deepEqual(await runnerRows(), [{ active: false, infinite: false }]);
    assert.deepEqual((await t.call('POST', '/v1/runner/resume', {})).json(), { paused: false, was_paused: false });
  });

  it('shows the pauses on /metrics and in GET /v1/status', async () => {
    const t = await open();
    await t.call('POST', '/v1/hooks/shown/pause', {});
    await t.call('POST', '/v1/hooks/wecoza_enrich_notification/pause', { until: inHours(1) });
    await t.call('POST', '/v1/runner/pause', {});
    const metrics = (await t.call('GET', '/metrics')).body;
    assert.match(metrics, /^sidecar_runner_paused 1$/m);
    assert.match(metrics, /^sidecar_hook_paused\{hook="shown",by="operator"\} 1$/m);
    assert.match(metrics, /^sidecar_hook_paused_until_seconds\{hook="shown"\} \+Inf$/m);
    const status = (await t.call('GET', '/v1/status')).json();
    assert.equal(status.notifications.ai_paused, true);
    assert.ok(Date.parse(status.notifications.ai_paused_until) > Date.now());

    await t.call('POST', '/v1/runner/resume', {});
    await t.call('POST', '/v1/hooks/shown/resume', {});
    const after = (await t.call('GET', '/metrics')).body;
    assert.match(after, /^sidecar_runner_paused 0$/m);
    assert.doesNotMatch(after, /hook="shown"/);
  });
});
