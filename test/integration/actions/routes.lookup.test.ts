import assert from 'node:assert/strict';
import { it } from 'node:test';
import { withTestApp, type TestApp } from '../../support/app.ts';
import { describeEachDatabase, type DatabaseContext } from '../../support/databases.ts';

const withApp = <T>(ctx: DatabaseContext, fn: (t: TestApp) => Promise<T>): Promise<T> => withTestApp(ctx.db, fn);

async function create(t: TestApp, body: Record<string, unknown>, type = 'async'): Promise<number> {
  const response = await t.call('POST', `/v1/actions/${type}`, body);
  assert.equal(response.statusCode, 201, response.body);
  return response.json().action_id as number;
}

async function setStatus(ctx: DatabaseContext, id: number, status: string): Promise<void> {
  const token = status === 'in-progress' ? 'gen_random_uuid()' : 'NULL';
  await ctx.db.query(`UPDATE ${ctx.db.schema}.actions SET status = $2, claim_token = ${token} WHERE id = $1`, [id, status]);
}

const has = async (t: TestApp, body: Record<string, unknown>): Promise<boolean> => (await t.call('POST', '/v1/actions/has', body)).json().scheduled;
const next = async (t: TestApp, body: Record<string, unknown>): Promise<number | boolean> => (await t.call('POST', '/v1/actions/next', body)).json().next;
const query = (params: Record<string, string>): string => new URLSearchParams(params).toString();

describeEachDatabase('as_has_scheduled_action (GET and POST /v1/actions/has)', import.meta.url, (ctx) => {
  it('is true while pending or in progress and false once complete or failed', () =>
    withApp(ctx, async (t) => {
      const id = await create(t, { hook: 'h' });
      assert.equal(await has(t, { hook: 'h' }), true);
      assert.equal(await has(t, { hook: 'other' }), false);
      await setStatus(ctx, id, 'in-progress');
      assert.equal(await has(t, { hook: 'h' }), true);
      await setStatus(ctx, id, 'complete');
      assert.equal(await has(t, { hook: 'h' }), false);
      await setStatus(ctx, id, 'failed');
      assert.equal(await has(t, { hook: 'h' }), false);
    }));

  it('matches any args when none are given and exact args otherwise', () =>
    withApp(ctx, async (t) => {
      await create(t, { hook: 'h', args: ['a'] });
      assert.equal(await has(t, { hook: 'h' }), true);
      assert.equal(await has(t, { hook: 'h', args: null }), true);
      assert.equal(await has(t, { hook: 'h', args: ['b'] }), false);
      assert.equal(await has(t, { hook: 'h', args: ['a'] }), true);
      assert.equal(await has(t, { hook: 'h', args: [] }), false);
    }));

  it('matches a group with any args and with the empty args of an argless action', () =>
    withApp(ctx, async (t) => {
      await create(t, { hook: 'h', group: 'group_1' });
      assert.equal(await has(t, { hook: 'h', group: 'group_1' }), true);
      assert.equal(await has(t, { hook: 'h', args: [], group: 'group_1' }), true);
      assert.equal(await has(t, { hook: 'h', group: 'group_2' }), false);
      assert.equal(await has(t, { hook: '', group: 'group_1' }), true);
    }));

  it('answers the GET form like the POST form, with args as JSON text', () =>
    withApp(ctx, async (t) => {
      await create(t, { hook: 'h', args: { log_id: 5 }, group: 'g' });
      const get = async (params: Record<string, string>): Promise<boolean> => (await t.call('GET', `/v1/actions/has?${query(params)}`)).json().scheduled;
      assert.equal(await get({ hook: 'h' }), true);
      assert.equal(await get({ hook: 'h', args: '{"log_id": 5}', group: 'g' }), true);
      assert.equal(await get({ hook: 'h', args: '{"log_id":"5"}' }), false);
      assert.equal(await get({ hook: 'h', args: 'null' }), true);
      assert.equal((await t.call('GET', `/v1/actions/has?${query({ hook: 'h', args: '{bad' })}`)).statusCode, 400);
    }));
});

