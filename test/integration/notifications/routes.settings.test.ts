import assert from 'node:assert/strict';
import { it } from 'node:test';
import { buildTestApp } from '../../support/app.ts';
import { describeEachDatabase } from '../../support/databases.ts';

const FILE = import.meta.url;
const SEED = { notifyRecipientsInsert: ['insert@example.com'], notifyRecipientsUpdate: ['update@example.com', 'second@example.com'], aiEnabled: true, openaiModel: 'gpt-4o-mini' };

describeEachDatabase('GET/PUT /v1/notifications/settings', FILE, (ctx) => {
  it('seeds the settings from the environment on first read', async () => {
    const app = await buildTestApp(ctx.db, SEED);
    try {
      const answer = await app.call('GET', '/v1/notifications/settings');
      assert.equal(answer.statusCode, 200);
      const body = answer.json();
      assert.deepEqual(body.recipients, { INSERT: ['insert@example.com'], UPDATE: ['update@example.com', 'second@example.com'] });
      assert.deepEqual(body.ai, { enabled: true, model: 'gpt-4o-mini' });
      assert.ok(!Number.isNaN(Date.parse(body.updated_at)));
    } finally {
      await app.close();
    }
  });

  it('keeps stored settings over a different environment on the next start', async () => {
    const first = await buildTestApp(ctx.db, SEED);
    const put = await first.call('PUT', '/v1/notifications/settings', { recipients: { INSERT: ['stored@example.com'] }, ai: { enabled: false, model: 'gpt-4.1-mini' } });
    assert.equal(put.statusCode, 200);
    await first.close();
    const second = await buildTestApp(ctx.db, { ...SEED, notifyRecipientsInsert: ['env@example.com'], aiEnabled: true });
    try {
      const body = (await second.call('GET', '/v1/notifications/settings')).json();
      assert.deepEqual(body.recipients, { INSERT: ['stored@example.com'] });
      assert.deepEqual(body.ai, { enabled: false, model: 'gpt-4.1-mini' });
    } finally {
      await second.close();
    }
  });

  it('replaces the whole recipients map, upper-cases operations, drops duplicate addresses and keeps ai when absent', async () => {
    const app = await buildTestApp(ctx.db, SEED);
    try {
      const answer = await app.call('PUT', '/v1/notifications/settings', {
        recipients: { insert: ['a@example.com', 'A@example.com', 'b@example.com'], CLASS_UPDATE: [], STATUS_CHANGE: ['c@example.com'] },
      });
      assert.equal(answer.statusCode, 200);
      assert.deepEqual(answer.json().recipients, { INSERT: ['a@example.com', 'b@example.com'], CLASS_UPDATE: [], STATUS_CHANGE: ['c@example.com'] });
      assert.deepEqual(answer.json().ai, { enabled: true, model: 'gpt-4o-mini' });
      const partial = await app.call('PUT', '/v1/notifications/settings', { ai: { model: 'gpt-4.1' } });
      assert.deepEqual(partial.json().ai, { enabled: true, model: 'gpt-4.1' });
      assert.deepEqual(Object.keys(partial.json().recipients).sort(), ['CLASS_UPDATE', 'INSERT', 'STATUS_CHANGE']);
    } finally {
      await app.close();
    }
  });

  it('refuses addresses that are not e-mail addresses, unknown keys and operations given twice', async () => {
    const app = await buildTestApp(ctx.db, SEED);
    try {
      const cases: Array<[unknown, string]> = [
        [{ recipients: { INSERT: ['not-an-address'] } }, 'validation_failed'],
        [{ recipients: { INSERT: 'ops@example.com' } }, 'validation_failed'],
        [{ recipients: { INSERT: [' ops@example.com'] } }, 'validation_failed'],
        [{ recipients: { 'IN SERT': ['ops@example.com'] } }, 'validation_failed'],
        [{ recipients: { INSERT: ['a@example.com'], insert: ['b@example.com'] } }, 'invalid_settings'],
        [{ ai: { enabled: 'yes' } }, 'validation_failed'],
        [{ colour: 'blue' }, 'validation_failed'],
      ];
      for (const [body, code] of cases) {
        const answer = await app.call('PUT', '/v1/notifications/settings', body);
        assert.equal(answer.statusCode, 400, JSON.stringify(body));
        assert.equal(answer.json().error.code, code, JSON.stringify(body));
      }
      assert.deepEqual((await app.call('GET', '/v1/notifications/settings')).json().recipients.INSERT, ['insert@example.com']);
    } finally {
      await app.close();
    }
  });

  it('needs the bearer token', async () => {
    const app = await buildTestApp(ctx.db, SEED);
    try {
      const answer = await app.app.inject({ method: 'GET', url: '/v1/notifications/settings' });
      assert.equal(answer.statusCode, 401);
    } finally {
      await app.close();
    }
  });
});
