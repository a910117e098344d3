import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { it } from 'node:test';
import { describeEachDatabase } from '../../support/databases.ts';
import { startFakeWordPress, type Received } from '../../support/fake-wordpress.ts';
import { actionState, countByStatus, logMessages, startTestRunner, waitFor } from '../../support/runner.ts';

const SECRET = 'callback-secret-0123456789';

/** What the bridge does: recompute the HMAC of "<timestamp>.<body>" and compare in constant time. */
function signatureIsValid(received: Received): boolean {
  const timestamp = received.headers['x-sidecar-timestamp'] as string;
  const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${received.body}`).digest('hex')}`);
  const given = Buffer.from(String(received.headers['x-sidecar-signature']));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const json = (response: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
};

describeEachDatabase('runner dispatch to WordPress', import.meta.url, (ctx) => {
  it('posts the action signed with the callback secret, args verbatim, and completes it on a 2xx', async () => {
    const wp = await startFakeWordPress((_request, response) => json(response, 200, { ok: true }));
    const t = await startTestRunner(ctx.db, { config: { wpCallbackUrl: wp.url, wpCallbackSecret: SECRET } });
    try {
      const args = '{"n":1.50,"big":12345678901234567890,"name":"Zoë"}';
      const [id] = await t.enqueue([{ hook: 'wecoza_php_hook', argsText: args, group: 'wecoza-notifications' }]);
      await waitFor(async () => (await actionState(ctx.db, id as number)).status === 'complete', { what: 'completion' });
      assert.equal(wp.received.length, 1);
      const request = wp.received[0] as Received;
      assert.ok(signatureIsValid(request), 'the signature verifies with the secret');
      assert.ok(Math.abs(Number(request.headers['x-sidecar-timestamp']) - Date.now() / 1000) < 60);
      const claim = (await ctx.db.query<{ message: string }>(`SELECT claim_token::text AS message FROM ${ctx.db.schema}.actions WHERE id = $1`, [id])).rows[0];
      assert.match(request.body, /"claim_id":"[0-9a-f-]{36}"}$/);
      assert.equal(
        request.body,
        `{"action_id":${id},"hook":"wecoza_php_hook","args":${args},"group":"wecoza-notifications","attempt":1,"claim_id":${JSON.stringify(JSON.parse(request.body).claim_id)}}`,
      );
      assert.equal(claim?.message ?? null, null, 'the claim token is cleared once the action completes');
      assert.equal(request.headers['content-type'], 'application/json');
    } finally {
      await t.stop();
      await wp.close();
    }
  });

  it('refuses to verify a body changed after signing', async () => {
    const wp = await startFakeWordPress((_request, response) => json(response, 204, {}));
    const t = await startTestRunner(ctx.db, { config: { wpCallbackUrl: wp.url, wpCallbackSecret: SECRET } });
    try {
      const [id] = await t.enqueue([{ hook: 'tamper_check', argsText: '[1]' }]);
      await waitFor(async () => (await actionState(ctx.db, id as number)).status === 'complete', { what: 'completion' });
      const request = wp.received[0] as Received;
      assert.ok(signatureIsValid(request));
      assert.equal(signatureIsValid({ ...request, body: request.body.replace('[1]', '[2]') }), false);
    } finally {
      await t.stop();
      await wp.close();
    }
  });

  it('fails the attempt with the status and the error message WordPress answered with a 500', async () => {
    const wp = await startFakeWordPress((_request, response) => json(response, 500, { code: 'wecoza_sidecar_failed', message: 'Call to undefined function wecoza_send()', data: { status: 500 } }));
    const t = await startTestRunner(ctx.db, { config: { wpCallbackUrl: wp.url, wpCallbackSecret: SECRET } });
    try {
      const [id] = await t.enqueue([{ hook: 'php_fatal' }]);
      const state = await waitFor(async () => {
        const s = await actionState(ctx.db, id as number);
        return s.status === 'failed' && s;
      }, { what: 'failure' });
      assert.equal(state.last_error, 'WordPress answered 500: Call to undefined function wecoza_send()');
      assert.equal((await logMessages(ctx.db, id as number)).at(-1), 'action failed via Sidecar: WordPress answered 500: Call to undefined function wecoza_send()');
    } finally {
      await t.stop();
      await wp.close();
    }
  });

  it('fails with the timeout when WordPress does not answer within the hook’s execution timeout', async () => {
    const wp = await startFakeWordPress(() => undefined);
    const t = await startTestRunner(ctx.db, { config: { wpCallbackUrl: wp.url, wpCallbackSecret: SECRET, retryPolicies: { php_slow: { timeout_seconds: 1 } } } });
    try {
      const [id] = await t.enqueue([{ hook: 'php_slow' }]);
      const state = await waitFor(async () => {
        const s = await actionState(ctx.db, id as number);
        return s.status === 'failed' && s;
      }, { what: 'the timeout' });
      assert.equal(state.last_error, 'timed out after 1 s');
      await waitFor(() => t.runner.running === 0, { what: 'the aborted request to free its slot' });
    } finally {
      await t.stop();
      await wp.close();
    }
  });

  it('snoozes the action on a 503 with Retry-After, spending no attempt', async () => {
    const wp = await startFakeWordPress((_request, response) => json(response, 503, { message: 'Maintenance' }, { 'retry-after': '120' }));
    const t = await startTestRunner(ctx.db, { config: { wpCallbackUrl: wp.url, wpCallbackSecret: SECRET } });
    try {
      const [id] = await t.enqueue([{ hook: 'php_busy' }]);
      const state = await waitFor(async () => {
        const s = await actionState(ctx.db, id as number);
        return s.snoozes === 1 && s;
      }, { what: 'the snooze' });
      assert.deepEqual([state.status, state.attempts], ['pending', 0]);
      const inSeconds = (state.scheduled_at.getTime() - Date.now()) / 1000;
      assert.ok(inSeconds > 110 && inSeconds <= 121, `due again in ${inSeconds} s`);
      assert.match((await logMessages(ctx.db, id as number)).at(-1) ?? '', /snoozed via Sidecar for 120 s .*WordPress answered 503 with Retry-After 120 s: Maintenance$/);
    } finally {
      await t.stop();
      await wp.close();
    }
  });

  it('runs at most 4 dispatches of one hook at once by default', async () => {
    let open = 0;
    let peak = 0;
    const wp = await startFakeWordPress((_request, response) => {
      open++;
      peak = Math.max(peak, open);
      setTimeout(() => {
        open--;
        json(response, 200, {});
      }, 40);
    });
    const t = await startTestRunner(ctx.db, { config: { runnerConcurrency: 16, wpCallbackUrl: wp.url, wpCallbackSecret: SECRET } });
    try {
      await t.enqueue(Array.from({ length: 16 }, (_, i) => ({ hook: 'php_many', argsText: `[${i}]` })));
      await waitFor(async () => (await countByStatus(ctx.db, 'php_many')).complete === 16, { what: '16 completions' });
      assert.equal(peak, 4);
    } finally {
      await t.stop();
      await wp.close();
    }
  });
});
