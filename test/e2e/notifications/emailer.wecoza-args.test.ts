import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeEachDatabase } from '../../support/databases.ts';
import { INSERT_RECIPIENTS, startPipeline } from '../../support/notifications.ts';

const FILE = import.meta.url;

/** Jobs enqueued by WeCoza's own PHP through the bridge, in its Phase 12 shapes (reference §8). */
describeEachDatabase("the built-in handlers with WeCoza's own job args", FILE, (ctx) => {
  it('sends to the recipient named in {log_id, recipient} args, creating the notification and its delivery', async () => {
    const pipeline = await startPipeline(ctx);
    try {
      await pipeline.insertClass();
      const logId = await pipeline.maxLogId();
      const enqueued = await pipeline.app.call('POST', '/v1/actions/async', {
        hook: 'wecoza_send_notification_email',
        args: { log_id: logId, recipient: 'php-recipient@example.com', email_context: [] },
        group: 'wecoza-notifications',
      });
      assert.equal(enqueued.statusCode, 201);
      const sent = await pipeline.waitForState(logId, ['sent']);
      assert.deepEqual(sent.deliveries.map((d) => [d.recipient, d.state]), [['php-recipient@example.com', 'sent']]);
      assert.equal(pipeline.smtp.messages.length, 1);
      assert.deepEqual(pipeline.smtp.messages[0]?.envelope.to, ['php-recipient@example.com']);
    } finally {
      await pipeline.close();
    }
  });

  it('enriches a row enqueued as {log_id} without a processor pass and mails the configured recipients', async () => {
    const pipeline = await startPipeline(ctx);
    try {
      await pipeline.insertClass();
      const logId = await pipeline.maxLogId();
      const enqueued = await pipeline.app.call('POST', '/v1/actions/async', { hook: 'wecoza_enrich_notification', args: { log_id: logId }, group: 'wecoza-notifications' });
      assert.equal(enqueued.statusCode, 201);
      const sent = await pipeline.waitForState(logId, ['sent']);
      assert.deepEqual(sent.deliveries.map((d) => d.recipient), INSERT_RECIPIENTS);
      assert.equal(sent.ai_summary?.status, 'success');
      assert.equal(pipeline.ai.requests.length, 1);
      assert.equal(pipeline.smtp.messages.length, INSERT_RECIPIENTS.length);
    } finally {
      await pipeline.close();
    }
  });
});
