import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeEachDatabase } from '../../support/databases.ts';
import { startPipeline } from '../../support/notifications.ts';

const FILE = import.meta.url;

describeEachDatabase('GET /v1/status', FILE, (ctx) => {
  it('reports the readiness checks, pending and past-due actions, the last pass, the cursor and the e-mails of the last 24 h', async () => {
    const pipeline = await startPipeline(ctx);
    try {
      // One recipient refuses (550), one accepts: one delivery sent and one failed.
      pipeline.smtp.replyToRcpt('qa@example.com', { code: 550, message: '5.1.1 mailbox unavailable' });
      await pipeline.process();
      await pipeline.insertClass();
      const { cursor } = await pipeline.process();
      await pipeline.waitForState(cursor, ['failed']);
      // With the runner stopped these wait, pending: one due 30 s ago, one tomorrow.
      await pipeline.app.app.sidecar.runner?.stop();
      const due = await pipeline.app.call('POST', '/v1/actions/single', { hook: 'status_probe', timestamp: Math.floor(Date.now() / 1000) - 30 });
      const later = await pipeline.app.call('POST', '/v1/actions/single', { hook: 'status_probe', timestamp: Math.floor(Date.now() / 1000) + 86_400 });
      assert.deepEqual([due.statusCode, later.statusCode], [201, 201]);

      const reply = await pipeline.app.call('GET', '/v1/status');
      assert.equal(reply.statusCode, 200, reply.body);
      const status = reply.json();
      // status_probe has no handler and no WP_CALLBACK_URL is set: the due one waits, amber.
      assert.equal(status.readiness.status, 'degraded');
      assert.deepEqual(Object.keys(status.readiness.checks).sort(), ['ai', 'database', 'migrations', 'smtp', 'source_table', 'wordpress_callback']);
      assert.equal(status.readiness.checks.ai.status, 'ok');
      assert.equal(status.readiness.checks.wordpress_callback.status, 'warn');
      assert.match(status.readiness.checks.wordpress_callback.detail, /^1 due action waits for WP_CALLBACK_URL/);
      assert.deepEqual([status.actions.pending, status.actions.in_progress, status.actions.past_due, status.actions.capped], [2, 0, 1, false]);
      assert.ok(status.actions.oldest_due_age_seconds >= 29, `oldest due age ${status.actions.oldest_due_age_seconds}`);
      assert.equal(status.notifications.enabled, true);
      assert.equal(status.notifications.cursor.log_id, cursor);
      assert.equal(status.notifications.last_pass.passes, 2);
      assert.equal(status.notifications.last_pass.running, false);
      assert.ok(Date.parse(status.notifications.last_pass.finished_at) >= Date.parse(status.notifications.last_pass.started_at));
      assert.deepEqual(status.notifications.emails_last_24h, { sent: 1, failed: 1 });
      assert.equal(status.notifications.ai_paused_until, null);

      // Cached: a second call within a few seconds is the same summary, not another round of queries.
      await pipeline.app.call('POST', '/v1/actions/async', { hook: 'status_probe' });
      const again = (await pipeline.app.call('GET', '/v1/status')).json();
      assert.equal(again.generated_at, status.generated_at);
      assert.equal(again.actions.pending, 2);
    } finally {
      await pipeline.close();
    }
  });

  it('shows the AI check amber when summaries are on without an API key, and needs the token', async () => {
    const pipeline = await startPipeline(ctx, { runner: false, config: { openaiApiKey: null } });
    try {
      const status = (await pipeline.app.call('GET', '/v1/status')).json();
      assert.equal(status.readiness.status, 'degraded');
      assert.equal(status.readiness.checks.ai.status, 'warn');
      assert.equal(status.notifications.cursor, null);
      assert.equal(status.notifications.last_pass, null);
      assert.deepEqual(status.notifications.emails_last_24h, { sent: 0, failed: 0 });
      const anonymous = await pipeline.app.app.inject({ method: 'GET', url: '/v1/status' });
      assert.equal(anonymous.statusCode, 401);
    } finally {
      await pipeline.close();
    }
  });
});
