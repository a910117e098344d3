import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeEachDatabase } from '../../support/databases.ts';
import { INSERT_RECIPIENTS, startPipeline } from '../../support/notifications.ts';
import { waitFor } from '../../support/runner.ts';

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

  it('mails every recipient configured for the operation once each for {log_id} alone, and nobody twice when it comes again', async () => {
    const pipeline = await startPipeline(ctx);
    try {
      await pipeline.insertClass();
      const logId = await pipeline.maxLogId();
      // One recipient already has a delivery (WeCoza's {log_id, recipient} job ran first).
      const first = await pipeline.app.call('POST', '/v1/actions/async', { hook: 'wecoza_send_notification_email', args: { log_id: logId, recipient: INSERT_RECIPIENTS[0] }, group: 'wecoza-notifications' });
      assert.equal(first.statusCode, 201);
      await waitFor(() => pipeline.smtp.messages.length === 1, { what: 'the first e-mail' });

      const urgent = async (): Promise<number> => {
        const reply = await pipeline.app.call('POST', '/v1/actions/async', { hook: 'wecoza_send_notification_email', args: { log_id: logId }, group: 'wecoza-notifications', priority: 5 });
        assert.equal(reply.statusCode, 201, reply.body);
        const id = reply.json().action_id as number;
        await waitFor(async () => {
          const action = (await pipeline.app.call('GET', `/v1/actions/${id}`)).json();
          return action.status === 'complete' || action.status === 'failed' ? action : undefined;
        }, { what: 'the {log_id} job to finish' });
        return id;
      };
      const fanOutId = await urgent();
      const sent = await pipeline.waitForState(logId, ['sent']);
      assert.deepEqual(sent.deliveries.map((d) => [d.recipient, d.state]).sort(), INSERT_RECIPIENTS.map((r) => [r, 'sent']).sort());
      await waitFor(() => pipeline.smtp.messages.length === INSERT_RECIPIENTS.length, { what: 'every e-mail' });
      assert.equal((await pipeline.app.call('GET', `/v1/actions/${fanOutId}`)).json().status, 'complete');

      await urgent();
      await new Promise((resolve) => setTimeout(resolve, 500));
      const recipients = pipeline.smtp.messages.map((message) => message.envelope.to).flat().sort();
      assert.deepEqual(recipients, [...INSERT_RECIPIENTS].sort(), 'a recipient got a second e-mail');
    } finally {
      await pipeline.close();
    }
  });

  it('fails {log_id} alone for an operation nobody is configured for, naming the operation but no address', async () => {
    const pipeline = await startPipeline(ctx);
    try {
      await pipeline.app.call('PUT', '/v1/notifications/settings', { recipients: { INSERT: [] } });
      await pipeline.insertClass();
      const logId = await pipeline.maxLogId();
      const id = (await pipeline.app.call('POST', '/v1/actions/async', { hook: 'wecoza_send_notification_email', args: { log_id: logId }, group: 'wecoza-notifications' })).json().action_id as number;
      const failed = await waitFor(async () => {
        const action = (await pipeline.app.call('GET', `/v1/actions/${id}`)).json();
        return action.status === 'failed' ? action : undefined;
      }, { what: 'the job to fail' });
      assert.match(failed.last_error, /no recipient is configured for INSERT/);
      assert.equal(pipeline.smtp.messages.length, 0);
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
