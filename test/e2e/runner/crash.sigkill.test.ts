import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DatabaseKind } from '../../../server/db/port.ts';
import { postgresSkipReason } from '../../support/databases.ts';
import { createDeployment, E2E_TOKEN, readRuns } from '../../support/runner-processes.ts';
import { waitFor } from '../../support/runner.ts';
import { api } from '../../support/sidecar-process.ts';

for (const kind of ['pglite', 'postgres'] as DatabaseKind[]) {
  describe(`a worker killed with SIGKILL while a handler runs [${kind}]`, async () => {
    const skip = kind === 'postgres' ? await postgresSkipReason() : undefined;

    it('runs the action again after a restart, without spending an attempt, and completes it once', { skip }, async () => {
      const deployment = await createDeployment(kind, import.meta.url, 'sigkill');
      try {
        const first = await deployment.start({ TEST_RUN_LOG: deployment.runLog('first'), TEST_HANG: '1' });
        const created = await api(first.url, E2E_TOKEN, 'POST', '/v1/actions/async', { hook: 'test_hang', max_attempts: 1 });
        assert.equal(created.status, 201);
        const id = created.json.action_id as number;
        await waitFor(async () => (await readRuns(deployment.runLog('first'))).length === 1, { what: 'the handler to start' });
        assert.equal(await first.kill('SIGKILL'), 'SIGKILL');

        const second = await deployment.start({ TEST_RUN_LOG: deployment.runLog('second') });
        let action: { status: string; attempts: number } | undefined;
        try {
          // The dead worker's lease (3 s) must expire before the reaper hands the action out again.
          action = await waitFor(async () => {
            const response = await api(second.url, E2E_TOKEN, 'GET', `/v1/actions/${id}`);
            return response.json.status === 'complete' && response.json;
          }, { what: 'the action to complete in the restarted process', timeoutMs: 30_000 });
          const logs = (await api(second.url, E2E_TOKEN, 'GET', `/v1/actions/${id}/logs`)).json.logs.map((log: { message: string }) => log.message);
          assert.deepEqual(logs.slice(0, 2), ['action created', 'action started via Sidecar']);
          assert.match(logs[2], /^action lease expired \(worker .+ stopped renewing it\); returned to the queue without spending an attempt \(expiry 1 of 3\)$/);
          assert.deepEqual(logs.slice(3), ['action started via Sidecar', 'action complete via Sidecar']);
        } finally {
          await second.kill('SIGTERM');
        }
        assert.equal(action?.attempts, 1, 'the run the crash interrupted spent no attempt');
        assert.deepEqual(await readRuns(deployment.runLog('first')), [{ id, attempt: 1 }]);
        assert.deepEqual(await readRuns(deployment.runLog('second')), [{ id, attempt: 1 }], 'ran again once, as attempt 1');
      } finally {
        await deployment.cleanup();
      }
    });
  });
}
