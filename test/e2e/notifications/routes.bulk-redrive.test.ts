import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeEachDatabase } from '../../support/databases.ts';
import { startPipeline } from '../../support/notifications.ts';

const FILE = import.meta.url;

describeEachDatabase('POST /v1/notifications/redrive', FILE, (ctx) => {
  it('redrives the skipped and failed notifications a filter matches and answers the counts', async () => {
    // AI off: e-mails go at once. UPDATE has nobody yet, so updates are skipped.
    const pipeline = await startPipeline(ctx, { config: { aiEnabled: false, notifyRecipientsUpdate: [] } });
    try {
      pipeline.smtp.replyToRcpt('qa@example.com', { code: 550, message: '5.1.1 mailbox unavailable' });
      await pipeline.process();
      const first = await pipeline.insertClass({ class_code: 'BULK-1', class_subject: 'One' });
      const second = await pipeline.insertClass({ class_code: 'BULK-2', class_subject: 'Two' });
      await pipeline.updateClass(first, { class_subject: 'One again' });
      await pipeline.updateClass(second, { class_subject: 'Two again' });
      const { cursor: top } = await pipeline.process();
      const [failedInsert, otherInsert, skippedFirst, skippedSecond] = [top - 3, top - 2, top - 1, top];
      // qa@ refused the first insert's e-mail; the second insert's went to both.
      await pipeline.waitForState(failedInsert, ['failed']);
      await pipeline.waitForState(otherInsert, ['sent']);
      assert.equal((await pipeline.detail(skippedFirst)).reason, 'no_recipient');

      // Still nobody for UPDATE: both stay skipped; the failed one is queued again and now goes through.
      const unchanged = await pipeline.app.call('POST', '/v1/notifications/redrive', { state: ['skipped'] });
      assert.equal(unchanged.statusCode, 200, unchanged.body);
      assert.deepEqual(unchanged.json(), { matched: 2, attempted: 2, redriven: 0, still_skipped: 2, not_redrivable: 0, remaining: 0 });

      await pipeline.app.call('PUT', '/v1/notifications/settings', { recipients: { INSERT: ['ops@example.com', 'qa@example.com'], UPDATE: ['late@example.com'] } });
      const limited = await pipeline.app.call('POST', '/v1/notifications/redrive', { limit: 2 });
      assert.deepEqual(limited.json(), { matched: 3, attempted: 2, redriven: 2, still_skipped: 0, not_redrivable: 0, remaining: 1 });
      const bySearch = await pipeline.app.call('POST', '/v1/notifications/redrive', { search: 'bulk-2', operation: 'update' });
      assert.deepEqual(bySearch.json(), { matched: 1, attempted: 1, redriven: 1, still_skipped: 0, not_redrivable: 0, remaining: 0 });

      for (const logId of [failedInsert, skippedFirst, skippedSecond]) await pipeline.waitForState(logId, ['sent']);
      const late = pipeline.smtp.messages.filter((mail) => mail.envelope.to.includes('late@example.com'));
      assert.equal(late.length, 2);
      const nothing = await pipeline.app.call('POST', '/v1/notifications/redrive', {});
      assert.deepEqual(nothing.json(), { matched: 0, attempted: 0, redriven: 0, still_skipped: 0, not_redrivable: 0, remaining: 0 });
    } finally {
      await pipeline.close();
    }
  });

  it('refuses states other than skipped and failed, and unknown keys, changing nothing', async () => {
    const pipeline = await startPipeline(ctx, { runner: false, config: { notifyRecipientsInsert: [] } });
    try {
      await pipeline.process();
      await pipeline.insertClass();
      const { cursor } = await pipeline.process();
      for (const body of [{ state: ['sent'] }, { state: [] }, { states: ['skipped'] }, { limit: 0 }, { state: 'skipped' }]) {
        const reply = await pipeline.app.call('POST', '/v1/notifications/redrive', body);
        assert.equal(reply.statusCode, 400, JSON.stringify(body));
        assert.equal(reply.json().error.code, 'validation_failed');
      }
      const detail = await pipeline.detail(cursor);
      assert.deepEqual([detail.state, detail.updated_at], ['skipped', detail.created_at]);
    } finally {
      await pipeline.close();
    }
  });
});
