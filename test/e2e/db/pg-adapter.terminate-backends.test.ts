import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import pg from 'pg';
import { postgresSkipReason, TEST_DATABASE_URL } from '../../support/databases.ts';
import { createDeployment, E2E_TOKEN } from '../../support/runner-processes.ts';
import { delay, waitFor } from '../../support/runner.ts';
import { api } from '../../support/sidecar-process.ts';

/**
 * Every backend of one sidecar process (its pool, checked-out clients, the LISTEN connection) is
 * terminated 20 times while 16 clients enqueue and the runner claims. Only this test's sidecar is
 * touched: its connections carry an application_name made for this run, and the terminate statement
 * filters on it and on this database, so other engineers' and other tests' connections stay alone.
 */
const CLIENTS = 16;
const ROUNDS = 20;

describe('a sidecar whose database connections are terminated under load [postgres]', async () => {
  const skip = await postgresSkipReason();

  it('stays up, turns ready again and completes every action it acknowledged', { skip, timeout: 240_000 }, async () => {
    const applicationName = `sidecar-terminate-${randomUUID().slice(0, 8)}`;
    const url = new URL(TEST_DATABASE_URL);
    url.searchParams.set('application_name', applicationName);
    const deployment = await createDeployment('postgres', import.meta.url, 'terminate-backends');
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL, application_name: 'sidecar-terminate-admin' });
    admin.on('error', () => undefined);
    await admin.connect();
    const sidecar = await deployment.start({ DATABASE_URL: url.toString(), DATABASE_POOL_SIZE: '4' });
    try {
      const acknowledged: number[] = [];
      let stop = false;
      const client = async (): Promise<void> => {
        while (!stop) {
          const answer = await api(sidecar.url, E2E_TOKEN, 'POST', '/v1/actions/async', { hook: 'test_noop' }).catch(() => null);
          if (answer?.status === 201) acknowledged.push(answer.json.action_id as number);
          else if (answer !== null) assert.ok([503].includes(answer.status), `an enqueue answered ${answer.status}: ${JSON.stringify(answer.json)}`);
          else await delay(20);
        }
      };
      const load = Array.from({ length: CLIENTS }, client);

      let terminated = 0;
      for (let round = 0; round < ROUNDS; round++) {
        await delay(150);
        const { rows } = await admin.query<{ n: number }>(
          `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
            WHERE application_name = $1 AND datname = current_database() AND pid <> pg_backend_pid()`,
          [applicationName],
        );
        terminated += rows[0]?.n ?? 0;
        assert.equal(sidecar.child.exitCode, null, `the sidecar exited in round ${round}:\n${sidecar.output()}`);
      }
      stop = true;
      await Promise.all(load);
      assert.ok(terminated >= ROUNDS, `only ${terminated} backends were terminated`);
      assert.ok(acknowledged.length > 0, 'no enqueue was acknowledged');

      await waitFor(async () => (await fetch(`${sidecar.url}/readyz`)).status === 200, { what: '/readyz to turn green', timeoutMs: 30_000 });
      const db = await deployment.open();
      await waitFor(async () => {
        const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${db.schema}.actions WHERE id = ANY($1::bigint[]) AND status = 'complete'`, [acknowledged]);
        return rows[0]?.n === acknowledged.length;
      }, { what: `all ${acknowledged.length} acknowledged actions to complete`, timeoutMs: 60_000 });
      assert.equal(sidecar.child.exitCode, null, sidecar.output());
      assert.doesNotMatch(sidecar.output(), /Unhandled 'error' event|uncaught/i);
    } finally {
      await sidecar.kill('SIGTERM');
      await admin.end().catch(() => undefined);
      await deployment.cleanup();
    }
  });
});
