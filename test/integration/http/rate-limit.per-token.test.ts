import assert from 'node:assert/strict';
import { it } from 'node:test';
import { buildTestApp } from '../../support/app.ts';
import { describeEachDatabase } from '../../support/databases.ts';

describeEachDatabase('rate limits', import.meta.url, (ctx) => {
  it('answers 429 with Retry-After once the token spent its budget, and 401 does not spend it', async () => {
    const t = await buildTestApp(ctx.db, { rateLimitMax: 3, rateLimitWindowSeconds: 60 });
    try {
      for (let i = 0; i < 5; i++) assert.equal((await t.call('GET', '/v1/actions', undefined, { authorization: 'Bearer wrong-token-0000000000' })).statusCode, 401);
      for (let i = 0; i < 3; i++) assert.equal((await t.call('GET', '/v1/actions')).statusCode, 200);
      const limited = await t.call('GET', '/v1/actions', undefined, { 'x-forwarded-for': '10.9.9.9' });
      assert.equal(limited.statusCode, 429);
      assert.equal(limited.json().error.code, 'rate_limited');
      assert.ok(Number(limited.headers['retry-after']) > 0);
      assert.equal((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    } finally {
      await t.close();
    }
  });
}, { kinds: ['pglite'] });
