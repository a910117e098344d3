import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeEachDatabase } from '../../support/databases.ts';
import { actionTexts, startPipeline } from '../../support/notifications.ts';

const FILE = import.meta.url;

describeEachDatabase('POST /v1/notifications/{log_id}/redrive', FILE, (ctx) => {
  it('keeps a row without recipients visible as skipped, and sends it after a settings change and a redrive', async () => {
    const pipeline = await startPipeline(ctx, { config: { notifyRecipientsInsert: [] } });
    try {
      await pipeline.process();
      await pipeline.insertClass();
      const reply = await pipeline.process();
      assert.deepEqual([reply.skipped, reply.enrich_scheduled, reply.email_scheduled], [1, 0, 0]);
      const logId = reply.cursor;
      const skipped = await pipeline.detail(logId);
      assert.deepEqual([skipped.state, skipped.reason, skipped.deliveries.length], ['skipped', 'no_recipient', 0]);

      const still = await pipeline.app.call('POST', `/v1/notifications/${logId}/redrive`);
      assert.equal(still.statusCode, 200);
      assert.deepEqual([still.json().state, still.json().reason], ['skipped', 'no_recipient']);

      await pipeline.app.call('PUT', '/v1/notifications/settings', { recipients: { INSERT: ['late-reader@example.com'] } });
      const redriven = await pipeline.app.call('POST', `/v1/notifications/${logId}/redrive`);
      assert.equal(redriven.statusCode, 200);
      assert.equal(redriven.json().state, 'enriching');
      const sent = await pipeline.waitForState(logId, ['sent']);
      assert.deepEqual(sent.deliveries.map((d) => [d.recipient, d.state]), [['late-reader@example.com', 'sent']]);
      assert.equal(sent.ai_summary?.status, 'success');
      assert.equal(pipeline.smtp.messages.length, 1);
      assert.ok(!(await actionTexts(ctx.db)).includes('late-reader@example.com'));

      const again = await pipeline.app.call('POST', `/v1/notifications/${logId}/redrive`);
      assert.equal(again.statusCode, 409);
      assert.equal(again.json().error.code, 'not_redrivable');
    } finally {
      await pipeline.close();
    }
  });

  it('queues only the failed delivery again, with its Message-ID, and leaves the sent one alone', async () => {
    const pipeline = await startPipeline(ctx);
    try {
      pipeline.smtp.replyToRcpt('qa@example.com', { code: 550, message: '5.1.1 mailbox unavailable' });
      await pipeline.process();
      await pipeline.insertClass();
      const { cursor: logId } = await pipeline.process();
      const failed = await pipeline.waitForState(logId, ['failed']);
      const qa = failed.deliveries.find((d) => d.recipient === 'qa@example.com');
      assert.equal(qa?.state, 'failed');
      const redriven = await pipeline.app.call('POST', `/v1/notifications/${logId}/redrive`);
      assert.equal(redriven.json().state, 'sending');
      const sent = await pipeline.waitForState(logId, ['sent']);
      const again = sent.deliveries.find((d) => d.recipient === 'qa@example.com');
      assert.deepEqual([again?.state, again?.message_id, again?.attempts], ['sent', qa?.message_id, 2]);
      assert.equal(pipeline.smtp.messages.filter((mail) => mail.envelope.to.includes('ops@example.com')).length, 1);
      assert.equal(pipeline.ai.requests.length, 1, 'the summary is not asked for twice');
    } finally {
      await pipeline.close();
    }
  });

  it('answers 404 for a log id without a notification', async () => {
    const pipeline = await startPipeline(ctx, { runner: false });
    try {
      const answer = await pipeline.app.call('POST', '/v1/notifications/999999/redrive');
      assert.equal(answer.statusCode, 404);
    } finally {
      await pipeline.close();
    }
  });
});
