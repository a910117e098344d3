import assert from 'node:assert/strict';
import { it } from 'node:test';
import { buildTestApp, withTestApp, type TestApp } from '../../support/app.ts';
import { describeEachDatabase, type DatabaseContext } from '../../support/databases.ts';

const withApp = <T>(ctx: DatabaseContext, fn: (t: TestApp) => Promise<T>): Promise<T> => withTestApp(ctx.db, fn);

async function enqueue(t: TestApp, body: Record<string, unknown>, type = 'async'): Promise<{ status: number; id: number; existing?: number }> {
  const response = await t.call('POST', `/v1/actions/${type}`, body);
  const json = response.json() as { action_id: number; existing_action_id?: number };
  return { status: response.statusCode, id: json.action_id, ...(json.existing_action_id !== undefined ? { existing: json.existing_action_id } : {}) };
}

describeEachDatabase('POST /v1/actions/{async,single,recurring,cron} (as_enqueue_async_action and friends)', import.meta.url, (ctx) => {
  it('creates a pending async action dated now with an "action created" log', () =>
    withApp(ctx, async (t) => {
      const before = Math.floor(Date.now() / 1000);
      const { status, id } = await enqueue(t, { hook: 'wecoza_test', args: { log_id: 1 }, group: 'g', priority: 3 });
      assert.equal(status, 201);
      const action = (await t.call('GET', `/v1/actions/${id}`)).json();
      assert.equal(action.status, 'pending');
      assert.deepEqual(action.args, { log_id: 1 });
      assert.equal(action.group, 'g');
      assert.equal(action.priority, 3);
      assert.deepEqual(action.schedule, { type: 'async' });
      assert.ok(action.scheduled_timestamp >= before - 1 && action.scheduled_timestamp <= before + 5);
      const logs = (await t.call('GET', `/v1/actions/${id}/logs`)).json().logs;
      assert.deepEqual(logs.map((l: { message: string }) => l.message), ['action created']);
    }));

  it('stores the exact timestamp and hook of a single action', () =>
    withApp(ctx, async (t) => {
      const { id } = await enqueue(t, { hook: 'single_hook', timestamp: 1_700_000_123 }, 'single');
      const action = (await t.call('GET', `/v1/actions/${id}`)).json();
      assert.equal(action.hook, 'single_hook');
      assert.equal(action.scheduled_timestamp, 1_700_000_123);
      assert.equal(action.scheduled_date_gmt, new Date(1_700_000_123_000).toISOString());
      assert.deepEqual(action.schedule, { type: 'single', timestamp: 1_700_000_123 });
    }));

  it('dates the first recurring instance at the timestamp and keeps the interval', () =>
    withApp(ctx, async (t) => {
      const { id } = await enqueue(t, { hook: 'r', timestamp: 1_800_000_000, interval_in_seconds: 3600 }, 'recurring');
      const action = (await t.call('GET', `/v1/actions/${id}`)).json();
      assert.deepEqual(action.schedule, { type: 'interval', timestamp: 1_800_000_000, interval: 3600 });
    }));

  it('refuses a recurring interval that is zero or not a whole number', () =>
    withApp(ctx, async (t) => {
      for (const interval of [0, 123.456, '10']) {
        const response = await t.call('POST', '/v1/actions/recurring', { hook: 'r', timestamp: 1, interval_in_seconds: interval });
        assert.equal(response.statusCode, 400, String(interval));
      }
      assert.equal((await t.call('GET', '/v1/actions?per_page=-1')).json().total, 0);
    }));

  it('dates a cron action at the first match at or after the timestamp, in UTC', () =>
    withApp(ctx, async (t) => {
      const base = Date.UTC(2014, 0, 1) / 1000;
      const { id } = await enqueue(t, { hook: 'c', timestamp: base, schedule: '0 0 10 10 *' }, 'cron');
      const action = (await t.call('GET', `/v1/actions/${id}`)).json();
      assert.equal(action.scheduled_date_gmt, '2014-10-10T00:00:00.000Z');
      assert.equal(action.schedule.cron, '0 0 10 10 *');
      const onTheMinute = await enqueue(t, { hook: 'c2', timestamp: base, schedule: '0 0 1 1 *' }, 'cron');
      assert.equal((await t.call('GET', `/v1/actions/${onTheMinute.id}`)).json().scheduled_timestamp, base);
    }));

  it('reads a sixth cron field as the year and accepts macros', () =>
    withApp(ctx, async (t) => {
      const base = Date.UTC(2030, 0, 1) / 1000;
      const { id } = await enqueue(t, { hook: 'y', timestamp: base, schedule: '0 12 1 6 * 2031' }, 'cron');
      assert.equal((await t.call('GET', `/v1/actions/${id}`)).json().scheduled_date_gmt, '2031-06-01T12:00:00.000Z');
      const daily = await enqueue(t, { hook: 'd', timestamp: base + 30, schedule: '@daily' }, 'cron');
      assert.equal(daily.status, 201);
    }));
});

