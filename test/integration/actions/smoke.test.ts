import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeEachDatabase } from '../../support/databases.ts';
import { buildTestApp } from '../../support/app.ts';

describeEachDatabase('smoke', import.meta.url, (ctx) => {
  it('creates an action', async () => {
    const t = await buildTestApp(ctx.db);
    const r = await t.call('POST', '/v1/actions/async', { hook: 'h' });
    assert.equal(r.statusCode, 201, r.body);
    await t.close();
  });
});
