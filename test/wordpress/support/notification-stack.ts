/**
 * A bridge stack with the notification pipeline on: the sidecar on PostgreSQL with WeCoza's source
 * tables in a schema of this run, its own processing timer off (NOTIFY_PROCESS_INTERVAL=0), the source
 * trigger notifying a channel it does not listen on (so only the test, or WP-Cron, starts a pass), AI
 * off, and e-mail to an SMTP sink.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { demoSourceDdl } from '../../../server/notifications/demo-source.ts';
import { TEST_DATABASE_URL } from '../../support/databases.ts';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.ts';
import { startBridgeStack, type BridgeStack } from './bridge-stack.ts';

export interface NotificationStack {
  stack: BridgeStack;
  sink: SmtpSink;
  /** A client on the test database, for the source tables. */
  db: pg.Client;
  /** The schema holding `classes` and `class_change_logs`. */
  sourceSchema: string;
  sourceTable: string;
  stop(): Promise<void>;
}

/**
 * `prefix` names the schemas (`<prefix>_<run>` for the sidecar, `…_src` for the source); `seed` runs
 * after the source tables exist and before the sidecar starts (rows it writes are history).
 */
export async function startNotificationStack(prefix: string, seed?: (db: pg.Client, sourceSchema: string) => Promise<void>): Promise<NotificationStack> {
  const run = randomBytes(4).toString('hex');
  const sidecarSchema = `${prefix}_${run}`;
  const sourceSchema = `${prefix}_${run}_src`;
  const sourceTable = `${sourceSchema}.class_change_logs`;
  const dropSchemas = `DROP SCHEMA IF EXISTS "${sidecarSchema}" CASCADE; DROP SCHEMA IF EXISTS "${sourceSchema}" CASCADE`;
  const db = new pg.Client({ connectionString: TEST_DATABASE_URL });
  // A pg client whose server goes away emits 'error'; unheard, that event would end the process.
  db.on('error', (error) => process.stderr.write(`db connection error: ${error.message}\n`));
  await db.connect();
  let sink: SmtpSink | null = null;
  try {
    await db.query(dropSchemas);
    // Not WeCoza's class_change_channel, which the sidecar LISTENs on to start a pass by itself.
    await db.query(demoSourceDdl(sourceTable, `${prefix}_${run}_quiet`));
    await seed?.(db, sourceSchema);
    sink = await startSmtpSink();
    const stack = await startBridgeStack({
      sidecarEnv: {
        DATABASE_URL: TEST_DATABASE_URL,
        SIDECAR_SCHEMA: sidecarSchema,
        SOURCE_TABLE: sourceTable,
        SMTP_URL: sink.url(),
        MAIL_FROM: 'WeCoza Sidecar <sidecar@example.com>',
        NOTIFY_PROCESS_INTERVAL: '0',
        AI_ENABLED: 'false',
      },
    });
    const started = sink;
    return {
      stack,
      sink: started,
      db,
      sourceSchema,
      sourceTable,
      async stop() {
        try {
          await stack.stop();
          await started.stop();
        } finally {
          await db.query(dropSchemas);
          await db.end();
        }
      },
    };
  } catch (error) {
    await sink?.stop();
    await db.query(dropSchemas).catch(() => undefined);
    await db.end();
    throw error;
  }
}
