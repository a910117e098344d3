/**
 * The routes the WordPress bridge uses to answer a page of Action Scheduler's admin screen in few
 * calls: several actions with their logs by id, and the counts per status.
 */
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

describeEachDatabase('POST /v1/actions/fetch', import.meta.url, (ctx) => {
  it('answers the actions in the order of the ids, with their log lines, and lists the unknown ids', () =>
    withApp(ctx, async (t) => {
      const a = await create(t, { hook: 'a', args: { n: 1 }, group: 'g' });
      const b = await create(t, { hook: 'b', timestamp: 2_000_000_000 }, 'single');
      assert.equal((await t.call('POST', `/v1/actions/${a}/cancel`)).statusCode, 200);

      const reply = await t.call('POST', '/v1/actions/fetch', { ids: [b, 999, a, b], logs: true });

      assert.equal(reply.statusCode, 200, reply.body);
      const body = reply.json();
      assert.deepEqual(body.actions.map((action: { id: number }) => action.id), [b, a]);
      assert.deepEqual(body.missing, [999]);
      assert.deepEqual(body.actions[1].logs.map((line: { message: string }) => line.message), ['action created', 'action canceled']);
      assert.equal(body.actions[1].status, 'canceled');
      assert.deepEqual(body.actions[1].args, { n: 1 });
      assert.equal(body.actions[0].scheduled_timestamp, 2_000_000_000);
    }));

  it('leaves the log lines out unless asked for them', () =>
    withApp(ctx, async (t) => {
      const a = await create(t, { hook: 'a' });
      const body = (await t.call('POST', '/v1/actions/fetch', { ids: [a] })).json();
      assert.equal(body.actions.length, 1);
      assert.equal('logs' in body.actions[0], false);
    }));

  it('refuses an empty list, more than 100 ids and ids that are not positive integers', () =>
    withApp(ctx, async (t) => {
      for (const ids of [[], Array.from({ length: 101 }, (_, i) => i + 1), [0], ['1'], [1.5]]) {
        const reply = await t.call('POST', '/v1/actions/fetch', { ids });
        assert.equal(reply.statusCode, 400, JSON.stringify(ids));
        assert.equal(reply.json().error.code, 'validation_failed');
      }
    }));
});

describeEachDatabase('GET /v1/actions/counts', import.meta.url, (ctx) => {
  it('counts every status, zero included, and the pending actions already due as past-due', () =>
    withApp(ctx, async (t) => {
      const empty = (await t.call('GET', '/v1/actions/counts')).json();
      assert.deepEqual(empty, { counts: { pending: 0, 'in-progress': 0, complete: 0, failed: 0, canceled: 0 }, past_due: 0 });

      await create(t, { hook: 'due' });
      await create(t, { hook: 'due-single', timestamp: 1_000 }, 'single');
      await create(t, { hook: 'later', timestamp: 4_000_000_000 }, 'single');
      const canceled = await create(t, { hook: 'x' });
      await t.call('POST', `/v1/actions/${canceled}/cancel`);
      const running = await create(t, { hook: 'y' });
      await ctx.db.query(`UPDATE ${ctx.db.schema}.actions SET status = 'in-progress', claim_token = gen_random_uuid() WHERE id = $1`, [running]);

      const reply = await t.call('GET', '/v1/actions/counts');
      assert.equal(reply.statusCode, 200);
      assert.deepEqual(reply.json(), { counts: { pending: 3, 'in-progress': 1, complete: 0, failed: 0, canceled: 1 }, past_due: 2 });
    }));
});

describeEachDatabase('batch async items with the time they were first enqueued', import.meta.url, (ctx) => {
  it('keeps a past enqueue time, reads a future one as now, and stays async', () =>
    withApp(ctx, async (t) => {
      const now = Math.floor(Date.now() / 1000);
      const reply = await t.call('POST', '/v1/actions/batch', {
        actions: [
          { type: 'async', hook: 'moved', timestamp: now - 3600 },
          { type: 'async', hook: 'moved', timestamp: now + 3600 },
        ],
      });
      assert.equal(reply.statusCode, 200, reply.body);
      const [past, future] = reply.json().results.map((r: { action_id: number }) => r.action_id);
      const pastAction = (await t.call('GET', `/v1/actions/${past}`)).json();
      const futureAction = (await t.call('GET', `/v1/actions/${future}`)).json();
      assert.equal(pastAction.scheduled_timestamp, now - 3600);
      assert.deepEqual(pastAction.schedule, { type: 'async' });
      assert.ok(futureAction.scheduled_timestamp <= Math.floor(Date.now() / 1000), `future enqueue time kept: ${futureAction.scheduled_timestamp}`);
      assert.equal((await t.call('POST', '/v1/actions/next', { hook: 'moved' })).json().next, true);
    }));

  it('refuses an enqueue time on the single async route', () =>
    withApp(ctx, async (t) => {
      const reply = await t.call('POST', '/v1/actions/async', { hook: 'h', timestamp: 1 });
      assert.equal(reply.statusCode, 400);
    }));
});

describeEachDatabase('orderby modified puts never-attempted actions first, as Action Scheduler does', import.meta.url, (ctx) => {
  it('sorts a NULL last attempt below every date ascending and above none descending', () =>
    withApp(ctx, async (t) => {
      const never = await create(t, { hook: 'm' });
      const tried = await create(t, { hook: 'm' });
      await ctx.db.query(`UPDATE ${ctx.db.schema}.actions SET last_attempt_at = now() WHERE id = $1`, [tried]);
      const ids = async (order: string): Promise<number[]> =>
        (await t.call('POST', '/v1/actions/query', { hook: 'm', orderby: 'modified', order, per_page: -1 })).json().actions.map((a: { id: number }) => a.id);
      assert.deepEqual(await ids('ASC'), [never, tried]);
      assert.deepEqual(await ids('DESC'), [tried, never]);
    }));
});

describeEachDatabase('orderby hook and group ignore letter case, as Action Scheduler\'s MySQL collation does', import.meta.url, (ctx) => {
  it('sorts Beta between alpha and gamma, both ways', () =>
    withApp(ctx, async (t) => {
      const ids = { alpha: await create(t, { hook: 'alpha', group: 'g_alpha' }), beta: await create(t, { hook: 'Beta', group: 'G_Beta' }), gamma: await create(t, { hook: 'gamma', group: 'g_gamma' }) };
      for (const orderby of ['hook', 'group']) {
        const listed = async (order: string): Promise<number[]> =>
          (await t.call('POST', '/v1/actions/query', { orderby, order, per_page: -1 })).json().actions.map((a: { id: number }) => a.id);
        assert.deepEqual(await listed('ASC'), [ids.alpha, ids.beta, ids.gamma], orderby);
        assert.deepEqual(await listed('DESC'), [ids.gamma, ids.beta, ids.alpha], orderby);
      }
    }));
});
