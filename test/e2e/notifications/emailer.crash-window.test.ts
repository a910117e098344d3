import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { MailTransport } from '../../../server/notifications/mail-transport.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { INSERT_RECIPIENTS, startPipeline } from '../../support/notifications.ts';
import { actionState, waitFor } from '../../support/runner.ts';

const FILE = import.meta.url;
const [OPS] = INSERT_RECIPIENTS as [string, string];

/**
 * The worker "dies" once, right after the server accepted the message and before the ledger write:
 * in-process, the send resolves and then the run throws, so the ledger still says `sending` and the
 * action goes back to pending, as after a crash and a lease expiry. (The real SIGKILL is in
 * emailer.crash-process.test.ts.)
 */
function crashOnceAfterAccept(address: string): (transport: MailTransport) => MailTransport {
  let crashed = false;
  return (transport) => ({
    mode: transport.mode,
    close: () => transport.close(),
    async send(mail) {
      const result = await transport.send(mail);
      if (result.accepted && mail.to === address && !crashed) {
        crashed = true;
        throw new Error('simulated crash between the 250 and the ledger write');
      }
      return result;
    },
  });
}

describeEachDatabase('the e-mail crash window', FILE, (ctx) => {
  it('sends at most one more copy, with the same Message-ID, after a crash between the 250 and the ledger write', async () => {
    const pipeline = await startPipeline(ctx, { wrapTransport: crashOnceAfterAccept(OPS) });
    try {
      await pipeline.process();
      await pipeline.insertClass();
      const { cursor: logId } = await pipeline.process();
      const done = await pipeline.waitForState(logId, ['sent', 'failed']);
      assert.equal(done.state, 'sent');
      const delivery = done.deliveries.find((d) => d.recipient === OPS);
      assert.deepEqual([delivery?.state, delivery?.attempts], ['sent', 2]);
      const copies = pipeline.smtp.messages.filter((mail) => mail.envelope.to.includes(OPS));
      assert.equal(copies.length, 2);
      assert.deepEqual(new Set(copies.map((mail) => mail.messageId)), new Set([delivery?.message_id]));
      assert.equal(pipeline.smtp.messages.filter((mail) => !mail.envelope.to.includes(OPS)).length, 1, 'the other recipient got one copy');
    } finally {
      await pipeline.close();
    }
  });

  it('completes a retry of a sent delivery without sending anything', async () => {
    const pipeline = await startPipeline(ctx);
    try {
      await pipeline.process();
      await pipeline.insertClass();
      const { cursor: logId } = await pipeline.process();
      const done = await pipeline.waitForState(logId, ['sent']);
      const deliveryId = done.deliveries[0]?.id as number;
      const before = pipeline.smtp.dataAttempts;
      const again = await pipeline.app.call('POST', '/v1/actions/async', {
        hook: 'wecoza_send_notification_email', args: { log_id: logId, delivery_id: deliveryId }, group: 'wecoza-notifications',
      });
      assert.equal(again.statusCode, 201);
      const id = again.json().action_id as number;
      await waitFor(async () => (await actionState(ctx.db, id)).status === 'complete', { what: 'the repeated e-mail job to complete' });
      assert.equal(pipeline.smtp.dataAttempts, before);
      assert.equal((await pipeline.detail(logId)).deliveries.find((d) => d.id === deliveryId)?.attempts, 1);
    } finally {
      await pipeline.close();
    }
  });
});
