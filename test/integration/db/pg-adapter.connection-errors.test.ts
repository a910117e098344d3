import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createPgDatabase } from '../../../server/db/pg-adapter.ts';
import type { Database } from '../../../server/db/port.ts';
import { isConnectionError } from '../../../server/db/sqlstate.ts';
import { postgresSkipReason, TEST_DATABASE_URL } from '../../support/databases.ts';
import { delay, waitFor } from '../../support/runner.ts';

/**
 * A connection that dies fails only the statement that was on it, and never the process: pg emits
 * 'error' on a client whose server went away, and an 'error' event nobody listens to kills Node. These
 * tests terminate their own backends only (found by pid or by an application_name made per test).
 */
describe('the pg adapter when its connections are terminated [postgres]', async () => {
  const skip = await postgresSkipReason();
  let admin: pg.Client;
  const reported: Error[] = [];
  const open = (applicationName: string): Database =>
    createPgDatabase({ connectionString: TEST_DATABASE_URL, schema: 'public', poolSize: 2, applicationName, onError: (error) => reported.push(error) });

  before(async () => {
    if (skip !== undefined) return;
    admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    admin.on('error', () => undefined);
    await admin.connect();
  });
  after(async () => {
    await admin?.end();
  });

  const terminate = async (filter: { pid?: number; applicationName?: string }): Promise<number> => {
    const { rows } = await admin.query<{ n: number }>(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND (pid = $1::int OR application_name = $2::text)`,
      [filter.pid ?? null, filter.applicationName ?? null],
    );
    return rows[0]?.n ?? 0;
  };

  it('fails the transaction whose connection died between two statements, and the process lives on', { skip }, async () => {
    const db = open(`adapter-tx-${randomUUID().slice(0, 8)}`);
    try {
      const failed = await db
        .transaction(async (tx) => {
          const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
          assert.equal(await terminate({ pid: rows[0]?.pid as number }), 1);
          // The server's FATAL arrives while no statement is running on this checked-out client.
          await delay(300);
          await tx.query('SELECT 1');
        })
        .then(() => null, (error: unknown) => error);
      assert.ok(isConnectionError(failed), `expected a connection error, got ${String(failed)}`);
      assert.deepEqual((await db.query<{ one: number }>('SELECT 1 AS one')).rows, [{ one: 1 }]);
    } finally {
      await db.close();
    }
  });

  it('fails only the statement on the terminated connection; the one beside it completes', { skip }, async () => {
    const db = open(`adapter-stmt-${randomUUID().slice(0, 8)}`);
    try {
      let victimPid = 0;
      const victim = db.transaction(async (tx) => {
        victimPid = (await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid ?? 0;
        await tx.query('SELECT pg_sleep(5)');
      });
      const bystander = db.query<{ done: boolean }>('SELECT pg_sleep(0.5) IS NOT NULL AS done');
      // Terminated only once its statement is running, so the statement is what fails.
      await waitFor(async () => {
        if (victimPid === 0) return false;
        const { rows } = await admin.query(`SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active' AND query LIKE 'SELECT pg_sleep(5)%'`, [victimPid]);
        return rows.length === 1;
      }, { what: 'the victim statement to run' });
      // Watched before the terminate: the victim can reject while terminate() is still answering, and an
      // unwatched rejection fails the test however the assertion below ends.
      const victimFails = assert.rejects(victim, (error) => isConnectionError(error), 'the victim fails with a connection error');
      assert.equal(await terminate({ pid: victimPid }), 1);
      await victimFails;
      assert.deepEqual((await bystander).rows, [{ done: true }]);
    } finally {
      await db.close();
    }
  });

  it('keeps LISTENing after its listening connection is terminated', { skip }, async () => {
    const name = `adapter-listen-${randomUUID().slice(0, 8)}`;
    const db = createPgDatabase({
      connectionString: `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}application_name=${name}`,
      schema: 'public',
      poolSize: 2,
      onError: (error) => reported.push(error),
    });
    const payloads: string[] = [];
    let reconnects = 0;
    const channel = `ch_${randomUUID().slice(0, 8)}`;
    const handle = await db.listen(channel, { onNotify: (payload) => payloads.push(payload), onReconnect: () => reconnects++ });
    try {
      for (let round = 0; round < 3; round++) {
        assert.ok((await terminate({ applicationName: name })) >= 1);
        await waitFor(() => reconnects === round + 1, { what: `reconnect ${round + 1}`, timeoutMs: 15_000 });
      }
      await db.query(`SELECT pg_notify('${channel}', 'after')`);
      await waitFor(() => payloads.includes('after'), { what: 'a notification after the reconnects' });
    } finally {
      await handle.close();
      await db.close();
    }
  });
});
