import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createActionStore } from '../../../server/actions/store.ts';
import { createEvents } from '../../../server/events.ts';
import { wakeChannelFor } from '../../../server/runner/wakeups.ts';
import { postgresSkipReason } from '../../support/databases.ts';
import { createDeployment, readRuns } from '../../support/runner-processes.ts';
import { newAction, waitFor } from '../../support/runner.ts';

const COUNT = 5_000;

describe('two worker processes on one PostgreSQL', async () => {
  const skip = await postgresSkipReason();

  it('run 5,000 actions: every one completes, none runs twice', { skip }, async (test) => {
    const deployment = await createDeployment('postgres', import.meta.url, 'two-workers', { SIDECAR_ROLE: 'worker' });
    const db = await deployment.open();
    const workers = [
      await deployment.start({ TEST_WORKER: 'one', TEST_RUN_LOG: deployment.runLog('one') }),
      await deployment.start({ TEST_WORKER: 'two', TEST_RUN_LOG: deployment.runLog('two') }),
    ];
    try {
      const store = createActionStore({ db, events: createEvents() });
      const started = Date.now();
      const ids: number[] = [];
      for (let batch = 0; batch < COUNT / 1000; batch++) {
        const results = await store.enqueue(Array.from({ length: 1000 }, (_, i) => newAction({ hook: 'test_noop', argsText: `[${batch * 1000 + i}]` })));
        ids.push(...results.map((r) => r.actionId));
        // What the API process's notifier does after an enqueue: wake the workers now.
        await db.query('SELECT pg_notify($1, $2)', [wakeChannelFor(db.schema), `test ${Date.now()}`]);
      }
      await waitFor(async () => {
        const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${db.schema}.actions WHERE status = 'complete'`);
        return rows[0]?.n === COUNT;
      }, { what: `${COUNT} completions`, timeoutMs: 120_000, intervalMs: 200 });
      const seconds = (Date.now() - started) / 1000;

      const one = await readRuns(deployment.runLog('one'));
      const two = await readRuns(deployment.runLog('two'));
      test.diagnostic(`${COUNT} actions in ${seconds.toFixed(1)} s (${Math.round(COUNT / seconds)}/s, enqueue included): ${one.length} by one, ${two.length} by two`);
      const ran = [...one, ...two].map((run) => run.id);
      assert.equal(ran.length, COUNT, 'as many runs as actions');
      assert.equal(new Set(ran).size, COUNT, 'no action ran twice');
      assert.deepEqual([...new Set(ran)].sort((x, y) => x - y), [...ids].sort((x, y) => x - y));
      assert.ok(one.length > 0 && two.length > 0, 'both workers took a share');
      const { rows } = await db.query<{ n: number; attempts: number }>(
        `SELECT count(*)::int AS n, max(attempts)::int AS attempts FROM ${db.schema}.action_logs l JOIN ${db.schema}.actions a ON a.id = l.action_id
         WHERE l.message = 'action complete via Sidecar'`,
      );
      assert.deepEqual(rows[0], { n: COUNT, attempts: 1 });
    } finally {
      for (const worker of workers) await worker.kill('SIGTERM');
      await deployment.cleanup();
    }
  });
});
