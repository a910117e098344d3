import assert from 'node:assert/strict';
import { it } from 'node:test';
import { buildTestApp } from '../../support/app.ts';
import { describeEachDatabase } from '../../support/databases.ts';

const FILE = import.meta.url;

describeEachDatabase('NOTIFICATIONS_ENABLED=false', FILE, (ctx) => {
  it('answers 503 notifications_disabled on every notification route and leaves the source out of /readyz', async () => {
    const app = await buildTestApp(ctx.db, { notificationsEnabled: false, sourceTable: `${ctx.schemaName}.missing` });
    try {
      for (const [method, url] of [['POST', '/v1/notifications/process'], ['GET', '/v1/notifications/settings'], ['GET', '/v1/notifications']] as const) {
        const answer = await app.call(method, url, method === 'POST' ? {} : undefined);
        assert.equal(answer.statusCode, 503, url);
        assert.equal(answer.json().error.code, 'notifications_disabled');
      }
      const ready = await app.app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(ready.statusCode, 200);
      assert.equal(ready.json().checks.source_table, undefined);
      assert.equal(app.app.sidecar.handlers.get('wecoza_enrich_notification'), undefined);
    } finally {
      await app.close();
    }
  });
});
