import assert from 'node:assert/strict';
import { it } from 'node:test';
import { buildTestApp, withTestApp, type TestApp } from '../../support/app.ts';
import { describeEachDatabase, type DatabaseContext } from '../../support/databases.ts';

const DAY = 86_400;

/**
 * Action Scheduler's as_get_scheduled_actions fixture: 10 hooks × 10 days. Action (day i, hook j) has
 * hook j, args [arg i], group (i + j) mod 10, and is dated i − 3 days from now.
 */
async function seedFixture(t: TestApp, now: number): Promise<{ hooks: string[]; args: string[]; groups: string[] }> {
  const hooks = Array.from({ length: 10 }, (_, k) => `hook_${k}`);
  const args = Array.from({ length: 10 }, (_, k) => `arg_${k}`);
  const groups = Array.from({ length: 10 }, (_, k) => `group_${k}`);
  const actions = [];
  for (let i = 0; i < 10; i++) {
    for (let j = 0; j < 10; j++) {
      actions.push({ type: 'single', hook: hooks[j], args: [args[i]], group: groups[(i + j) % 10], timestamp: now + (i - 3) * DAY });
    }
  }
  const response = await t.call('POST', '/v1/actions/batch', { actions });
  assert.equal(response.statusCode, 200, response.body);
  return { hooks, args, groups };
}

async function withFixture(ctx: DatabaseContext, fn: (t: TestApp, f: { hooks: string[]; args: string[]; groups: string[]; midnight: number }) => Promise<void>): Promise<void> {
  const t = await buildTestApp(ctx.db);
  try {
    const now = Math.floor(Date.now() / 1000);
    const fixture = await seedFixture(t, now);
    const midnight = Math.floor(now / DAY) * DAY;
    await fn(t, { ...fixture, midnight });
  } finally {
    await t.close();
  }
}

const withApp = <T>(ctx: DatabaseContext, fn: (t: TestApp) => Promise<T>): Promise<T> => withTestApp(ctx.db, fn);

const count = async (t: TestApp, body: Record<string, unknown>): Promise<number> => {
  const response = await t.call('POST', '/v1/actions/query', { per_page: -1, ...body });
  assert.equal(response.statusCode, 200, response.body);
  const json = response.json();
  assert.equal(json.actions.length, json.total);
  return json.total;
};