describeEachDatabase('unique enqueues (hook + args + group among pending and in-progress)', import.meta.url, (ctx) => {
  it('blocks a second identical unique enqueue and names the existing action', () =>
    withApp(ctx, async (t) => {
      const first = await enqueue(t, { hook: 'u', unique: true });
      const second = await enqueue(t, { hook: 'u', unique: true });
      assert.equal(first.status, 201);
      assert.deepEqual(second, { status: 200, id: 0, existing: first.id });
    }));

  it('treats each group, the empty one included, as its own', () =>
    withApp(ctx, async (t) => {
      const a = await enqueue(t, { hook: 'u', unique: true, group: 'group1' });
      const b = await enqueue(t, { hook: 'u', unique: true, group: 'group2' });
      const c = await enqueue(t, { hook: 'u', unique: true });
      const d = await enqueue(t, { hook: 'u', unique: true, group: 'group2' });
      assert.ok(a.id > 0 && b.id > 0 && c.id > 0);
      assert.deepEqual(d, { status: 200, id: 0, existing: b.id });
    }));

  it('creates unique actions whose args differ (Action Scheduler 3.8 would block them)', () =>
    withApp(ctx, async (t) => {
      const a = await enqueue(t, { hook: 'u', args: { foo: 'bar' }, unique: true });
      const b = await enqueue(t, { hook: 'u', args: [], unique: true });
      const c = await enqueue(t, { hook: 'u', args: { foo: 'baz' }, unique: true });
      assert.ok(a.id > 0 && b.id > 0 && c.id > 0);
      assert.equal((await enqueue(t, { hook: 'u', args: { foo: 'bar' }, unique: true })).existing, a.id);
    }));

  it('never blocks a plain enqueue, and lets identical plain actions coexist', () =>
    withApp(ctx, async (t) => {
      const unique = await enqueue(t, { hook: 'u', unique: true });
      const plain1 = await enqueue(t, { hook: 'u' });
      const plain2 = await enqueue(t, { hook: 'u' });
      assert.ok(unique.id > 0 && plain1.id > 0 && plain2.id > 0);
      assert.equal(new Set([unique.id, plain1.id, plain2.id]).size, 3);
    }));

  it('blocks a unique enqueue with a pending plain twin', () =>
    withApp(ctx, async (t) => {
      const plain = await enqueue(t, { hook: 'u', args: [1] });
      assert.deepEqual(await enqueue(t, { hook: 'u', args: [1], unique: true }), { status: 200, id: 0, existing: plain.id });
    }));

  it('blocks while the twin is in progress and not after it finished or was canceled', () =>
    withApp(ctx, async (t) => {
      const first = await enqueue(t, { hook: 'u', unique: true });
      await ctx.db.query(`UPDATE ${ctx.db.schema}.actions SET status = 'in-progress', claim_token = gen_random_uuid() WHERE id = $1`, [first.id]);
      assert.equal((await enqueue(t, { hook: 'u', unique: true })).existing, first.id);
      await ctx.db.query(`UPDATE ${ctx.db.schema}.actions SET status = 'complete', claim_token = NULL WHERE id = $1`, [first.id]);
      const second = await enqueue(t, { hook: 'u', unique: true });
      assert.equal(second.status, 201);
      assert.equal((await t.call('POST', `/v1/actions/${second.id}/cancel`)).statusCode, 200);
      assert.equal((await enqueue(t, { hook: 'u', unique: true })).status, 201);
    }));

  it('lets exactly one of 100 concurrent identical unique enqueues create the action', () =>
    withApp(ctx, async (t) => {
      const results = await Promise.all(Array.from({ length: 100 }, () => enqueue(t, { hook: 'race', args: { log_id: 7 }, group: 'wecoza-notifications', unique: true })));
      const created = results.filter((r) => r.status === 201);
      assert.equal(created.length, 1);
      const blocked = results.filter((r) => r.status === 200);
      assert.equal(blocked.length, 99);
      for (const r of blocked) assert.deepEqual(r, { status: 200, id: 0, existing: created[0]?.id });
      assert.equal((await t.call('GET', '/v1/actions?hook=race&per_page=-1')).json().total, 1);
    }));

  it('lets exactly one of 100 concurrent enqueues win across two connections pools', async () => {
    const other = await ctx.openAnother();
    const a = await buildTestApp(ctx.db);
    const b = await buildTestApp(other);
    try {
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => enqueue(i % 2 === 0 ? a : b, { hook: 'race2', unique: true })));
      assert.equal(results.filter((r) => r.status === 201).length, 1);
      assert.equal((await a.call('GET', '/v1/actions?hook=race2&per_page=-1')).json().total, 1);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describeEachDatabase('POST /v1/actions/batch', import.meta.url, (ctx) => {
  it('answers one result per item in order and resolves uniqueness between items', () =>
    withApp(ctx, async (t) => {
      const response = await t.call('POST', '/v1/actions/batch', {
        actions: [
          { type: 'async', hook: 'b', args: [1], unique: true },
          { type: 'single', hook: 'b', args: [1], unique: true, timestamp: 2_000_000_000 },
          { type: 'async', hook: 'b', args: [2] },
          { type: 'async', hook: 'b', args: [2], unique: true },
          { type: 'recurring', hook: 'r', timestamp: 1, interval_in_seconds: 60 },
          { type: 'cron', hook: 'c', timestamp: 1, schedule: '*/5 * * * *' },
        ],
      });
      assert.equal(response.statusCode, 200, response.body);
      const results = response.json().results as Array<{ action_id: number; existing_action_id?: number }>;
      assert.equal(results.length, 6);
      const [r0, r1, r2, r3, r4, r5] = results as [typeof results[0], typeof results[0], typeof results[0], typeof results[0], typeof results[0], typeof results[0]];
      assert.ok(r0.action_id > 0);
      assert.deepEqual(r1, { action_id: 0, existing_action_id: r0.action_id });
      assert.ok(r2.action_id > r0.action_id);
      assert.deepEqual(r3, { action_id: 0, existing_action_id: r2.action_id });
      assert.ok(r4.action_id > 0 && r5.action_id > 0);
      assert.equal((await t.call('GET', '/v1/actions?per_page=-1')).json().total, 4);
    }));

  it('blocks batch items against live actions already in the table', () =>
    withApp(ctx, async (t) => {
      const existing = await enqueue(t, { hook: 'b', unique: true });
      const response = await t.call('POST', '/v1/actions/batch', { actions: [{ type: 'async', hook: 'b', unique: true }, { type: 'async', hook: 'b' }] });
      const results = response.json().results;
      assert.deepEqual(results[0], { action_id: 0, existing_action_id: existing.id });
      assert.ok(results[1].action_id > existing.id);
    }));

  it('takes 1000 items and refuses 1001', () =>
    withApp(ctx, async (t) => {
      const items = Array.from({ length: 1000 }, (_, i) => ({ type: 'async', hook: 'many', args: { i } }));
      const ok = await t.call('POST', '/v1/actions/batch', { actions: items });
      assert.equal(ok.statusCode, 200);
      assert.equal(new Set(ok.json().results.map((r: { action_id: number }) => r.action_id)).size, 1000);
      const tooMany = await t.call('POST', '/v1/actions/batch', { actions: [...items, { type: 'async', hook: 'many' }] });
      assert.equal(tooMany.statusCode, 400);
      assert.equal((await t.call('GET', '/v1/actions?hook=many&per_page=1')).json().total, 1000);
    }));

  it('refuses the whole batch when one item is bad, names its index and writes nothing', () =>
    withApp(ctx, async (t) => {
      const response = await t.call('POST', '/v1/actions/batch', {
        actions: [
          { type: 'async', hook: 'ok' },
          { type: 'cron', hook: 'bad', timestamp: 1, schedule: '61 * * * *' },
        ],
      });
      assert.equal(response.statusCode, 400);
      assert.equal(response.json().error.code, 'invalid_cron');
      assert.equal(response.json().error.index, 1);
      assert.equal((await t.call('GET', '/v1/actions?per_page=-1')).json().total, 0);
    }));
});