describeEachDatabase('args matching (canonical text)', import.meta.url, (ctx) => {
  it('counts key order and value types', () =>
    withApp(ctx, async (t) => {
      await create(t, { hook: 'h', args: { a: 1, b: 2 } });
      assert.equal(await has(t, { hook: 'h', args: { a: 1, b: 2 } }), true);
      assert.equal(await has(t, { hook: 'h', args: { b: 2, a: 1 } }), false);
      assert.equal(await has(t, { hook: 'h', args: { a: '1', b: 2 } }), false);
      assert.equal(await has(t, { hook: 'h', args: [1, 2] }), false);
    }));

  it('keeps integer-like keys in the order they were sent', () =>
    withApp(ctx, async (t) => {
      // Sent as text: a JavaScript object would itself reorder the integer-like keys.
      const id = (await t.call('POST', '/v1/actions/async', '{"hook":"h","args":{"2":"c","0":"a"}}')).json().action_id;
      const raw = await t.call('POST', '/v1/actions/has', '{"hook":"h","args":{"2":"c","0":"a"}}');
      assert.equal(raw.json().scheduled, true);
      const swapped = await t.call('POST', '/v1/actions/has', '{"hook":"h","args":{"0":"a","2":"c"}}');
      assert.equal(swapped.json().scheduled, false);
      const stored = await ctx.db.query<{ args: string }>(`SELECT args FROM ${ctx.db.schema}.actions WHERE id = $1`, [id]);
      assert.equal(stored.rows[0]?.args, '{"2":"c","0":"a"}');
    }));

  it('stores and matches 12345678901234567890 exactly', () =>
    withApp(ctx, async (t) => {
      const response = await t.call('POST', '/v1/actions/async', '{"hook":"big","args":[12345678901234567890]}');
      const id = response.json().action_id;
      const stored = await ctx.db.query<{ args: string }>(`SELECT args FROM ${ctx.db.schema}.actions WHERE id = $1`, [id]);
      assert.equal(stored.rows[0]?.args, '[12345678901234567890]');
      assert.equal((await t.call('POST', '/v1/actions/has', '{"hook":"big","args":[12345678901234567890]}')).json().scheduled, true);
      assert.equal((await t.call('POST', '/v1/actions/has', '{"hook":"big","args":[12345678901234567891]}')).json().scheduled, false);
    }));

  it('matches "\\/" and "/" as the same string', () =>
    withApp(ctx, async (t) => {
      await t.call('POST', '/v1/actions/async', '{"hook":"slash","args":["a\\/b"]}');
      assert.equal((await t.call('POST', '/v1/actions/has', '{"hook":"slash","args":["a/b"]}')).json().scheduled, true);
      assert.equal((await t.call('GET', `/v1/actions/has?${query({ hook: 'slash', args: '["a\\/b"]' })}`)).json().scheduled, true);
    }));

  it('matches hooks and groups case-sensitively', () =>
    withApp(ctx, async (t) => {
      await create(t, { hook: 'Hook', group: 'Group' });
      assert.equal(await has(t, { hook: 'hook' }), false);
      assert.equal(await has(t, { hook: 'Hook', group: 'group' }), false);
      assert.equal(await has(t, { hook: 'Hook', group: 'Group' }), true);
    }));
});

describeEachDatabase('as_next_scheduled_action (GET and POST /v1/actions/next)', import.meta.url, (ctx) => {
  it('answers the timestamp of a future recurring action', () =>
    withApp(ctx, async (t) => {
      const tomorrow = Math.floor(Date.now() / 1000) + 86_400;
      await create(t, { hook: 'n', timestamp: tomorrow, interval_in_seconds: 3600 }, 'recurring');
      assert.equal(await next(t, { hook: 'n' }), tomorrow);
      assert.equal((await t.call('GET', '/v1/actions/next?hook=n')).json().next, tomorrow);
    }));

  it('answers true for a pending async action and false once it is complete, failed or canceled', () =>
    withApp(ctx, async (t) => {
      for (const status of ['complete', 'failed', 'canceled']) {
        const id = await create(t, { hook: `a_${status}` });
        assert.equal(await next(t, { hook: `a_${status}` }), true);
        await setStatus(ctx, id, status);
        assert.equal(await next(t, { hook: `a_${status}` }), false);
      }
    }));

  it('answers true while a match is in progress, even with a later pending one', () =>
    withApp(ctx, async (t) => {
      const running = await create(t, { hook: 'p', timestamp: 1_000 }, 'single');
      await create(t, { hook: 'p', timestamp: 2_000_000_000 }, 'single');
      await setStatus(ctx, running, 'in-progress');
      assert.equal(await next(t, { hook: 'p' }), true);
    }));

  it('answers the earliest pending date, past dates included', () =>
    withApp(ctx, async (t) => {
      await create(t, { hook: 'e', timestamp: 2_000 }, 'single');
      await create(t, { hook: 'e', timestamp: 1_000 }, 'single');
      assert.equal(await next(t, { hook: 'e' }), 1_000);
    }));
});

