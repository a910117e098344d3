import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DatabaseKind } from '../../../server/db/port.ts';
import { postgresSkipReason } from '../../support/databases.ts';
import { createDeployment, E2E_TOKEN, readRuns } from '../../support/runner-processes.ts';
import { waitFor } from '../../support/runner.ts';
import { api } from '../../support/sidecar-process.ts';

for (const kind of ['pglite', 'postgres'] as DatabaseKind[]) {
  describe(`a sidecar process stopped with SIGTERM while handlers run [${kind}]`, async () => {
    const skip = kind === 'postgres' ? await postgresSkipReason() : undefined;

    it('lets short handlers finish, gives long ones back without spending an attempt, and leaves nothing in progress', { skip }, async () => {
      const deployment = await createDeployment(kind, import.meta.url, 'sigterm', { SHUTDOWN_GRACE_SECONDS: '2' });
      try {
        const sidecar = await deployment.start({ TEST_RUN_LOG: deployment.runLog('one') });
        const enqueue = async (ms: number): Promise<number> => {
          const response = await api(sidecar.url, E2E_TOKEN, 'POST', '/v1/actions/async', { hook: 'test_sleep', args: { ms }, max_attempts: 3 });
          assert.equal(response.status, 201);
          return response.json.action_id as number;
        };
        const short = [await enqueue(800), await enqueue(800), await enqueue(800)];
        const long = [await enqueue(120_000), await enqueue(120_000)];
        await waitFor(async () => (await readRuns(deployment.runLog('one'))).length === 5, { what: 'all five handlers to start' });

        const startedStop = Date.now();
        assert.equal(await sidecar.kill('SIGTERM'), 0, sidecar.output());
        const stopMs = Date.now() - startedStop;
        assert.ok(stopMs < 15_000, `stopped in ${stopMs} ms`);

        const db = await deployment.open();
        const { rows } = await db.query<{ id: number; status: string; attempts: number; claim_token: string | null }>(
          `SELECT id, status, attempts, claim_token FROM ${db.schema}.actions ORDER BY id`,
        );
        const byId = new Map(rows.map((row) => [row.id, row]));
        for (const id of short) assert.deepEqual([byId.get(id)?.status, byId.get(id)?.attempts], ['complete', 1], `short action ${id}`);
        for (const id of long) assert.deepEqual([byId.get(id)?.status, byId.get(id)?.attempts, byId.get(id)?.claim_token], ['pending', 0, null], `long action ${id}`);
        assert.equal(rows.filter((row) => row.status === 'in-progress').length, 0);
        const logs = await db.query<{ message: string }>(`SELECT message FROM ${db.schema}.action_logs WHERE action_id = $1 ORDER BY id`, [long[0]]);
        assert.equal(logs.rows.at(-1)?.message, 'action returned to the queue without spending an attempt: the worker shut down before the action finished');
      } finally {
        await deployment.cleanup();
      }
    });
  });
}
