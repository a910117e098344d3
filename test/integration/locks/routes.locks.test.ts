import assert from 'node:assert/strict';
import http from 'node:http';
import { it } from 'node:test';
import { buildTestApp, TEST_TOKEN, withTestApp, type TestApp } from '../../support/app.ts';
import { describeEachDatabase, type DatabaseContext } from '../../support/databases.ts';

const withApp = <T>(ctx: DatabaseContext, fn: (t: TestApp) => Promise<T>): Promise<T> => withTestApp(ctx.db, fn);

/** POST with node:http, which sends the path exactly as written. */
function rawPost(origin: string, path: string, body: unknown): Promise<{ status: number; json: { error: { code: string; message: string } } }> {
  return new Promise((resolve, reject) => {
    const request = http.request(origin, { method: 'POST', path, headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, json: JSON.parse(text) }));
    });
    request.on('error', reject);
    request.end(JSON.stringify(body));
  });
}

/** Move a lock's expiry into the past, as if its TTL had run out. */
async function expire(ctx: DatabaseContext, key: string): Promise<void> {
  await ctx.db.query(`UPDATE ${ctx.db.schema}.locks SET expires_at = now() - interval '1 second' WHERE key = $1`, [key]);
}

describeEachDatabase('POST /v1/locks/{key} (acquire)', import.meta.url, (ctx) => {
  it('gives exactly one token to 50 concurrent acquirers and tells the others who holds it', () =>
    withApp(ctx, async (t) => {
      const other = await ctx.openAnother();
      const t2 = await buildTestApp(other);
      try {
        const answers = await Promise.all(
          Array.from({ length: 50 }, (_, i) => (i % 2 ? t : t2).call('POST', '/v1/locks/wecoza_ai_summary_lock', { ttl_seconds: 120, owner: `worker-${i}` })),
        );
        const granted = answers.filter((r) => r.statusCode === 201);
        assert.equal(granted.length, 1);
        const winner = granted[0]?.json();
        assert.equal(winner.fence, 1);
        for (const refused of answers.filter((r) => r.statusCode !== 201)) {
          assert.equal(refused.statusCode, 409);
          const error = refused.json().error;
          assert.equal(error.code, 'lock_held');
          assert.match(error.owner, /^worker-\d+$/);
          assert.equal(error.expires_at, winner.expires_at);
        }
      } finally {
        await t2.close();
      }
    }));

  it('lets an expired lock be taken, with a higher fence', () =>
    withApp(ctx, async (t) => {
      const first = (await t.call('POST', '/v1/locks/k', { ttl_seconds: 60 })).json();
      await expire(ctx, 'k');
      const second = await t.call('POST', '/v1/locks/k', { ttl_seconds: 60, owner: 'next' });
      assert.equal(second.statusCode, 201);
      assert.equal(second.json().fence, first.fence + 1);
      assert.notEqual(second.json().token, first.token);
      const state = (await t.call('GET', '/v1/locks/k')).json();
      assert.deepEqual({ held: state.held, owner: state.owner, fence: state.fence }, { held: true, owner: 'next', fence: 2 });
    }));

  it('keeps raising the fence across a release', () =>
    withApp(ctx, async (t) => {
      const first = (await t.call('POST', '/v1/locks/k', { ttl_seconds: 60 })).json();
      assert.equal((await t.call('POST', '/v1/locks/k/release', { token: first.token })).statusCode, 200);
      assert.equal((await t.call('GET', '/v1/locks/k')).json().held, false);
      assert.equal((await t.call('POST', '/v1/locks/k', { ttl_seconds: 60 })).json().fence, 2);
    }));

  it('refuses a ttl outside 1–86400 seconds and an unknown key on GET', () =>
    withApp(ctx, async (t) => {
      for (const ttl of [0, 86_401, '60']) assert.equal((await t.call('POST', '/v1/locks/k', { ttl_seconds: ttl })).statusCode, 400);
      assert.equal((await t.call('GET', '/v1/locks/never')).statusCode, 404);
    }));

  it('refuses the keys "." and ".." (clients drop such path segments) with 400 and takes dotted keys', () =>
    withApp(ctx, async (t) => {
      // inject resolves dot segments, %2E included (WHATWG URL); node:http sends the path as written.
      const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
      for (const key of ['%2E', '%2e%2E']) {
        const refused = await rawPost(address, `/v1/locks/${key}`, { ttl_seconds: 60 });
        assert.equal(refused.status, 400, key);
        assert.equal(refused.json.error.code, 'validation_failed');
        assert.match(refused.json.error.message, /"\."/);
      }
      for (const key of ['...', '.a', '..b', 'a.b']) assert.equal((await t.call('POST', `/v1/locks/${encodeURIComponent(key)}`, { ttl_seconds: 60 })).statusCode, 201, key);
      const { rows } = await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${ctx.db.schema}.locks`);
      assert.equal(rows[0]?.n, 4);
    }));
});

describeEachDatabase('POST /v1/locks/{key}/refresh and /release', import.meta.url, (ctx) => {
  it('refreshes and releases only with the holder’s token', () =>
    withApp(ctx, async (t) => {
      const lock = (await t.call('POST', '/v1/locks/k', { ttl_seconds: 5 })).json();
      const wrong = '00000000-0000-4000-8000-000000000000';
      for (const path of ['refresh', 'release']) {
        const body = path === 'release' ? { token: wrong } : { token: wrong, ttl_seconds: 60 };
        const refused = await t.call('POST', `/v1/locks/k/${path}`, body);
        assert.equal(refused.statusCode, 409);
        assert.equal(refused.json().error.code, 'lock_lost');
      }
      assert.equal((await t.call('POST', '/v1/locks/k/refresh', { token: 'not-a-uuid', ttl_seconds: 60 })).statusCode, 409);
      const refreshed = await t.call('POST', '/v1/locks/k/refresh', { token: lock.token, ttl_seconds: 600 });
      assert.equal(refreshed.statusCode, 200);
      assert.ok(Date.parse(refreshed.json().expires_at) > Date.parse(lock.expires_at));
      assert.equal(refreshed.json().fence, lock.fence);
      assert.equal((await t.call('POST', '/v1/locks/k/release', { token: lock.token })).statusCode, 200);
      assert.equal((await t.call('POST', '/v1/locks/k/release', { token: lock.token })).statusCode, 409);
    }));

  it('refuses to refresh an expired lock even when nobody took it', () =>
    withApp(ctx, async (t) => {
      const lock = (await t.call('POST', '/v1/locks/k', { ttl_seconds: 60 })).json();
      await expire(ctx, 'k');
      const refused = await t.call('POST', '/v1/locks/k/refresh', { token: lock.token, ttl_seconds: 60 });
      assert.equal(refused.statusCode, 409);
      assert.equal(refused.json().error.code, 'lock_lost');
      assert.equal((await t.call('GET', '/v1/locks/k')).json().held, false);
    }));
});
