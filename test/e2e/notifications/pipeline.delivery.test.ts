import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeEachDatabase } from '../../support/databases.ts';
import { actionTexts, FIXTURE_CLASS, INSERT_RECIPIENTS, PERSONAL_DATA, startPipeline, UPDATE_RECIPIENTS, type Pipeline } from '../../support/notifications.ts';
import { waitFor } from '../../support/runner.ts';

const FILE = import.meta.url;

function mailsTo(pipeline: Pipeline, address: string) {
  return pipeline.smtp.messages.filter((mail) => mail.envelope.to.includes(address));
}

describeEachDatabase('the notification pipeline, end to end', FILE, (ctx) => {
  it('summarises an INSERT and an UPDATE, stores both summaries in class_change_logs and mails each recipient once', async () => {
    const pipeline = await startPipeline(ctx);
    try {
      await pipeline.process(); // first pass: the cursor starts at the current end of the table
      const classId = await pipeline.insertClass();
      await pipeline.updateClass(classId, { class_agent: 5, updated_at: '2026-02-19T08:01:02' });
      const [insertLog, updateLog] = [(await pipeline.maxLogId()) - 1, await pipeline.maxLogId()];

      const reply = await pipeline.process();
      assert.equal(reply.status, 'processed');
      assert.equal(reply.scanned, 2);
      assert.equal(reply.enrich_scheduled, 2);
      assert.equal(reply.email_scheduled, 0);
      assert.equal(reply.cursor, updateLog);

      const inserted = await pipeline.waitForState(insertLog, ['sent', 'failed']);
      const updated = await pipeline.waitForState(updateLog, ['sent', 'failed']);
      assert.equal(inserted.state, 'sent');
      assert.equal(updated.state, 'sent');
      assert.deepEqual(inserted.deliveries.map((d) => [d.recipient, d.state, d.smtp_code]), INSERT_RECIPIENTS.map((r) => [r, 'sent', 250]));
      assert.deepEqual(updated.deliveries.map((d) => [d.recipient, d.state]), UPDATE_RECIPIENTS.map((r) => [r, 'sent']));

      for (const logId of [insertLog, updateLog]) {
        const summary = await pipeline.sourceSummary(logId);
        assert.ok(summary);
        assert.deepEqual(Object.keys(summary).sort(), ['attempts', 'error_code', 'error_message', 'generated_at', 'model', 'processing_time_ms', 'status', 'summary', 'tokens_used', 'viewed', 'viewed_at']);
        assert.equal(summary['status'], 'success');
        assert.equal(summary['attempts'], 1);
        assert.equal(summary['model'], 'gpt-4o-mini');
        assert.equal(summary['tokens_used'], 120);
      }

      for (const address of INSERT_RECIPIENTS) {
        const mails = mailsTo(pipeline, address);
        assert.equal(mails.length, 1, `one mail to ${address}`);
        const raw = mails[0]?.raw ?? '';
        assert.match(raw, new RegExp(`Subject: \\[WeCoza\\] Class insert: ${classId} \\(${FIXTURE_CLASS.class_code}\\)`));
        assert.match(raw, /Content-Type: text\/plain/);
        assert.match(raw, /Content-Type: text\/html/);
        assert.match(raw, /A class change was recorded/);
        assert.match(raw, /Learner A: Thandi Mokoena/);
        assert.match(raw, new RegExp(`Change log #${insertLog}`));
        assert.equal(mails[0]?.messageId, inserted.deliveries.find((d) => d.recipient === address)?.message_id);
      }
      const updateMails = mailsTo(pipeline, UPDATE_RECIPIENTS[0] as string);
      assert.equal(updateMails.length, 1);
      assert.match(updateMails[0]?.raw ?? '', new RegExp(`Subject: \\[WeCoza\\] Class update: ${classId} \\(IMP021813\\)`));
      assert.equal(pipeline.smtp.messages.length, 3);

      const metrics = (await pipeline.app.call('GET', '/metrics')).body;
      assert.match(metrics, /sidecar_notification_emails_total\{outcome="sent",code_class="2xx"\} 3/);
      assert.match(metrics, /sidecar_ai_tokens_total\{model="gpt-4o-mini"\} 240/);

      const prompts = pipeline.ai.promptText();
      assert.match(prompts, /Learner A/);
      const stored = await actionTexts(ctx.db);
      for (const text of [...PERSONAL_DATA, ...INSERT_RECIPIENTS, ...UPDATE_RECIPIENTS]) {
        assert.ok(!stored.includes(text), `action args and logs do not contain ${text}`);
        if (PERSONAL_DATA.includes(text)) assert.ok(!prompts.includes(text), `the prompts do not contain ${text}`);
      }
    } finally {
      await pipeline.close();
    }
  });

  it('does not notify rows that existed before the first pass', async () => {
    const pipeline = await startPipeline(ctx);
    try {
      await pipeline.insertClass();
      await pipeline.insertClass({ class_code: 'OLD-2', class_subject: 'History' });
      const history = await pipeline.maxLogId();
      const first = await pipeline.process();
      assert.deepEqual([first.scanned, first.cursor], [0, history]);
      const fresh = await pipeline.insertClass({ class_code: 'NEW-1', class_subject: 'Fresh' });
      const second = await pipeline.process();
      assert.equal(second.scanned, 1);
      await pipeline.waitForState(history + 1, ['sent']);
      await waitFor(() => pipeline.smtp.messages.length === INSERT_RECIPIENTS.length, { what: 'the two mails of the new row' });
      assert.ok(pipeline.smtp.messages.every((mail) => mail.raw.includes(`Class insert: ${fresh} (NEW-1)`)));
      const list = await pipeline.app.call('GET', '/v1/notifications');
      assert.equal(list.json().total, 1);
    } finally {
      await pipeline.close();
    }
  });
});
