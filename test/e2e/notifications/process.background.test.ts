import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPgDatabase } from '../../../server/db/pg-adapter.ts';
import { postgresSkipReason, schemaNameFor, TEST_DATABASE_URL } from '../../support/databases.ts';
import { createTestSource } from '../../support/notifications.ts';
import { waitFor } from '../../support/runner.ts';
import { api, startSidecar, type SidecarProcess } from '../../support/sidecar-process.ts';
import { startSmtpSink } from '../../support/smtp-sink.ts';

const TOKEN = 'background-test-token-0123456789';

describe('a sidecar process doing notification work on its own (PostgreSQL)', async () => {
  const skip = await postgresSkipReason();

  it("notifies a class change within seconds through the trigger's NOTIFY, with no timer and no /process call", { skip, timeout: 60_000 }, async () => {
    const schema = schemaNameFor(import.meta.url, 'listen');
    const db = createPgDatabase({ connectionString: TEST_DATABASE_URL, schema, poolSize: 2 });
    const smtp = await startSmtpSink();
    let sidecar: SidecarProcess | null = null;
    try {
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      const sourceTable = await createTestSource(db, schema);
      await db.query(`INSERT INTO "${schema}".classes (class_code) VALUES ('BEFORE-START')`);
      sidecar = await startSidecar({
        DATABASE_URL: TEST_DATABASE_URL, SIDECAR_SCHEMA: schema, SIDECAR_API_TOKEN: TOKEN, SOURCE_TABLE: sourceTable,
        SMTP_URL: smtp.url(), NOTIFY_RECIPIENTS_INSERT: 'ops@example.com', NOTIFY_PROCESS_INTERVAL: '0',
      });
      const running = sidecar;
      await waitFor(async () => (await api(running.url, TOKEN, 'GET', '/v1/notifications/cursor')).json?.log_id === 1, { what: 'the cursor set at start' });
      const written = Date.now();
      await db.query(`INSERT INTO "${schema}".classes (class_code) VALUES ('AFTER-START')`);
      await waitFor(() => smtp.messages.length === 1, { timeoutMs: 10_000, what: 'the e-mail about the new class' });
      const elapsed = Date.now() - written;
      assert.match(smtp.messages[0]?.raw ?? '', /\(AFTER-START\)/);
      assert.ok(elapsed < 5_000, `notified in ${elapsed} ms`);
      const list = await api(running.url, TOKEN, 'GET', '/v1/notifications');
      assert.deepEqual(list.json.notifications.map((n: { log_id: number }) => n.log_id), [2], 'the row from before the start is history');
    } finally {
      await sidecar?.kill('SIGTERM');
      await smtp.stop();
      await db.close();
    }
  });

  it('stays up without its source table: one warning, /readyz 503, the queue still answering', { skip, timeout: 60_000 }, async () => {
    const schema = schemaNameFor(import.meta.url, 'missing');
    const db = createPgDatabase({ connectionString: TEST_DATABASE_URL, schema, poolSize: 2 });
    let sidecar: SidecarProcess | null = null;
    try {
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      sidecar = await startSidecar({
        DATABASE_URL: TEST_DATABASE_URL, SIDECAR_SCHEMA: schema, SIDECAR_API_TOKEN: TOKEN, SOURCE_TABLE: `${schema}.class_change_logs`, NOTIFY_PROCESS_INTERVAL: '1',
      });
      const running = sidecar;
      // Several timer passes meet the missing table.
      await waitFor(() => running.output().includes('notification processing waits for the source table'), { what: 'the warning' });
      const ready = await fetch(`${running.url}/readyz`);
      assert.equal(ready.status, 503);
      assert.equal(((await ready.json()) as { checks: Record<string, { status: string }> }).checks['source_table']?.status, 'fail');
      const queued = await api(running.url, TOKEN, 'POST', '/v1/actions/single', { hook: 'later', timestamp: 4_000_000_000 });
      assert.equal(queued.status, 201);
      await waitFor(async () => {
        const settings = await api(running.url, TOKEN, 'GET', '/v1/notifications/settings');
        return settings.status === 200;
      }, { what: 'the settings route' });
      await new Promise((resolve) => setTimeout(resolve, 2_500)); // a window with more failing passes, to show they stay quiet
      assert.equal(running.child.exitCode, null, 'still running');
      assert.equal(running.output().split('notification processing waits for the source table').length - 1, 1);
    } finally {
      await sidecar?.kill('SIGTERM');
      await db.close();
    }
  });
});
