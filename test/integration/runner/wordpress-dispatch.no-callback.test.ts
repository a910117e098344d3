import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeEachDatabase } from '../../support/databases.ts';
import { buildTestApp } from '../../support/app.ts';
import { startFakeWordPress } from '../../support/fake-wordpress.ts';
import { createTestSource } from '../../support/notifications.ts';
import { actionState, logMessages, startTestRunner, waitFor } from '../../support/runner.ts';

const SECRET = 'callback-secret-0123456789';
const NO_CALLBACK = { wpCallbackUrl: null, wpCallbackSecret: null };

/**
 * Without WP_CALLBACK_URL, hooks that would be dispatched to WordPress are not claimed: they wait,
 * pending, and nothing fails because a setting is missing. "Not claimed" is shown without a timed
 * wait: an action of a built-in hook enqueued after the waiting one, at the same priority, runs; the
 * claim order would have reached the waiting one first.
 */
describeEachDatabase('runner without a WordPress callback URL', import.meta.url, (ctx) => {
  it('leaves actions of hooks without a handler pending, unclaimed, while built-in hooks run', async () => {
    const ran: number[] = [];
    const t = await startTestRunner(ctx.db, { config: NO_CALLBACK, handlers: { builtin_hook: async ({ action }) => void ran.push(action.id) } });
    try {
      const [waiting] = await t.enqueue([{ hook: 'wecoza_php_hook', maxAttempts: 3 }]);
      const [builtin] = await t.enqueue([{ hook: 'builtin_hook' }]);
      await waitFor(async () => (await actionState(ctx.db, builtin as number)).status === 'complete', { what: 'the built-in action' });
      const state = await actionState(ctx.db, waiting as number);
      assert.equal(state.status, 'pending');
      assert.equal(state.attempts, 0, 'no attempt spent');
      assert.equal(state.claim_token, null);
      assert.equal(state.last_error, null);
      assert.deepEqual(await logMessages(ctx.db, waiting as number), ['action created']);
      assert.deepEqual(ran, [builtin]);
    } finally {
      await t.stop();
    }
  });

  it('refuses to run such an action on demand and leaves it pending', async () => {
    const t = await startTestRunner(ctx.db, { config: NO_CALLBACK, start: false });
    try {
      const [id] = await t.enqueue([{ hook: 'wecoza_php_hook' }]);
      assert.equal(await t.runner.runNow(id as number, 1_000), 'no_callback');
      assert.equal((await actionState(ctx.db, id as number)).status, 'pending');
    } finally {
      await t.stop();
    }
  });

  it('runs the waiting actions once a process starts with the callback URL set', async () => {
    const wp = await startFakeWordPress((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"ok":true}');
    });
    const ids: number[] = [];
    const before = await startTestRunner(ctx.db, { config: NO_CALLBACK, handlers: { builtin_hook: async () => undefined } });
    try {
      ids.push(...(await before.enqueue([{ hook: 'wecoza_php_hook', argsText: '[1]' }, { hook: 'wecoza_php_hook', argsText: '[2]' }])));
      const [builtin] = await before.enqueue([{ hook: 'builtin_hook' }]);
      await waitFor(async () => (await actionState(ctx.db, builtin as number)).status === 'complete', { what: 'the built-in action' });
      for (const id of ids) assert.equal((await actionState(ctx.db, id)).status, 'pending');
    } finally {
      await before.stop();
    }
    const after = await startTestRunner(ctx.db, { config: { wpCallbackUrl: wp.url, wpCallbackSecret: SECRET } });
    try {
      for (const id of ids) await waitFor(async () => (await actionState(ctx.db, id)).status === 'complete', { what: `action ${id} dispatched` });
      assert.equal(wp.received.length, 2);
      assert.deepEqual(wp.received.map((r) => JSON.parse(r.body).hook), ['wecoza_php_hook', 'wecoza_php_hook']);
    } finally {
      await after.stop();
      await wp.close();
    }
  });

  it('warns on /readyz with the count of due actions waiting, and /metrics counts them', async () => {
    const sourceTable = await createTestSource(ctx.db, ctx.schemaName);
    const t = await buildTestApp(ctx.db, { ...NO_CALLBACK, sourceTable });
    try {
      for (const args of [[1], [2]]) assert.equal((await t.call('POST', '/v1/actions/async', { hook: 'wecoza_php_hook', args })).statusCode, 201);
      // Neither a future action nor a built-in hook's counts.
      assert.equal((await t.call('POST', '/v1/actions/single', { hook: 'wecoza_php_hook', timestamp: 1893456000 })).statusCode, 201);
      assert.equal((await t.call('POST', '/v1/actions/async', { hook: 'wecoza_enrich_notification', args: { log_id: 1 } })).statusCode, 201);
      const ready = await t.call('GET', '/readyz');
      assert.equal(ready.statusCode, 200);
      const body = ready.json();
      assert.equal(body.status, 'degraded');
      assert.equal(body.checks.wordpress_callback.status, 'warn');
      assert.match(body.checks.wordpress_callback.detail, /^2 due actions wait for WP_CALLBACK_URL/);
      const metrics = await t.call('GET', '/metrics');
      assert.match(metrics.body, /^sidecar_actions_waiting_for_callback 2$/m);
    } finally {
      await t.close();
    }
  });

  it('has no wordpress_callback check and counts none when the URL is set', async () => {
    const t = await buildTestApp(ctx.db, { wpCallbackUrl: 'http://127.0.0.1:9/?rest_route=/wecoza-sidecar/v1/run', wpCallbackSecret: SECRET });
    try {
      assert.equal((await t.call('POST', '/v1/actions/async', { hook: 'wecoza_php_hook' })).statusCode, 201);
      const body = (await t.call('GET', '/readyz')).json();
      assert.equal(body.checks.wordpress_callback, undefined);
      assert.match((await t.call('GET', '/metrics')).body, /^sidecar_actions_waiting_for_callback 0$/m);
    } finally {
      await t.close();
    }
  });
});
