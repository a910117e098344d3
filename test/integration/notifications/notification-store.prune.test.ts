import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeEachDatabase } from '../../support/databases.ts';
import { startPipeline } from '../../support/notifications.ts';

const FILE = import.meta.url;

describeEachDatabase('notification retention', FILE, (ctx) => {
  it('deletes notifications finished more than 90 days ago with their deliveries, and never notifies their rows again', async () => {
    const pipeline = await startPipeline(ctx, { runner: false, config: { notifyRecipientsInsert: [] } });
    try {
      await pipeline.process();
      for (let i = 0; i < 4; i++) await pipeline.insertClass({ class_code: `R-${i}` });
      await pipeline.app.call('PUT', '/v1/notifications/settings', { recipients: { INSERT: ['keep@example.com'] } });
      await pipeline.process();
      const top = await pipeline.maxLogId();
      const s = ctx.db.schema;
      // The three oldest finished long ago; the newest is still in flight (enriching) and old too.
      await ctx.db.query(`UPDATE ${s}.notifications SET state = 'skipped', reason = 'no_recipient', finished_at = now() - interval '91 days' WHERE log_id < $1`, [top]);
      await ctx.db.query(`UPDATE ${s}.notifications SET created_at = now() - interval '200 days'`);
      const deleted = await pipeline.app.app.notifications?.store.prune(90);
      assert.equal(deleted, 3);
      const left = await ctx.db.query<{ log_id: number }>(`SELECT log_id FROM ${s}.notifications`);
      assert.deepEqual(left.rows.map((row) => Number(row.log_id)), [top]);
      const deliveries = await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${s}.deliveries WHERE log_id < $1`, [top]);
      assert.equal(deliveries.rows[0]?.n, 0);
      const cursor = (await pipeline.app.call('GET', '/v1/notifications/cursor')).json();
      assert.equal(cursor.floor_log_id, top - 1);
      assert.equal((await pipeline.process()).scanned, 0, 'the look-back window does not see the deleted rows as new');
    } finally {
      await pipeline.close();
    }
  });
});
