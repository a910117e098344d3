import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeEachDatabase } from '../../support/databases.ts';
import { startPipeline } from '../../support/notifications.ts';

const FILE = import.meta.url;

describeEachDatabase('GET/PUT /v1/notifications/cursor', FILE, (ctx) => {
  it("starts at the source's max(log_id) on first use", async () => {
    const pipeline = await startPipeline(ctx, { runner: false });
    try {
      await pipeline.insertClass();
      await pipeline.insertClass({ class_code: 'TWO' });
      const answer = await pipeline.app.call('GET', '/v1/notifications/cursor');
      assert.equal(answer.statusCode, 200);
      assert.equal(answer.json().log_id, await pipeline.maxLogId());
      assert.equal(answer.json().floor_log_id, await pipeline.maxLogId());
      assert.equal(answer.json().source_table, pipeline.sourceTable);
    } finally {
      await pipeline.close();
    }
  });

  it('starts at NOTIFY_START_LOG_ID when it is set, so the rows after it are notified', async () => {
    const pipeline = await startPipeline(ctx, { runner: false, config: { notifyStartLogId: 0 } });
    try {
      await pipeline.insertClass();
      await pipeline.insertClass({ class_code: 'TWO' });
      const reply = await pipeline.process();
      assert.deepEqual([reply.scanned, reply.enrich_scheduled], [2, 2]);
    } finally {
      await pipeline.close();
    }
  });

  it("imports WeCoza's last notified log id: the next pass reads after it and never below it", async () => {
    const pipeline = await startPipeline(ctx, { runner: false });
    try {
      await pipeline.process();
      const ids: number[] = [];
      for (let i = 0; i < 4; i++) {
        await pipeline.insertClass({ class_code: `IMP-${i}` });
        ids.push(await pipeline.maxLogId());
      }
      const put = await pipeline.app.call('PUT', '/v1/notifications/cursor', { log_id: ids[1] });
      assert.equal(put.statusCode, 200);
      assert.deepEqual([put.json().log_id, put.json().floor_log_id], [ids[1], ids[1]]);
      const reply = await pipeline.process();
      assert.deepEqual([reply.scanned, reply.cursor], [2, ids[3]]);
      const list = (await pipeline.app.call('GET', '/v1/notifications')).json();
      assert.deepEqual(list.notifications.map((n: { log_id: number }) => n.log_id), [ids[3], ids[2]]);
    } finally {
      await pipeline.close();
    }
  });

  it('refuses a cursor that is not a whole number of zero or more', async () => {
    const pipeline = await startPipeline(ctx, { runner: false });
    try {
      for (const body of [{ log_id: -1 }, { log_id: '12' }, { log_id: 1.5 }, {}]) {
        const answer = await pipeline.app.call('PUT', '/v1/notifications/cursor', body);
        assert.equal(answer.statusCode, 400, JSON.stringify(body));
      }
    } finally {
      await pipeline.close();
    }
  });
});
