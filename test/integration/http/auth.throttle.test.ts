import assert from 'node:assert/strict';
import { it } from 'node:test';
import { buildTestApp, TEST_TOKEN } from '../../support/app.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { captureLogs } from '../../support/logs.ts';

describeEachDatabase('failed authentications', import.meta.url, (ctx) => {
  it('answer 429 with Retry-After past the limit per address, while valid tokens and other addresses go on', async () => {
    const logs = captureLogs();
    const t = await buildTestApp(ctx.db, { authFailuresPerMinute: 5 }, { logger: logs.logger });
    const wrong = 'Bearer wrong-token-guess-0000000001';
    const from = (remoteAddress: string, authorization: string, url = '/v1/actions') => t.app.inject({ method: 'GET', url, remoteAddress, headers: { authorization } });
    try {
      for (let i = 0; i < 5; i++) assert.equal((await from('10.0.0.7', wrong)).statusCode, 401);
      const throttled = await from('10.0.0.7', wrong);
      assert.equal(throttled.statusCode, 429, throttled.body);
      assert.equal(throttled.json().error.code, 'auth_throttled');
      assert.ok(Number(throttled.headers['retry-after']) >= 1 && Number(throttled.headers['retry-after']) <= 60);
      // Counted across contexts: /metrics shares the budget.
      assert.equal((await from('10.0.0.7', wrong, '/metrics')).statusCode, 429);
      assert.equal((await from('10.0.0.7', `Bearer ${TEST_TOKEN}`)).statusCode, 200, 'a valid token from the same address is not throttled');
      assert.equal((await from('10.0.0.8', wrong)).statusCode, 401, 'another address has its own count');
      const warnings = logs.lines().filter((line) => line.msg === 'authentication failed');
      assert.ok(warnings.length >= 7);
      for (const line of warnings) {
        assert.equal(line.level, 40);
        assert.equal(line.remote === '10.0.0.7' || line.remote === '10.0.0.8', true);
      }
      assert.doesNotMatch(logs.text(), /wrong-token-guess/);
    } finally {
      await t.close();
    }
  });
}, { kinds: ['pglite'] });
