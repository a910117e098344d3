import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { buildApp } from '../server/app.ts';
import { createNotificationClients } from '../server/notifications/clients.ts';
import { loadConfig } from '../server/config.ts';
import { migrate } from '../server/db/migrator.ts';
import { openDatabase } from '../server/db/open.ts';
import { createPgDatabase } from '../server/db/pg-adapter.ts';
import type { Database } from '../server/db/port.ts';
import { demoSourceDdl } from '../server/notifications/demo-source.ts';
import { startSidecar } from '../test/support/sidecar-process.ts';
import { startFakeOpenAi } from '../test/support/fake-openai.ts';
import { startSmtpSink } from '../test/support/smtp-sink.ts';

/**
 * `npm run bench:pipeline`: 2,000 class changes (1,000 inserts, then an update of each) through the
 * whole pipeline with the default settings: the fake OpenAI answering in 200 ms, the SMTP sink on
 * loopback, and /process called back to back over HTTP, as WP-Cron's every-minute event would if it
 * could keep up (the sidecar's own timer runs too). Prints how fast rows are taken, how long the
 * queue takes to drain and notifications per second. Not a test: figures only.
 *
 * Then the latency of one notification: a class inserted every second (BENCH_LATENCY_CHANGES, 60), each
 * timed from the commit of its change (the INSERT's answer, so a bound from below on the commit) to the
 * SMTP server accepting the last of its e-mails (the sink records a message before its 250 goes out):
 * the trigger's NOTIFY, the sidecar's LISTEN and processor pass, the enrichment job and its AI call,
 * the e-mail jobs. Target: p99 ≤ AI latency + 500 ms.
 *
 * BENCH_DB=pglite runs on the embedded database instead of PostgreSQL (BENCH_DATABASE_URL, else
 * TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test). BENCH_CLASSES changes the count;
 * BENCH_ONLY=latency skips the 2,000-change drain, BENCH_ONLY=drain the latency cell.
 */
const CLASSES = Number(process.env.BENCH_CLASSES ?? 1_000);
const ROWS = CLASSES * 2;
const AI_LATENCY_MS = Number(process.env.BENCH_AI_LATENCY_MS ?? 200);
const INSERT_RECIPIENTS = ['ops@example.com', 'training@example.com'];
const UPDATE_RECIPIENTS = ['ops@example.com'];
const EXPECTED_MAILS = CLASSES * (INSERT_RECIPIENTS.length + UPDATE_RECIPIENTS.length);
const TOKEN = 'bench-pipeline-token-0123456789';
const DEADLINE_MS = 10 * 60_000;
const usePglite = process.env.BENCH_DB === 'pglite';
const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = 'bench_pipeline';
const LATENCY_CHANGES = Number(process.env.BENCH_LATENCY_CHANGES ?? 60);
const only = process.env.BENCH_ONLY;

const out = (line: string): void => void process.stdout.write(`${line}\n`);
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

const ai = await startFakeOpenAi({ latencyMs: AI_LATENCY_MS });
const smtp = await startSmtpSink();
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-pipeline-'));
const sourceTable = usePglite ? 'public.class_change_logs' : `${schema}.class_change_logs`;
const env: Record<string, string> = {
  DATA_DIR: dataDir,
  ...(usePglite ? {} : { DATABASE_URL: url, SIDECAR_SCHEMA: schema }),
  SIDECAR_API_TOKEN: TOKEN,
  SOURCE_TABLE: sourceTable,
  OPENAI_API_KEY: 'sk-bench-0123456789abcdefghijklmnop',
  OPENAI_BASE_URL: ai.baseURL,
  SMTP_URL: smtp.url(),
  NOTIFY_RECIPIENTS_INSERT: INSERT_RECIPIENTS.join(','),
  NOTIFY_RECIPIENTS_UPDATE: UPDATE_RECIPIENTS.join(','),
  LOG_LEVEL: 'warn',
};
const config = loadConfig(env);

/**
 * On PostgreSQL the sidecar is its own process, as deployed: the fakes here do not share its event
 * loop. The embedded database admits one process only, so on PGlite the sidecar runs in this one.
 */