describeEachDatabase('as_get_scheduled_actions (GET /v1/actions, POST /v1/actions/query)', import.meta.url, (ctx) => {
  it('counts the fixture by date the way Action Scheduler does', () =>
    withFixture(ctx, async (t, { midnight }) => {
      assert.equal(await count(t, { date: midnight }), 30);
      assert.equal(await count(t, { date: new Date(midnight * 1000).toISOString(), date_compare: '>=' }), 70);
    }));

  it('counts the fixture by hook, args and group the way Action Scheduler does', () =>
    withFixture(ctx, async (t, { hooks, args, groups, midnight }) => {
      assert.equal(await count(t, { hook: hooks[2] }), 10);
      assert.equal(await count(t, { hook: hooks[2], date: midnight }), 3);
      assert.equal(await count(t, { args: [args[5]] }), 10);
      assert.equal(await count(t, { args: [args[5]], hook: hooks[2] }), 1);
      assert.equal(await count(t, { args: [args[5]], hook: hooks[2], date: midnight }), 0);
      assert.equal(await count(t, { group: groups[1] }), 10);
      assert.equal(await count(t, { group: groups[1], hook: hooks[2] }), 1);
    }));

  it('pages five at a time by date ascending by default and reports the total', () =>
    withFixture(ctx, async (t) => {
      const page = (await t.call('GET', '/v1/actions')).json();
      assert.equal(page.total, 100);
      assert.equal(page.actions.length, 5);
      const dates = page.actions.map((a: { scheduled_timestamp: number }) => a.scheduled_timestamp);
      assert.deepEqual(dates, [...dates].sort((a, b) => a - b));
      const last = (await t.call('GET', '/v1/actions?per_page=10&offset=95')).json();
      assert.equal(last.actions.length, 5);
      assert.equal(last.total, 100);
      const beyond = (await t.call('GET', '/v1/actions?offset=500')).json();
      assert.deepEqual(beyond, { actions: [], total: 100 });
    }));

  it('orders by hook descending and by id', () =>
    withFixture(ctx, async (t) => {
      const byHook = (await t.call('GET', '/v1/actions?orderby=hook&order=desc&per_page=12')).json().actions;
      assert.equal(byHook[0].hook, 'hook_9');
      assert.equal(byHook[11].hook, 'hook_8');
      const byId = (await t.call('GET', '/v1/actions?orderby=action_id&order=DESC&per_page=3')).json().actions.map((a: { id: number }) => a.id);
      assert.ok(byId[0] > byId[1] && byId[1] > byId[2]);
    }));

  it('filters by a comma-separated status list, by claimed and by search', () =>
    withFixture(ctx, async (t, { hooks }) => {
      const ids = (await t.call('GET', `/v1/actions?hook=${hooks[0]}&per_page=-1`)).json().actions.map((a: { id: number }) => a.id);
      await ctx.db.query(`UPDATE ${ctx.db.schema}.actions SET status = 'failed' WHERE id = ANY($1::bigint[])`, [ids.slice(0, 4)]);
      await ctx.db.query(`UPDATE ${ctx.db.schema}.actions SET status = 'in-progress', claim_token = '00000000-0000-4000-8000-000000000001' WHERE id = $1`, [ids[4]]);
      assert.equal((await t.call('GET', '/v1/actions?status=failed&per_page=-1')).json().total, 4);
      assert.equal((await t.call('GET', '/v1/actions?status=failed,in-progress&per_page=-1')).json().total, 5);
      assert.equal(await count(t, { status: ['pending'] }), 95);
      assert.equal((await t.call('GET', '/v1/actions?claimed=true')).json().total, 1);
      assert.equal((await t.call('GET', '/v1/actions?claimed=false&per_page=1')).json().total, 99);
      assert.equal((await t.call('GET', '/v1/actions?claimed=00000000-0000-4000-8000-000000000001')).json().total, 1);
      assert.equal((await t.call('GET', '/v1/actions?search=arg_7&per_page=-1')).json().total, 10);
      assert.equal((await t.call('GET', '/v1/actions?status=bogus')).statusCode, 400);
    }));

  it('matches partial args with like and json', () =>
    withApp(ctx, async (t) => {
      await t.call('POST', '/v1/actions/async', { hook: 'p', args: { log_id: 1, recipient: 'x' } });
      await t.call('POST', '/v1/actions/async', { hook: 'p', args: { log_id: 2, recipient: 'x' } });
      await t.call('POST', '/v1/actions/async', { hook: 'p', args: { log_id: 10 } });
      assert.equal(await count(t, { args: { log_id: 1 } }), 0);
      assert.equal(await count(t, { args: { log_id: 1 }, partial_args_matching: 'like' }), 2);
      assert.equal(await count(t, { args: { log_id: 1 }, partial_args_matching: 'json' }), 1);
      assert.equal(await count(t, { args: { recipient: 'x' }, partial_args_matching: 'json' }), 2);
      const bad = await t.call('POST', '/v1/actions/query', { args: [1], partial_args_matching: 'json' });
      assert.equal(bad.statusCode, 400);
    }));

  it('returns every match up to 10,000 with per_page -1', () =>
    withFixture(ctx, async (t) => {
      assert.equal((await t.call('GET', '/v1/actions?per_page=-1')).json().actions.length, 100);
      assert.equal((await t.call('GET', '/v1/actions?per_page=10001')).statusCode, 400);
    }));

  it('refuses an unreadable date and an unknown comparison', () =>
    withApp(ctx, async (t) => {
      const bad = await t.call('GET', '/v1/actions?date=yesterday-ish');
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().error.code, 'invalid_date');
      assert.equal((await t.call('GET', '/v1/actions?date=1&date_compare=LIKE')).statusCode, 400);
    }));
});
