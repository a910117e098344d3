import assert from 'node:assert/strict';
import { it } from 'node:test';
import { TEST_TOKEN } from '../../support/app.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { INSERT_RECIPIENTS, startPipeline } from '../../support/notifications.ts';
import { countByStatus, waitFor } from '../../support/runner.ts';

const FILE = import.meta.url;
const ROWS = 12;

describeEachDatabase('POST /v1/notifications/process under concurrency', FILE, (ctx) => {
  it('ten concurrent passes and the timer create one set of actions and one e-mail per row and recipient', async () => {
    const pipeline = await startPipeline(ctx, { config: { notifyProcessIntervalSeconds: 1 } });
    try {
      await pipeline.process();
      for (let i = 0; i < ROWS; i++) await pipeline.insertClass({ class_code: `C-${i}`, class_subject: 'Maths' });
      await pipeline.app.app.notifications?.startBackground();
      const replies = await Promise.all(Array.from({ length: 10 }, () => pipeline.process({ batch_limit: 500 })));
      const scanned = replies.reduce((sum, reply) => sum + reply.scanned, 0);
      assert.ok(scanned <= ROWS, `rows are taken once across passes (scanned ${scanned})`);
      assert.ok(replies.some((reply) => reply.status === 'processed'));

      const expectedMails = ROWS * INSERT_RECIPIENTS.length;
      await waitFor(async () => (await countByStatus(ctx.db, 'wecoza_send_notification_email'))['complete'] === expectedMails, { what: 'every e-mail job to complete', timeoutMs: 30_000 });
      // A last pass after everything settled finds nothing new.
      assert.equal((await pipeline.process()).scanned, 0);

      assert.deepEqual(await countByStatus(ctx.db, 'wecoza_enrich_notification'), { complete: ROWS });
      assert.deepEqual(await countByStatus(ctx.db, 'wecoza_send_notification_email'), { complete: expectedMails });
      assert.equal(pipeline.smtp.messages.length, expectedMails);
      const pairs = new Set(pipeline.smtp.messages.map((mail) => `${/Subject: (.*)/.exec(mail.raw)?.[1]} → ${mail.envelope.to.join(',')}`));
      assert.equal(pairs.size, expectedMails, 'no (row, recipient) pair got two e-mails');
      const { rows } = await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${ctx.db.schema}.notifications WHERE state = 'sent'`);
      assert.equal(rows[0]?.n, ROWS);
    } finally {
      await pipeline.close();
    }
  });

  it('answers locked and does nothing while another holder has wecoza_ai_summary_lock', async () => {
    const pipeline = await startPipeline(ctx, { runner: false });
    try {
      await pipeline.process();
      await pipeline.insertClass();
      const lock = await pipeline.app.call('POST', '/v1/locks/wecoza_ai_summary_lock', { ttl_seconds: 60, owner: 'wp-cron' });
      assert.equal(lock.statusCode, 201);
      const locked = await pipeline.process();
      assert.deepEqual({ status: locked.status, scanned: locked.scanned }, { status: 'locked', scanned: 0 });
      await pipeline.app.call('POST', '/v1/locks/wecoza_ai_summary_lock/release', { token: lock.json().token });
      const processed = await pipeline.process();
      assert.deepEqual({ status: processed.status, scanned: processed.scanned }, { status: 'processed', scanned: 1 });
    } finally {
      await pipeline.close();
    }
  });

  it('takes at most batch_limit rows per pass and continues from the cursor', async () => {
    const pipeline = await startPipeline(ctx, { runner: false });
    try {
      const start = (await pipeline.process()).cursor;
      for (let i = 0; i < 5; i++) await pipeline.insertClass({ class_code: `B-${i}` });
      const first = await pipeline.process({ batch_limit: 3 });
      assert.deepEqual([first.scanned, first.enrich_scheduled, first.cursor], [3, 3, start + 3]);
      const second = await pipeline.process({ batch_limit: 3 });
      assert.deepEqual([second.scanned, second.enrich_scheduled, second.cursor], [2, 2, start + 5]);
      const tooMany = await pipeline.app.call('POST', '/v1/notifications/process', { batch_limit: 501 });
      assert.equal(tooMany.statusCode, 400);
      const bare = await pipeline.app.app.inject({ method: 'POST', url: '/v1/notifications/process', headers: { authorization: `Bearer ${TEST_TOKEN}` } });
      assert.deepEqual([bare.statusCode, bare.json().status], [200, 'processed'], 'no body at all means no options');
    } finally {
      await pipeline.close();
    }
  });

  it('notifies a row that commits after rows with higher log ids were processed', async () => {
    const pipeline = await startPipeline(ctx);
    try {
      await pipeline.process();
      let lateLogId: number;
      if (ctx.kind === 'postgres') {
        // A real slow class save: its trigger drew the log id first, but it commits last.
        const other = await ctx.openAnother();
        let commit!: () => void;
        const held = new Promise<void>((resolve) => (commit = resolve));
        let drawn!: (id: number) => void;
        const drawnId = new Promise<number>((resolve) => (drawn = resolve));
        const slowSave = other.transaction(async (tx) => {
          await tx.query(`INSERT INTO ${ctx.db.schema}.classes (class_code, class_subject) VALUES ('LATE-1', 'Slow save')`);
          const { rows } = await tx.query<{ id: number }>(`SELECT max(log_id)::bigint AS id FROM ${ctx.db.schema}.class_change_logs`);
          drawn(Number(rows[0]?.id));
          await held;
        });
        lateLogId = await drawnId;
        await pipeline.insertClass({ class_code: 'FAST-1' });
        const before = await pipeline.process();
        assert.equal(before.scanned, 1);
        assert.ok(before.cursor > lateLogId);
        commit();
        await slowSave;
      } else {
        // One connection (PGlite): draw the id the slow save would have drawn, let a later row commit
        // and be processed, then write the slow save's row with its lower id.
        const { rows } = await ctx.db.query<{ id: number }>(`SELECT nextval(pg_get_serial_sequence('${ctx.schemaName}.class_change_logs', 'log_id'))::bigint AS id`);
        lateLogId = Number(rows[0]?.id);
        await pipeline.insertClass({ class_code: 'FAST-1' });
        const before = await pipeline.process();
        assert.equal(before.scanned, 1);
        assert.ok(before.cursor > lateLogId);
        await ctx.db.query(
          `INSERT INTO ${ctx.db.schema}.class_change_logs (log_id, class_id, operation, new_row, diff)
           VALUES ($1, NULL, 'INSERT', '{"class_code": "LATE-1"}'::jsonb, '{"class_code": "LATE-1"}'::jsonb)`,
          [lateLogId],
        );
      }
      const after = await pipeline.process();
      assert.equal(after.scanned, 1);
      assert.equal(after.enrich_scheduled, 1);
      const late = await pipeline.waitForState(lateLogId, ['sent']);
      assert.deepEqual(late.deliveries.map((d) => d.state), INSERT_RECIPIENTS.map(() => 'sent'));
      assert.ok(pipeline.smtp.messages.some((mail) => mail.raw.includes('(LATE-1)')));
      assert.equal((await pipeline.process()).scanned, 0, 'the late row is not taken twice');
    } finally {
      await pipeline.close();
    }
  });
});