let db: Database;
let base: string;
let stop: () => Promise<void>;
if (usePglite) {
  const opened = await openDatabase(config);
  db = opened.db;
  await migrate(db);
  await db.query(demoSourceDdl(sourceTable));
  const clients = createNotificationClients(config, { warn: () => undefined });
  const app = await buildApp({ config, db, apiToken: TOKEN, notificationClients: clients });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  await app.sidecar.runner?.start();
  stop = async () => {
    await app.close();
    await clients.close();
    await opened.close();
  };
} else {
  const admin = new pg.Client({ connectionString: url });
  // A pg client whose server goes away emits 'error'; unheard, that event would end the process.
  admin.on('error', (error) => process.stderr.write(`admin connection error: ${error.message}\n`));
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
  db = createPgDatabase({ connectionString: url, schema, poolSize: 2 });
  await db.query(demoSourceDdl(sourceTable));
  const sidecar = await startSidecar(env);
  base = sidecar.url;
  stop = async () => {
    await sidecar.kill('SIGTERM');
    await db.close();
  };
}

async function processOnce(): Promise<{ status: string; scanned: number }> {
  const response = await fetch(`${base}/v1/notifications/process`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{}' });
  if (response.status !== 200) throw new Error(`/process answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as { status: string; scanned: number };
}

async function counts(): Promise<{ finished: number; notifications: number }> {
  const { rows } = await db.query<{ finished: number; total: number }>(
    `SELECT count(*) FILTER (WHERE state IN ('sent', 'failed', 'skipped'))::int AS finished, count(*)::int AS total FROM ${db.schema}.notifications`,
  );
  return { finished: rows[0]?.finished ?? 0, notifications: rows[0]?.total ?? 0 };
}

const classesTable = `${sourceTable.split('.')[0]}.classes`;

/** The 2,000-change drain: the rows written at once, /process called back to back until all is mailed. */
async function drainCell(): Promise<void> {
  const insertStarted = Date.now();
  await db.query(
    `INSERT INTO ${classesTable} (class_code, class_subject, class_agent, original_start_date, learner_ids)
     SELECT 'BENCH' || lpad(g::text, 5, '0'), 'LO' || (g % 7), 3, DATE '2026-02-27',
            jsonb_build_array(jsonb_build_object('id', g, 'name', 'Learner Name ' || g, 'level', 'NL2'))
     FROM generate_series(1, $1::int) AS g`,
    [CLASSES],
  );
  await db.query(`UPDATE ${classesTable} SET class_agent = 5, updated_at = now()`);
  out(`${ROWS.toLocaleString('en')} class changes written through the trigger in ${seconds(Date.now() - insertStarted)} (${CLASSES} inserts, ${CLASSES} updates)`);
  out(`database: ${usePglite ? 'embedded PGlite' : 'PostgreSQL'}; fake OpenAI ${AI_LATENCY_MS} ms per call; SMTP sink on loopback; ${EXPECTED_MAILS.toLocaleString('en')} e-mails expected`);
  out(`defaults: batch 50 per /process, enrichment concurrency 8, e-mail concurrency 4, runner concurrency ${config.runnerConcurrency}`);

  const started = Date.now();
  let passes = 0;
  let locked = 0;
  let scheduledAt = 0;
  for (;;) {
    const reply = await processOnce();
    passes++;
    if (reply.status === 'locked') locked++;
    if (reply.status === 'processed' && reply.scanned === 0 && (await counts()).notifications === ROWS) {
      scheduledAt = Date.now() - started;
      break;
    }
    if (Date.now() - started > DEADLINE_MS) throw new Error('the rows were not all taken within 10 minutes');
  }
  let progressAt = Date.now();
  for (;;) {
    const { finished } = await counts();
    if (finished === ROWS && smtp.messages.length >= EXPECTED_MAILS) break;
    if (Date.now() - progressAt > 5_000) {
      out(`  … ${finished}/${ROWS} notifications finished, ${smtp.messages.length} e-mails, after ${seconds(Date.now() - started)}`);
      progressAt = Date.now();
    }
    if (Date.now() - started > DEADLINE_MS) throw new Error('the queue did not drain within 10 minutes');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const drained = Date.now() - started;
  const states = await db.query<{ state: string; n: number }>(`SELECT state, count(*)::int AS n FROM ${db.schema}.notifications GROUP BY state ORDER BY state`);
  const pairs = new Set(smtp.messages.map((mail) => `${/Subject: (.*)/.exec(mail.raw)?.[1]}|${mail.envelope.to.join(',')}`));

  out('');
  out(`rows taken by /process:   ${ROWS} in ${passes} calls (${locked} answered "locked"), ${seconds(scheduledAt)} → ${(ROWS / (scheduledAt / 1000)).toFixed(0)} rows/s`);
  out(`drained (all e-mailed):   ${seconds(drained)}  (target ≤ 60 s)`);
  out(`notifications/s:          ${(ROWS / (drained / 1000)).toFixed(1)}`);
  out(`e-mails/s:                ${(smtp.messages.length / (drained / 1000)).toFixed(1)}  (${smtp.messages.length} sent, ${pairs.size} distinct row × recipient)`);
  out(`OpenAI calls:             ${ai.requests.length} (floor at concurrency 8 and ${AI_LATENCY_MS} ms: ${seconds((ROWS / 8) * AI_LATENCY_MS)})`);
  out(`notification states:      ${states.rows.map((row) => `${row.state} ${row.n}`).join(', ')}`);
  out(`WeCoza's PHP design:      50 rows per hourly cron run → ${(ROWS / 50).toFixed(0)} hours for the same rows`);
}

/** One class insert a second; each timed from its commit to the acceptance of its last e-mail. */
async function latencyCell(): Promise<void> {
  const committed = new Map<string, number>();
  const expected = LATENCY_CHANGES * INSERT_RECIPIENTS.length;
  const mailsBefore = smtp.messages.length;
  const started = Date.now();
  for (let i = 0; i < LATENCY_CHANGES; i++) {
    const wait = started + i * 1000 - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const code = `LAT${String(i).padStart(5, '0')}`;
    await db.query(
      `INSERT INTO ${classesTable} (class_code, class_subject, class_agent, original_start_date, learner_ids)
       VALUES ($1, 'LO1', 3, DATE '2026-02-27', jsonb_build_array(jsonb_build_object('id', 1, 'name', 'Learner Name', 'level', 'NL2')))`,
      [code],
    );
    committed.set(code, Date.now());
  }
  const deadline = Date.now() + 60_000;
  while (smtp.messages.length - mailsBefore < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  const lastMail = new Map<string, number>();
  for (const mail of smtp.messages.slice(mailsBefore)) {
    const code = /\((LAT\d+)\)/.exec(mail.raw)?.[1];
    if (code !== undefined) lastMail.set(code, Math.max(lastMail.get(code) ?? 0, mail.receivedAt.getTime()));
  }
  const latencies = [...committed].flatMap(([code, at]) => (lastMail.has(code) ? [(lastMail.get(code) as number) - at] : [])).sort((a, b) => a - b);
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  const target = AI_LATENCY_MS + 500;
  out('');
  out(`notification latency, commit of a class change → SMTP acceptance of its last e-mail, 1 change/s, fake OpenAI ${AI_LATENCY_MS} ms:`);
  out(`  ${latencies.length}/${LATENCY_CHANGES} changes mailed; p50 ${at(0.5).toFixed(0)} ms, p99 ${at(0.99).toFixed(0)} ms, max ${at(1).toFixed(0)} ms (target p99 ≤ ${target} ms: ${at(0.99) <= target ? 'met' : 'MISSED'})`);
}

try {
  await processOnce(); // the first pass puts the cursor at the end of the (empty) table
  if (only !== 'latency') await drainCell();
  if (only !== 'drain') await latencyCell();
  out(`load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (a shared machine: figures are noisy)`);
} finally {
  await stop();
  await ai.close();
  await smtp.stop();
  await rm(dataDir, { recursive: true, force: true });
}
