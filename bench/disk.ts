import pg from 'pg';
import { insertActions, type NewAction } from '../server/actions/store.ts';
import { migrate } from '../server/db/migrator.ts';
import { createPgDatabase } from '../server/db/pg-adapter.ts';

/**
 * `npm run bench:disk`: what a million finished actions cost on disk in PostgreSQL, with their three
 * log lines (created, started, complete), so the README's retention advice rests on a measurement.
 * Args are typical of the notification hooks: {"log_id": N, "delivery_id": M}.
 */
const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const total = Number(process.env.BENCH_ACTIONS ?? 1_000_000);
const schema = 'bench_disk';

const admin = new pg.Client({ connectionString: url });
// A pg client whose server goes away emits 'error'; unheard, that event would end the process.
admin.on('error', (error) => process.stderr.write(`admin connection error: ${error.message}\n`));
await admin.connect();
await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
const db = createPgDatabase({ connectionString: url, schema, poolSize: 4 });
await migrate(db);

const started = Date.now();
const BATCH = 1000;
for (let done = 0; done < total; done += BATCH) {
  const items: NewAction[] = Array.from({ length: Math.min(BATCH, total - done) }, (_, i) => ({
    hook: 'wecoza_send_notification_email',
    group: 'wecoza-notifications',
    argsText: `{"log_id":${done + i},"delivery_id":${done + i + 7}}`,
    priority: 10,
    unique: true,
    schedule: { type: 'async' },
    maxAttempts: 5,
  }));
  await insertActions(db, db.schema, items);
}
// Finish them as the runner would: complete, with a started and a complete log line each.
await admin.query(`UPDATE ${schema}.actions SET status = 'complete', attempts = 1, last_attempt_at = now(), finished_at = now()`);
await admin.query(
  `INSERT INTO ${schema}.action_logs (action_id, message)
   SELECT id, m FROM ${schema}.actions, unnest(ARRAY['action started via Sidecar', 'action complete via Sidecar']) AS m`,
);
// VACUUM FULL: the steady state of a table whose dead rows are reused, not the bloat of one bulk update.
await admin.query(`VACUUM FULL ANALYZE ${schema}.actions`);
await admin.query(`VACUUM FULL ANALYZE ${schema}.action_logs`);
const indexes = await admin.query<{ name: string; size: string }>(
  `SELECT indexrelname AS name, pg_relation_size(indexrelid)::text AS size FROM pg_stat_user_indexes WHERE schemaname = $1 AND pg_relation_size(indexrelid) > 1048576 ORDER BY 2 DESC`,
  [schema],
);
const sizes = await admin.query<{ relation: string; total: string }>(
  `SELECT c.relname AS relation, pg_total_relation_size(c.oid)::text AS total
   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY 1`,
  [schema],
);
const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(0);
let sum = 0;
process.stdout.write(`${total.toLocaleString('en')} finished actions, 3 log lines each, in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
for (const row of sizes.rows) {
  sum += Number(row.total);
  process.stdout.write(`  ${row.relation.padEnd(14)} ${mb(Number(row.total)).padStart(6)} MB (table + indexes + toast)\n`);
}
for (const index of indexes.rows) process.stdout.write(`    index ${index.name.padEnd(26)} ${mb(Number(index.size)).padStart(5)} MB\n`);
process.stdout.write(`  ${'total'.padEnd(14)} ${mb(sum).padStart(6)} MB → ${mb((sum * 1_000_000) / total)} MB per million actions\n`);
await db.close();
await admin.query(`DROP SCHEMA ${schema} CASCADE`);
await admin.end();
