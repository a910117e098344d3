import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeEachDatabase, TEST_DATABASE_URL } from '../../support/databases.ts';
import { INSERT_RECIPIENTS, startPipeline } from '../../support/notifications.ts';

const FILE = import.meta.url;

/**
 * SOURCE_DATABASE_URL: WeCoza's table reached through its own pool, so its writes cannot join the
 * sidecar's transactions (here the same server and schema, which is enough to take that path).
 */
describeEachDatabase('a source table reached through SOURCE_DATABASE_URL', FILE, (ctx) => {
  it('notifies through a separate connection pool and writes ai_summary there', async () => {
    const pipeline = await startPipeline(ctx, { config: { sourceDatabaseUrl: TEST_DATABASE_URL } });
    try {
      assert.equal(pipeline.app.app.notifications?.source.sameDatabase, false);
      await pipeline.process();
      await pipeline.insertClass();
      const { cursor } = await pipeline.process();
      const sent = await pipeline.waitForState(cursor, ['sent']);
      assert.equal(sent.deliveries.length, INSERT_RECIPIENTS.length);
      assert.equal((await pipeline.sourceSummary(cursor))?.['status'], 'success');

      await pipeline.app.call('PUT', '/v1/notifications/settings', { ai: { enabled: false } });
      await pipeline.insertClass({ class_code: 'NO-AI' });
      const direct = await pipeline.process();
      await pipeline.waitForState(direct.cursor, ['sent']);
      assert.equal((await pipeline.sourceSummary(direct.cursor))?.['error_code'], 'feature_disabled');
    } finally {
      await pipeline.close();
    }
  });
}, { kinds: ['postgres'] });
