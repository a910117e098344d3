import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeEachDatabase } from '../../support/databases.ts';
import { INSERT_RECIPIENTS, startPipeline, type Pipeline } from '../../support/notifications.ts';
import { actionState, logMessages, waitFor } from '../../support/runner.ts';

const FILE = import.meta.url;
const [OPS, QA] = INSERT_RECIPIENTS as [string, string];

describeEachDatabase('wecoza_send_notification_email when the mail server misbehaves', FILE, (ctx) => {
  const emailActions = async (logId: number): Promise<Array<{ id: number; delivery_id: number }>> => {
    const { rows } = await ctx.db.query<{ id: number; args: string }>(`SELECT id, args FROM ${ctx.db.schema}.actions WHERE hook = 'wecoza_send_notification_email' ORDER BY id`);
    return rows
      .map((row) => ({ id: Number(row.id), ...(JSON.parse(row.args) as { log_id: number; delivery_id: number }) }))
      .filter((row) => row.log_id === logId)
      .map((row) => ({ id: row.id, delivery_id: row.delivery_id }));
  };
  const actionFor = async (logId: number, deliveryId: number): Promise<number> =>
    (await emailActions(logId)).find((action) => action.delivery_id === deliveryId)?.id as number;
  const newRow = async (pipeline: Pipeline): Promise<number> => {
    await pipeline.process();
    await pipeline.insertClass();
    return (await pipeline.process()).cursor;
  };

  it('retries a 451 and sends on the second attempt', async () => {
    const pipeline = await startPipeline(ctx);
    try {
      pipeline.smtp.replyToRcpt(OPS, { code: 451, message: '4.7.1 Greylisted, try again later' });
      const logId = await newRow(pipeline);
      const done = await pipeline.waitForState(logId, ['sent', 'failed']);
      assert.equal(done.state, 'sent');
      const ops = done.deliveries.find((d) => d.recipient === OPS);
      assert.deepEqual([ops?.state, ops?.attempts, ops?.smtp_code], ['sent', 2, 250]);
      const id = await actionFor(logId, ops?.id as number);
      // The ledger commits inside the run; the action's own outcome is written just after it.
      const state = await waitFor(async () => {
        const current = await actionState(ctx.db, id);
        return current.status === 'complete' ? current : undefined;
      }, { what: 'the e-mail action to complete' });
      assert.equal(state.attempts, 2);
      const logs = (await logMessages(ctx.db, state.id)).join('\n');
      assert.match(logs, /SMTP 451/);
      assert.equal(pipeline.smtp.messages.filter((mail) => mail.envelope.to.includes(OPS)).length, 1);
    } finally {
      await pipeline.close();
    }
  });

  it('fails a delivery at once on 550, keeps the reply in the ledger and only the code in the action log', async () => {
    const pipeline = await startPipeline(ctx);
    try {
      const reply = `5.1.1 <${OPS}>: Recipient address rejected: User unknown`;
      pipeline.smtp.replyToRcpt(OPS, { code: 550, message: reply });
      const logId = await newRow(pipeline);
      const done = await pipeline.waitForState(logId, ['sent', 'failed']);
      assert.deepEqual([done.state, done.reason], ['failed', 'delivery_failed']);
      const ops = done.deliveries.find((d) => d.recipient === OPS);
      assert.deepEqual([ops?.state, ops?.attempts, ops?.smtp_code, ops?.last_error], ['failed', 1, 550, 'recipient_rejected']);
      assert.match(ops?.smtp_response ?? '', /Recipient address rejected/);
      assert.equal(done.deliveries.find((d) => d.recipient === QA)?.state, 'sent');

      const id = await actionFor(logId, ops?.id as number);
      const state = await waitFor(async () => {
        const current = await actionState(ctx.db, id);
        return current.status === 'failed' ? current : undefined;
      }, { what: 'the e-mail action to fail' });
      assert.equal(state.attempts, 1);
      const logs = (await logMessages(ctx.db, state.id)).join('\n');
      assert.match(logs, /SMTP 550/);
      assert.ok(!logs.includes(OPS) && !logs.includes('Recipient address rejected'), logs);
      assert.ok(!(state.last_error ?? '').includes(OPS));
    } finally {
      await pipeline.close();
    }
  });

  it('retries a 535, shows it on /readyz as degraded and recovers when the credentials work again', async () => {
    const pipeline = await startPipeline(ctx, { smtp: { auth: { user: 'sidecar', pass: 'right' }, clientAuth: { user: 'sidecar', pass: 'wrong' } } });
    try {
      const logId = await newRow(pipeline);
      await waitFor(() => pipeline.smtp.authFailures >= 2, { what: 'two refused logins' });
      // The server counts a refusal before the sidecar has written it down: poll the ledger.
      await waitFor(async () => (await pipeline.detail(logId)).deliveries.some((d) => d.smtp_code === 535 && d.last_error === 'auth_failed'), { what: 'the 535 in the ledger' });
      // Polled: under a loaded test machine a readiness check can time out on its own now and then.
      const ready = await waitFor(async () => {
        const answer = await pipeline.app.app.inject({ method: 'GET', url: '/readyz' });
        const body = answer.json() as { status: string; checks: Record<string, { status: string; detail?: string }> };
        return answer.statusCode === 200 && body.status === 'degraded' ? body : undefined;
      }, { what: '/readyz to say degraded' });
      assert.equal(ready.checks['smtp']?.status, 'warn');
      assert.match(ready.checks['smtp']?.detail ?? '', /535/);

      pipeline.smtp.setAuth({ user: 'sidecar', pass: 'wrong' });
      const done = await pipeline.waitForState(logId, ['sent', 'failed']);
      assert.equal(done.state, 'sent');
      assert.ok(done.deliveries.every((d) => d.attempts >= 2));
      await waitFor(async () => (await pipeline.app.app.inject({ method: 'GET', url: '/readyz' })).json().checks.smtp.status === 'ok', { what: 'the smtp check to turn ok' });
    } finally {
      await pipeline.close();
    }
  });

  it('keeps retrying while the mail server is down and sends once it is back', async () => {
    const pipeline = await startPipeline(ctx);
    try {
      await pipeline.smtp.stop();
      const logId = await newRow(pipeline);
      await waitFor(async () => (await pipeline.detail(logId)).deliveries.every((d) => d.last_error === 'connection_failed'), { what: 'refused connections in the ledger' });
      await pipeline.smtp.start();
      const done = await pipeline.waitForState(logId, ['sent', 'failed']);
      assert.equal(done.state, 'sent');
      assert.ok(done.deliveries.every((d) => d.attempts >= 2 && d.last_error === null));
      assert.equal(pipeline.smtp.messages.length, INSERT_RECIPIENTS.length);
    } finally {
      await pipeline.close();
    }
  });
});
