import assert from 'node:assert/strict';
import os from 'node:os';
import { describe, it } from 'node:test';
import { createActionStore } from '../../../server/actions/store.ts';
import { createEvents } from '../../../server/events.ts';
import { postgresSkipReason } from '../../support/databases.ts';
import { createDeployment, E2E_TOKEN } from '../../support/runner-processes.ts';
import { newAction, waitFor } from '../../support/runner.ts';

describe('a worker stopped with SIGSTOP past its lease, then continued (PostgreSQL)', async () => {
  const skip = await postgresSkipReason();

  it('cannot complete, fail or write through fenced() what another worker now holds', { skip }, async () => {
    const deployment = await createDeployment('postgres', import.meta.url, 'sigstop', { SIDECAR_ROLE: 'worker' });
    const db = await deployment.open();
    const a = await deployment.start({ TEST_WORKER: 'A', TEST_RUN_LOG: deployment.runLog('A') });
    let b: Awaited<ReturnType<typeof deployment.start>> | null = null;
    try {
      const holder = (pid: number | undefined): string => `${os.hostname()}:${pid}:`;
      const store = createActionStore({ db, events: createEvents() });
      // A would fail `fails`, complete `completes`, and record a side effect for `effect`; B does all three right.
      const results = await store.enqueue([
        newAction({ hook: 'test_sleep', argsText: '{"ms":1500,"fail_in":"A"}' }),
        newAction({ hook: 'test_sleep', argsText: '{"ms":1500}' }),
        newAction({ hook: 'test_sleep', argsText: '{"ms":1500,"effect":true}' }),
      ]);
      const ids = results.map((r) => r.actionId);
      const claimedBy = async (prefix: string): Promise<boolean> => {
        const { rows } = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${db.schema}.actions WHERE id = ANY($1::bigint[]) AND status = 'in-progress' AND claimed_by LIKE $2`,
          [ids, `${prefix}%`],
        );
        return rows[0]?.n === ids.length;
      };
      await waitFor(() => claimedBy(holder(a.child.pid)), { what: 'A to hold all three' });
      a.child.kill('SIGSTOP');

      b = await deployment.start({ TEST_WORKER: 'B', TEST_RUN_LOG: deployment.runLog('B') });
      // A's leases expire (3 s); B's reaper requeues the actions and B claims them.
      await waitFor(() => claimedBy(holder(b?.child.pid)), { what: 'B to take all three over', timeoutMs: 30_000 });
      a.child.kill('SIGCONT');

      await waitFor(async () => {
        const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${db.schema}.actions WHERE id = ANY($1::bigint[]) AND status = 'complete'`, [ids]);
        return rows[0]?.n === ids.length;
      }, { what: 'B to complete all three', timeoutMs: 30_000 });
      // A's handlers ran to their end after SIGCONT (their timers were due) and A tried to write: its
      // metrics count each write the database refused.
      const leasesLost = async (): Promise<number> => {
        const response = await fetch(`${a.url}/metrics`, { headers: { authorization: `Bearer ${E2E_TOKEN}` } });
        const text = await response.text();
        return [...text.matchAll(/^sidecar_action_leases_lost_total\{[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
      };
      await waitFor(async () => (await leasesLost()) === 3, { what: 'A to be refused three times', timeoutMs: 15_000 });

      const { rows } = await db.query<{ id: number; status: string; attempts: number; claimed_by: string; last_error: string | null }>(
        `SELECT id, status, attempts, claimed_by, last_error FROM ${db.schema}.actions WHERE id = ANY($1::bigint[]) ORDER BY id`,
        [ids],
      );
      for (const row of rows) {
        assert.equal(row.status, 'complete', `action ${row.id}`);
        assert.equal(row.attempts, 1, `the expired run spent no attempt (action ${row.id})`);
        assert.ok(row.claimed_by.startsWith(holder(b.child.pid)), `B finished action ${row.id}`);
        assert.equal(row.last_error, null);
      }
      const logs = await db.query<{ action_id: number; message: string }>(`SELECT action_id, message FROM ${db.schema}.action_logs WHERE action_id = ANY($1::bigint[]) ORDER BY id`, [ids]);
      for (const id of ids) {
        const messages = logs.rows.filter((row) => row.action_id === id).map((row) => row.message);
        assert.equal(messages.filter((m) => m === 'action complete via Sidecar').length, 1, `one completion for ${id}: ${messages.join(' | ')}`);
        assert.equal(messages.filter((m) => /failed/.test(m)).length, 0, `no failure written for ${id}`);
      }
      const effects = await db.query<{ worker: string }>(`SELECT worker FROM ${db.schema}.side_effects WHERE action_id = $1`, [ids[2]]);
      assert.deepEqual(effects.rows, [{ worker: 'B' }], 'A could not record its side effect');
    } finally {
      a.child.kill('SIGCONT');
      await a.kill('SIGTERM');
      await b?.kill('SIGTERM');
      await deployment.cleanup();
    }
  });
});
