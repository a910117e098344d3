import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeEachDatabase } from '../../support/databases.ts';
import { INSERT_RECIPIENTS, startPipeline } from '../../support/notifications.ts';

const FILE = import.meta.url;

describeEachDatabase('GET /v1/notifications and GET /v1/notifications/{log_id}', FILE, (ctx) => {
  it('lists notifications newest first with filters, paging and delivery counts', async () => {
    const pipeline = await startPipeline(ctx, { runner: false });
    try {
      await pipeline.process();
      const classId = await pipeline.insertClass();
      await pipeline.insertClass({ class_code: 'OTHER' });
      await pipeline.updateClass(classId, { class_agent: 9 });
      await pipeline.app.call('PUT', '/v1/notifications/settings', { recipients: { INSERT: INSERT_RECIPIENTS } });
      await pipeline.process();
      const top = await pipeline.maxLogId();

      const all = (await pipeline.app.call('GET', '/v1/notifications')).json();
      assert.equal(all.total, 3);
      assert.deepEqual(all.notifications.map((n: { log_id: number }) => n.log_id), [top, top - 1, top - 2]);
      const update = all.notifications[0];
      assert.deepEqual([update.operation, update.state, update.reason, update.class_id], ['UPDATE', 'skipped', 'no_recipient', classId]);
      assert.deepEqual(all.notifications[1].deliveries, { queued: 2, sending: 0, sent: 0, failed: 0 });
      assert.equal(all.notifications[1].state, 'enriching');

      const skipped = (await pipeline.app.call('GET', '/v1/notifications?state=skipped')).json();
      assert.deepEqual([skipped.total, skipped.notifications[0].log_id], [1, top]);
      const inserts = (await pipeline.app.call('GET', `/v1/notifications?operation=insert&class_id=${classId}`)).json();
      assert.deepEqual(inserts.notifications.map((n: { log_id: number }) => n.log_id), [top - 2]);
      const page = (await pipeline.app.call('GET', '/v1/notifications?limit=1&offset=1')).json();
      assert.deepEqual([page.total, page.notifications.length, page.notifications[0].log_id], [3, 1, top - 1]);
      const bad = await pipeline.app.call('GET', '/v1/notifications?state=lost');
      assert.equal(bad.statusCode, 400);
    } finally {
      await pipeline.close();
    }
  });

  it('shows one notification with its deliveries, and 404 for an unknown log id', async () => {
    const pipeline = await startPipeline(ctx, { runner: false });
    try {
      await pipeline.process();
      await pipeline.insertClass();
      const { cursor } = await pipeline.process();
      const detail = await pipeline.detail(cursor);
      assert.equal(detail.state, 'enriching');
      assert.equal(detail.ai_summary, null);
      assert.deepEqual(detail.deliveries.map((d) => [d.recipient, d.state, d.attempts, d.smtp_code]), INSERT_RECIPIENTS.map((r) => [r, 'queued', 0, null]));
      assert.ok(detail.deliveries.every((d) => /^<wecoza\.\d+\.[0-9a-f-]{36}@wecoza\.example>$/.test(d.message_id)));
      const missing = await pipeline.app.call('GET', `/v1/notifications/${cursor + 100}`);
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.json().error.code, 'not_found');
    } finally {
      await pipeline.close();
    }
  });

  it('searches by log id or class code prefix and lists each delivery with its address, state and SMTP code', async () => {
    const pipeline = await startPipeline(ctx, { runner: false });
    try {
      await pipeline.process();
      await pipeline.insertClass({ class_code: 'IMP021813', class_subject: 'One' });
      await pipeline.insertClass({ class_code: 'imp-2', class_subject: 'Two' });
      await pipeline.insertClass({ class_code: 'OTHER_1', class_subject: 'Three' });
      const { cursor: top } = await pipeline.process();

      const byCode = (await pipeline.app.call('GET', '/v1/notifications?search=imp')).json();
      assert.deepEqual(byCode.notifications.map((n: { class_code: string }) => n.class_code), ['imp-2', 'IMP021813']);
      assert.equal(byCode.total, 2);
      const byLogId = (await pipeline.app.call('GET', `/v1/notifications?search=${top - 2}`)).json();
      assert.deepEqual(byLogId.notifications.map((n: { log_id: number }) => n.log_id), [top - 2]);
      // LIKE's wildcards are plain characters in a search.
      const literal = (await pipeline.app.call('GET', '/v1/notifications?search=OTHER%5F')).json();
      assert.deepEqual(literal.notifications.map((n: { class_code: string }) => n.class_code), ['OTHER_1']);
      assert.equal((await pipeline.app.call('GET', '/v1/notifications?search=%25')).json().total, 0);

      const first = byCode.notifications[1];
      assert.deepEqual(first.recipients, INSERT_RECIPIENTS.map((recipient) => ({ recipient, state: 'queued', smtp_code: null })));
      assert.equal((await pipeline.detail(first.log_id)).class_code, 'IMP021813');
    } finally {
      await pipeline.close();
    }
  });
});
