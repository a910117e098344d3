import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeEachDatabase } from '../../support/databases.ts';
import { INSERT_RECIPIENTS, startPipeline, type Pipeline } from '../../support/notifications.ts';
import { actionState, logMessages, waitFor } from '../../support/runner.ts';

const FILE = import.meta.url;

describeEachDatabase('wecoza_enrich_notification when OpenAI misbehaves', FILE, (ctx) => {
  const enrichAction = async (logId: number): Promise<number> => {
    const { rows } = await ctx.db.query<{ id: number }>(`SELECT id FROM ${ctx.db.schema}.actions WHERE hook = 'wecoza_enrich_notification' AND args = $1`, [JSON.stringify({ log_id: logId })]);
    return Number(rows[0]?.id);
  };
  /** The action's outcome is written just after its handler's own transaction: poll for it. */
  const finished = (id: number) =>
    waitFor(async () => {
      const current = await actionState(ctx.db, id);
      return current.status === 'complete' || current.status === 'failed' ? current : undefined;
    }, { what: `action ${id} to finish` });
  const mailsFor = (pipeline: Pipeline) => pipeline.smtp.messages.filter((mail) => INSERT_RECIPIENTS.includes(mail.envelope.to[0] as string));

  it('snoozes on 429 with Retry-After without spending an attempt, pauses the hook and then succeeds', async () => {
    const pipeline = await startPipeline(ctx);
    try {
      pipeline.ai.enqueue({ kind: 'rate_limit', retryAfter: '1' });
      await pipeline.process();
      await pipeline.insertClass();
      const { cursor: logId } = await pipeline.process();
      const id = await enrichAction(logId);
      await waitFor(async () => (await actionState(ctx.db, id)).snoozes === 1, { what: 'the snooze' });
      const snoozed = await actionState(ctx.db, id);
      assert.equal(snoozed.status, 'pending');
      assert.equal(snoozed.attempts, 0, 'the snooze spent no attempt');
      assert.equal(await pipeline.sourceSummary(logId), null, 'the record stays pending (nothing written)');
      const pauses = await ctx.db.query<{ hook: string }>(`SELECT hook FROM ${ctx.db.schema}.hook_pauses WHERE paused_until > now()`);
      assert.deepEqual(pauses.rows.map((row) => row.hook), ['wecoza_enrich_notification']);

      const done = await pipeline.waitForState(logId, ['sent']);
      const summary = await pipeline.sourceSummary(logId);
      assert.equal(summary?.['status'], 'success');
      assert.equal(summary?.['attempts'], 1);
      assert.equal(done.ai_summary?.status, 'success');
      assert.equal((await actionState(ctx.db, id)).attempts, 1);
      assert.equal(pipeline.ai.requests.length, 2);
    } finally {
      await pipeline.close();
    }
  });

  it('retries after two 500 answers and stores the third answer with three attempts counted', async () => {
    const pipeline = await startPipeline(ctx);
    try {
      pipeline.ai.enqueue({ kind: 'error', status: 500 }, { kind: 'error', status: 500 });
      await pipeline.process();
      await pipeline.insertClass();
      const { cursor: logId } = await pipeline.process();
      await pipeline.waitForState(logId, ['sent']);
      const summary = await pipeline.sourceSummary(logId);
      assert.equal(summary?.['status'], 'success');
      assert.equal(summary?.['attempts'], 3);
      assert.equal(summary?.['error_code'], null);
      const id = await enrichAction(logId);
      const state = await finished(id);
      assert.deepEqual([state.status, state.attempts], ['complete', 3]);
      const logs = await logMessages(ctx.db, id);
      assert.ok(logs.some((line) => line.includes('OpenAI request failed (unknown_error), attempt 1 of 3')), logs.join('\n'));
      assert.equal(mailsFor(pipeline).length, INSERT_RECIPIENTS.length);
      assert.match(mailsFor(pipeline)[0]?.raw ?? '', /A class change was recorded/);
    } finally {
      await pipeline.close();
    }
  });

  it('gives up after three timeouts, records openai_timeout and still sends the e-mails without a summary', async () => {
    const pipeline = await startPipeline(ctx, { openaiTimeoutMs: 300 });
    try {
      pipeline.ai.setDefault({ kind: 'hang' });
      await pipeline.process();
      await pipeline.insertClass();
      const { cursor: logId } = await pipeline.process();
      const done = await pipeline.waitForState(logId, ['sent']);
      const summary = await pipeline.sourceSummary(logId);
      assert.deepEqual([summary?.['status'], summary?.['error_code'], summary?.['attempts']], ['failed', 'openai_timeout', 3]);
      assert.equal(done.ai_summary?.error_code, 'openai_timeout');
      const state = await finished(await enrichAction(logId));
      assert.deepEqual([state.status, state.attempts], ['complete', 3]);
      const mails = mailsFor(pipeline);
      assert.equal(mails.length, INSERT_RECIPIENTS.length);
      assert.match(mails[0]?.raw ?? '', /Summary unavailable/);
    } finally {
      await pipeline.close();
    }
  });

  it('treats insufficient_quota as final on the first attempt and mails "Summary unavailable" with the reason', async () => {
    const pipeline = await startPipeline(ctx);
    try {
      pipeline.ai.enqueue({ kind: 'insufficient_quota' });
      await pipeline.process();
      await pipeline.insertClass();
      const { cursor: logId } = await pipeline.process();
      await pipeline.waitForState(logId, ['sent']);
      const summary = await pipeline.sourceSummary(logId);
      assert.deepEqual([summary?.['status'], summary?.['error_code'], summary?.['attempts']], ['failed', 'quota_exceeded', 1]);
      const state = await finished(await enrichAction(logId));
      assert.deepEqual([state.status, state.attempts], ['complete', 1]);
      assert.equal(pipeline.ai.requests.length, 1);
      const text = mailsFor(pipeline).map((mail) => mail.raw).join('\n');
      assert.match(text, /Summary unavailable/);
      assert.match(text, /You exceeded your current quota/);
    } finally {
      await pipeline.close();
    }
  });

  it('skips the summary when AI is switched off in the settings and mails directly with feature_disabled', async () => {
    const pipeline = await startPipeline(ctx);
    try {
      const put = await pipeline.app.call('PUT', '/v1/notifications/settings', { ai: { enabled: false } });
      assert.equal(put.statusCode, 200);
      await pipeline.process();
      await pipeline.insertClass();
      const reply = await pipeline.process();
      assert.deepEqual([reply.enrich_scheduled, reply.email_scheduled], [0, INSERT_RECIPIENTS.length]);
      await pipeline.waitForState(reply.cursor, ['sent']);
      const summary = await pipeline.sourceSummary(reply.cursor);
      assert.deepEqual([summary?.['status'], summary?.['error_code'], summary?.['attempts'], summary?.['tokens_used']], ['failed', 'feature_disabled', 0, 0]);
      assert.equal(pipeline.ai.requests.length, 0);
    } finally {
      await pipeline.close();
    }
  });

  it('skips the summary with config_missing when no API key is configured', async () => {
    const pipeline = await startPipeline(ctx, { config: { openaiApiKey: null } });
    try {
      await pipeline.process();
      await pipeline.insertClass();
      const reply = await pipeline.process();
      assert.equal(reply.email_scheduled, INSERT_RECIPIENTS.length);
      await pipeline.waitForState(reply.cursor, ['sent']);
      const summary = await pipeline.sourceSummary(reply.cursor);
      assert.deepEqual([summary?.['status'], summary?.['error_code'], summary?.['error_message']], ['failed', 'config_missing', 'No usable OpenAI API key is configured.']);
      assert.match(mailsFor(pipeline)[0]?.raw ?? '', /Summary unavailable/);
    } finally {
      await pipeline.close();
    }
  });
});