describeEachDatabase('as_unschedule_action (POST /v1/actions/unschedule)', import.meta.url, (ctx) => {
  for (const [label, args, group] of [
    ['no args, no group', undefined, undefined],
    ['args, no group', ['r1', 'r2'], undefined],
    ['no args, a group', undefined, 'test_group'],
    ['args and a group', ['r1', 'r2'], 'test_group'],
  ] as const) {
    it(`cancels the earliest of two and keeps the other (${label})`, () =>
      withApp(ctx, async (t) => {
        const now = Math.floor(Date.now() / 1000) + 100;
        const body = { hook: 'u', ...(args ? { args } : {}), ...(group ? { group } : {}) };
        const first = await create(t, { ...body, timestamp: now }, 'single');
        const second = await create(t, { ...body, timestamp: now + 1 }, 'single');
        const response = await t.call('POST', '/v1/actions/unschedule', body);
        assert.deepEqual(response.json(), { action_id: first });
        const canceled = (await t.call('GET', `/v1/actions/${first}`)).json();
        assert.equal(canceled.status, 'canceled');
        assert.equal(canceled.scheduled_timestamp, now);
        assert.equal((await t.call('GET', `/v1/actions/${second}`)).json().status, 'pending');
        assert.equal(await next(t, body), now + 1);
        const logs = (await t.call('GET', `/v1/actions/${first}/logs`)).json().logs;
        assert.equal(logs.at(-1).message, 'action canceled');
      }));
  }

  it('matches only argless actions when args are absent, any args with null, and answers null when none match', () =>
    withApp(ctx, async (t) => {
      const withArgs = await create(t, { hook: 'u', args: [1] });
      assert.deepEqual((await t.call('POST', '/v1/actions/unschedule', { hook: 'u' })).json(), { action_id: null });
      assert.deepEqual((await t.call('POST', '/v1/actions/unschedule', { hook: 'u', args: null })).json(), { action_id: withArgs });
      assert.deepEqual((await t.call('POST', '/v1/actions/unschedule', { hook: 'u', args: null })).json(), { action_id: null });
    }));

  it('never touches an in-progress action', () =>
    withApp(ctx, async (t) => {
      const id = await create(t, { hook: 'u' });
      await setStatus(ctx, id, 'in-progress');
      assert.deepEqual((await t.call('POST', '/v1/actions/unschedule', { hook: 'u' })).json(), { action_id: null });
      assert.equal((await t.call('GET', `/v1/actions/${id}`)).json().status, 'in-progress');
    }));
});

describeEachDatabase('as_unschedule_all_actions (POST /v1/actions/unschedule-all)', import.meta.url, (ctx) => {
  it('cancels three identical actions and leaves nothing next', () =>
    withApp(ctx, async (t) => {
      for (let i = 0; i < 3; i++) await create(t, { hook: 'all', args: ['x'], group: 'g' });
      assert.deepEqual((await t.call('POST', '/v1/actions/unschedule-all', { hook: 'all', args: ['x'], group: 'g' })).json(), { canceled: 3 });
      assert.equal(await next(t, { hook: 'all' }), false);
    }));

  it('cancels every pending action of a hook whatever its args and group when only the hook is given', () =>
    withApp(ctx, async (t) => {
      await create(t, { hook: 'all', args: [1] });
      await create(t, { hook: 'all', args: { a: 2 }, group: 'g1' });
      await create(t, { hook: 'all' });
      await create(t, { hook: 'keep' });
      assert.deepEqual((await t.call('POST', '/v1/actions/unschedule-all', { hook: 'all' })).json(), { canceled: 3 });
      assert.equal(await has(t, { hook: 'keep' }), true);
    }));

  it('cancels every pending action of a group when only the group is given', () =>
    withApp(ctx, async (t) => {
      await create(t, { hook: 'x', args: [1], group: 'grp' });
      await create(t, { hook: 'y', group: 'grp' });
      await create(t, { hook: 'y', group: 'other' });
      assert.deepEqual((await t.call('POST', '/v1/actions/unschedule-all', { hook: '', group: 'grp' })).json(), { canceled: 2 });
    }));

  it('cancels only argless actions for a hook and group with no args', () =>
    withApp(ctx, async (t) => {
      await create(t, { hook: 'hg', group: 'g' });
      const kept = await create(t, { hook: 'hg', args: [1], group: 'g' });
      assert.deepEqual((await t.call('POST', '/v1/actions/unschedule-all', { hook: 'hg', group: 'g' })).json(), { canceled: 1 });
      assert.equal((await t.call('GET', `/v1/actions/${kept}`)).json().status, 'pending');
    }));

  it('refuses to run with neither a hook nor a group', () =>
    withApp(ctx, async (t) => {
      await create(t, { hook: 'safe' });
      const response = await t.call('POST', '/v1/actions/unschedule-all', { hook: '' });
      assert.equal(response.statusCode, 400);
      assert.equal(await has(t, { hook: 'safe' }), true);
    }));
});

describeEachDatabase('POST /v1/actions/{id}/cancel and GET /v1/actions/{id}', import.meta.url, (ctx) => {
  it('cancels a pending action, refuses a finished one with 409 and an unknown one with 404', () =>
    withApp(ctx, async (t) => {
      const id = await create(t, { hook: 'c' });
      assert.equal((await t.call('POST', `/v1/actions/${id}/cancel`)).json().status, 'canceled');
      const again = await t.call('POST', `/v1/actions/${id}/cancel`);
      assert.equal(again.statusCode, 409);
      assert.equal(again.json().error.code, 'not_pending');
      const missing = await t.call('POST', '/v1/actions/999999/cancel');
      assert.equal(missing.statusCode, 404);
      assert.equal((await t.call('GET', '/v1/actions/999999')).json().error.code, 'not_found');
      assert.equal((await t.call('GET', '/v1/actions/999999/logs')).statusCode, 404);
    }));
});
