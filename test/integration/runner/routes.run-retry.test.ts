import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { createHandlerRegistry, type HandlerRegistry } from '../../../server/runner/handlers.ts';
import { buildTestApp, type TestApp } from '../../support/app.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { delay, logMessages } from '../../support/runner.ts';

function registry(): HandlerRegistry {
  const handlers = createHandlerRegistry();
  handlers.register({ hook: 'quick', run: async () => undefined });
  handlers.register({ hook: 'fails', run: async () => Promise.reject(new Error('nope')) });
  handlers.register({ hook: 'slow', run: ({ signal }) => delay(5_000, signal) });
  return handlers;
}

const future = (): number => Math.floor(Date.now() / 1000) + 86_400;

describeEachDatabase('POST /v1/actions/{id}/run and /retry', import.meta.url, (ctx) => {
  const apps: TestApp[] = [];
  const open = async (...args: Parameters<typeof buildTestApp> extends [unknown, ...infer R] ? R : never): Promise<TestApp> => {
    const app = await buildTestApp(ctx.db, ...args);
    let closing: Promise<void> | null = null;
    const once = { ...app, close: () => (closing ??= app.close()) };
    apps.push(once);
    return once;
  };
  after(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  it('runs a pending action now, whatever its date, and answers 200 with its final state', async () => {
    const t = await open({}, { handlers: registry() });
    const created = await t.call('POST', '/v1/actions/single', { hook: 'quick', timestamp: future() });
    const id = created.json().action_id as number;
    const response = await t.call('POST', `/v1/actions/${id}/run`);
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual([response.json().status, response.json().attempts, response.json().claim_id], ['complete', 1, null]);
    assert.deepEqual(await logMessages(ctx.db, id), ['action created', 'action started via Sidecar', 'action complete via Sidecar']);
    await t.close();
  });

  it('answers 200 with the failed action when its only attempt fails', async () => {
    const t = await open({}, { handlers: registry() });
    const id = (await t.call('POST', '/v1/actions/async', { hook: 'fails' })).json().action_id as number;
    const response = await t.call('POST', `/v1/actions/${id}/run`);
    assert.equal(response.statusCode, 200);
    assert.deepEqual([response.json().status, response.json().last_error], ['failed', 'nope']);
    await t.close();
  });

  it('answers 202 with the action still in progress when it outlasts the wait', async () => {
    const t = await open({}, { handlers: registry(), runnerTimings: { runNowWaitMs: 200 } });
    const id = (await t.call('POST', '/v1/actions/async', { hook: 'slow' })).json().action_id as number;
    const response = await t.call('POST', `/v1/actions/${id}/run`);
    assert.equal(response.statusCode, 202);
    assert.equal(response.json().status, 'in-progress');
    assert.equal(typeof response.json().claim_id, 'string');
    await t.app.sidecar.runner?.stop(0);
    const after = await t.call('GET', `/v1/actions/${id}`);
    assert.deepEqual([after.json().status, after.json().attempts], ['pending', 0], 'a shutdown gives the unfinished run back');
    await t.close();
  });

  it('answers 409 not_pending for an action that already ran, and 404 for an unknown id', async () => {
    const t = await open({}, { handlers: registry() });
    const id = (await t.call('POST', '/v1/actions/async', { hook: 'quick' })).json().action_id as number;
    assert.equal((await t.call('POST', `/v1/actions/${id}/run`)).statusCode, 200);
    const again = await t.call('POST', `/v1/actions/${id}/run`);
    assert.equal(again.statusCode, 409);
    assert.deepEqual(again.json().error, { code: 'not_pending', message: `Action ${id} is complete; only a pending action can be run.`, status: 'complete' });
    const missing = await t.call('POST', '/v1/actions/999999/run');
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error.code, 'not_found');
    await t.close();
  });

  it('answers 503 role_not_serving to /run in an API-only process', async () => {
    const t = await open({ role: 'api' }, { handlers: registry() });
    assert.equal(t.app.sidecar.runner, null);
    const id = (await t.call('POST', '/v1/actions/async', { hook: 'quick' })).json().action_id as number;
    const response = await t.call('POST', `/v1/actions/${id}/run`);
    assert.equal(response.statusCode, 503);
    assert.equal(response.json().error.code, 'role_not_serving');
    await t.close();
  });

  it('makes a failed action pending again with a fresh attempt budget and an "action reset" log line', async () => {
    const t = await open({}, { handlers: registry() });
    const id = (await t.call('POST', '/v1/actions/async', { hook: 'fails', max_attempts: 2 })).json().action_id as number;
    assert.equal((await t.call('POST', `/v1/actions/${id}/run`)).json().status, 'pending', 'first attempt failed, one left');
    assert.equal((await t.call('POST', `/v1/actions/${id}/run`)).json().status, 'failed');
    const response = await t.call('POST', `/v1/actions/${id}/retry`);
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual([response.json().status, response.json().attempts, response.json().max_attempts], ['pending', 0, 2]);
    assert.ok(Math.abs(response.json().scheduled_timestamp - Date.now() / 1000) < 60, 'due now');
    assert.equal((await logMessages(ctx.db, id)).at(-1), 'action reset: retry requested via Sidecar (a fresh budget of 2 attempts)');
    await t.close();
  });

  it('retries a failed instance of a series that went on as a single run, so the series never runs twice', async () => {
    const t = await open({}, { handlers: registry() });
    const id = (await t.call('POST', '/v1/actions/recurring', { hook: 'fails', timestamp: Math.floor(Date.now() / 1000) - 10, interval_in_seconds: 3600 })).json().action_id as number;
    assert.equal((await t.call('POST', `/v1/actions/${id}/run`)).json().status, 'failed');
    const response = await t.call('POST', `/v1/actions/${id}/retry`);
    assert.equal(response.statusCode, 200);
    assert.equal(response.json().schedule.type, 'single');
    assert.match((await logMessages(ctx.db, id)).at(-1) ?? '', /; it runs once: its series already has a pending instance$/);
    assert.equal((await t.call('POST', `/v1/actions/${id}/run`)).json().status, 'failed');
    const { rows } = await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${ctx.db.schema}.actions WHERE hook = 'fails' AND status = 'pending'`);
    assert.equal(rows[0]?.n, 1, 'still one pending instance: the series was not doubled');
    await t.close();
  });

  it('keeps a retried instance of a stopped series recurring, so a success resumes the series', async () => {
    const t = await open({}, { handlers: registry() });
    const id = (await t.call('POST', '/v1/actions/recurring', { hook: 'quick', timestamp: Math.floor(Date.now() / 1000) - 10, interval_in_seconds: 3600 })).json().action_id as number;
    // As the 5-failure rule leaves it: failed, and no next instance.
    await ctx.db.query(`UPDATE ${ctx.db.schema}.actions SET status = 'failed', attempts = 1, finished_at = now(), series_failures = 4 WHERE id = $1`, [id]);
    const response = await t.call('POST', `/v1/actions/${id}/retry`);
    assert.equal(response.json().schedule.type, 'interval');
    assert.equal((await t.call('POST', `/v1/actions/${id}/run`)).json().status, 'complete');
    const { rows } = await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${ctx.db.schema}.actions WHERE hook = 'quick' AND status = 'pending' AND schedule_type = 'interval'`);
    assert.equal(rows[0]?.n, 1, 'the series resumed');
    await t.close();
  });

  it('answers 409 not_failed to /retry of an action that is not failed, and 404 for an unknown id', async () => {
    const t = await open({}, { handlers: registry() });
    const id = (await t.call('POST', '/v1/actions/async', { hook: 'quick' })).json().action_id as number;
    const response = await t.call('POST', `/v1/actions/${id}/retry`);
    assert.equal(response.statusCode, 409);
    assert.deepEqual([response.json().error.code, response.json().error.status], ['not_failed', 'pending']);
    assert.equal((await t.call('POST', '/v1/actions/999999/retry')).statusCode, 404);
    await t.close();
  });

  it('answers 409 retry_blocked when a unique action’s twin is live again', async () => {
    const t = await open({}, { handlers: registry() });
    const id = (await t.call('POST', '/v1/actions/async', { hook: 'fails', unique: true, args: { row: 1 } })).json().action_id as number;
    assert.equal((await t.call('POST', `/v1/actions/${id}/run`)).json().status, 'failed');
    const twin = await t.call('POST', '/v1/actions/async', { hook: 'fails', unique: true, args: { row: 1 } });
    assert.equal(twin.statusCode, 201);
    const response = await t.call('POST', `/v1/actions/${id}/retry`);
    assert.equal(response.statusCode, 409);
    assert.equal(response.json().error.code, 'retry_blocked');
    assert.equal((await t.call('GET', `/v1/actions/${id}`)).json().status, 'failed');
    await t.close();
  });

  it('needs the bearer token for /run and /retry', async () => {
    const t = await open({}, { handlers: registry() });
    for (const route of ['/v1/actions/1/run', '/v1/actions/1/retry']) {
      const response = await t.app.inject({ method: 'POST', url: route });
      assert.equal(response.statusCode, 401, route);
    }
    await t.close();
  });

  it('serves only health, readiness and metrics in a worker process', async () => {
    const t = await open({ role: 'worker' }, { handlers: registry() });
    assert.notEqual(t.app.sidecar.runner, null);
    assert.equal((await t.call('GET', '/healthz')).statusCode, 200);
    assert.equal((await t.call('GET', '/metrics')).statusCode, 200);
    assert.equal((await t.call('POST', '/v1/actions/async', { hook: 'quick' })).statusCode, 404);
    assert.equal((await t.call('GET', '/openapi.json')).statusCode, 404);
    await t.close();
  });
});
