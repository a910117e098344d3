import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createHandlerRegistry } from '../../../server/runner/handlers.ts';
import { buildTestApp } from '../../support/app.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { createTestSource } from '../../support/notifications.ts';
import { waitFor } from '../../support/runner.ts';

const FILE = import.meta.url;

describeEachDatabase('a missing WeCoza source table', FILE, (ctx) => {
  it('answers 503 source_unavailable and fails /readyz while the plain queue keeps running', async () => {
    const handlers = createHandlerRegistry();
    const ran: number[] = [];
    handlers.register({ hook: 'plain_job', run: async (context) => void ran.push(context.action.id) });
    const app = await buildTestApp(ctx.db, { sourceTable: `${ctx.schemaName}.class_change_logs`, notifyProcessIntervalSeconds: 1 }, { handlers, runnerTimings: { pollFloorMs: 100 } });
    try {
      await app.app.sidecar.runner?.start();
      // The timer meets the missing table every second; it must neither crash nor stop the queue.
      await app.app.notifications?.startBackground();
      for (const [method, url, body] of [
        ['POST', '/v1/notifications/process', {}],
        ['GET', '/v1/notifications/cursor', undefined],
        ['PUT', '/v1/notifications/cursor', { log_id: 3 }],
        ['POST', '/v1/notifications/1/redrive', undefined],
      ] as const) {
        const answer = await app.call(method, url, body);
        assert.equal(answer.statusCode, 503, `${method} ${url}`);
        assert.equal(answer.json().error.code, 'source_unavailable');
        assert.match(answer.json().error.message, /does not exist/);
      }
      const ready = await app.app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(ready.statusCode, 503);
      assert.equal(ready.json().checks.source_table.status, 'fail');
      assert.equal(ready.json().checks.database.status, 'ok');
      assert.equal((await app.call('GET', '/v1/notifications/settings')).statusCode, 200);

      const enqueued = await app.call('POST', '/v1/actions/async', { hook: 'plain_job', args: [1] });
      assert.equal(enqueued.statusCode, 201);
      await waitFor(() => ran.includes(enqueued.json().action_id), { what: 'the plain job to run' });

      // The table appears: the routes come back within the re-check interval, no restart needed.
      await createTestSource(ctx.db, ctx.schemaName);
      const processed = await waitFor(async () => {
        const answer = await app.call('POST', '/v1/notifications/process', {});
        return answer.statusCode === 200 ? (answer.json() as { status: string }) : undefined;
      }, { what: 'the process route to answer 200', timeoutMs: 10_000 });
      assert.equal(processed.status, 'processed');
      const after = await app.app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(after.json().checks.source_table.status, 'ok');
    } finally {
      await app.close();
    }
  });

  it('names the missing column when the table lacks ai_summary', async () => {
    await ctx.db.query(`CREATE TABLE ${ctx.db.schema}.class_change_logs (log_id bigserial PRIMARY KEY, class_id integer, operation text, changed_at timestamp, new_row jsonb, old_row jsonb, diff jsonb)`);
    const app = await buildTestApp(ctx.db, { sourceTable: `${ctx.schemaName}.class_change_logs` });
    try {
      const answer = await app.call('POST', '/v1/notifications/process', {});
      assert.equal(answer.statusCode, 503);
      assert.match(answer.json().error.message, /lacks column\(s\) ai_summary/);
    } finally {
      await app.close();
    }
  });
});
