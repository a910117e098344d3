import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPgDatabase } from '../../../server/db/pg-adapter.ts';
import { postgresSkipReason, schemaNameFor, TEST_DATABASE_URL } from '../../support/databases.ts';
import { createTestSource } from '../../support/notifications.ts';
import { waitFor } from '../../support/runner.ts';
import { api, startSidecar, type SidecarProcess } from '../../support/sidecar-process.ts';
import { startSmtpSink } from '../../support/smtp-sink.ts';

const TOKEN = 'crash-window-token-0123456789';
const OPS = 'ops@example.com';

describe('a sidecar process killed right after the SMTP server accepted a message (PostgreSQL)', async () => {
  const skip = await postgresSkipReason();
  it('sends one more copy with the same Message-ID after the restart, then records the delivery as sent', { skip, timeout: 90_000 }, async () => {
    const schema = schemaNameFor(import.meta.url, 'crash-process');
    const db = createPgDatabase({ connectionString: TEST_DATABASE_URL, schema, poolSize: 2 });
    const smtp = await startSmtpSink();
    let sidecar: SidecarProcess | null = null;
    try {
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      const sourceTable = await createTestSource(db, schema);
      const env = {
        DATABASE_URL: TEST_DATABASE_URL,
        SIDECAR_SCHEMA: schema,
        SIDECAR_API_TOKEN: TOKEN,
        SOURCE_TABLE: sourceTable,
        SMTP_URL: smtp.url(),
        NOTIFY_RECIPIENTS_INSERT: OPS,
        NOTIFY_PROCESS_INTERVAL: '0',
        LEASE_SECONDS: '3',
        RETRY_POLICIES: JSON.stringify({ wecoza_send_notification_email: { backoff: { base_seconds: 0.2, jitter: 0 } } }),
      };
      const first = await startSidecar(env);
      sidecar = first;
      assert.equal((await api(first.url, TOKEN, 'POST', '/v1/notifications/process', {})).status, 200);
      await db.query(`INSERT INTO "${schema}".classes (class_code, class_subject) VALUES ('CRASH-1', 'Resilience')`);
      // SIGKILL before the 250 leaves the server: the message is accepted, the ledger never hears of it.
      smtp.onAccepted(() => first.child.kill('SIGKILL'));
      // The kill may land before this answer is written; the log id is read from the source instead.
      await api(first.url, TOKEN, 'POST', '/v1/notifications/process', {}).catch(() => undefined);
      const logId = Number((await db.query<{ id: number }>(`SELECT max(log_id)::bigint AS id FROM ${sourceTable}`)).rows[0]?.id);
      assert.equal(await first.exited, 'SIGKILL');
      smtp.onAccepted(null);
      const ledger = await db.query<{ state: string }>(`SELECT state FROM "${schema}".deliveries WHERE log_id = $1`, [logId]);
      assert.deepEqual(ledger.rows.map((row) => row.state), ['sending']);

      const second = await startSidecar(env);
      sidecar = second;
      const detail = await waitFor(async () => {
        const answer = await api(second.url, TOKEN, 'GET', `/v1/notifications/${logId}`);
        return answer.json?.state === 'sent' ? answer.json : undefined;
      }, { timeoutMs: 30_000, what: 'the notification to be sent after the restart' });
      const delivery = detail.deliveries[0];
      assert.deepEqual([delivery.state, delivery.attempts], ['sent', 2]);
      assert.equal(smtp.messages.length, 2);
      assert.deepEqual(smtp.messages.map((mail) => mail.messageId), [delivery.message_id, delivery.message_id]);
    } finally {
      await sidecar?.kill('SIGTERM');
      await smtp.stop();
      await db.close();
    }
  });
});
