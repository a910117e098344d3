import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { testConfig, type Config } from '../../server/config.ts';
import type { Database } from '../../server/db/port.ts';
import { createSourceDatabase } from '../../server/notifications/clients.ts';
import { createMailTransport, type MailTransport } from '../../server/notifications/mail-transport.ts';
import { demoSourceDdl } from '../../server/notifications/demo-source.ts';
import { createSummarizer, type Summarizer } from '../../server/notifications/openai-summarizer.ts';
import type { NotificationDetail } from '../../server/notifications/schemas.ts';
import { buildTestApp, type TestApp } from './app.ts';
import { REFERENCE_CLASS_ROW } from './class-fixtures.ts';
import type { DatabaseContext } from './databases.ts';
import { startFakeOpenAi, type FakeOpenAi } from './fake-openai.ts';
import { waitFor } from './runner.ts';
import { startSmtpSink, type SmtpSink } from './smtp-sink.ts';

/**
 * The notification pipeline on a test database: WeCoza's tables in the test's own schema (so tests
 * never share a source), the fake OpenAI and the SMTP sink on loopback, and an app whose runner is
 * running, talking to both through the real `openai` and `nodemailer` clients.
 */

export const OPENAI_TEST_KEY = 'sk-test-0123456789abcdefghijklmnop';
export const INSERT_RECIPIENTS = ['ops@example.com', 'qa@example.com'];
export const UPDATE_RECIPIENTS = ['updates@example.com'];

/** The reference §8 class, its learner with an e-mail address and a phone number too. */
export const FIXTURE_CLASS = {
  ...REFERENCE_CLASS_ROW,
  learner_ids: [{ ...REFERENCE_CLASS_ROW.learner_ids[0], email: 'thandi.mokoena@learners.example', phone: '082 123 4567' }],
};

export const PERSONAL_DATA = ['Thandi', 'Mokoena', 'thandi.mokoena@learners.example', '082 123 4567', '0821234567'];

export interface PipelineOptions {
  config?: Partial<Config>;
  /** OpenAI client timeout; short so the timeout test is quick. */
  openaiTimeoutMs?: number;
  /** Start the runner (default true). */
  runner?: boolean;
  /** The app's logger (default: none), to inspect what the process logs. */
  logger?: FastifyBaseLogger;
  /** Wrap the real mail transport, e.g. to simulate a crash right after the server's 250. */
  wrapTransport?(transport: MailTransport): MailTransport;
  /** `auth`: what the sink accepts; `clientAuth`: what the sidecar sends (default: the same). */
  smtp?: { auth?: { user: string; pass: string }; clientAuth?: { user: string; pass: string } };
}

export interface Pipeline {
  app: TestApp;
  ai: FakeOpenAi;
  smtp: SmtpSink;
  config: Config;
  sourceTable: string;
  outboxDir: string;
  /** Insert a class through the trigger; returns its class_id. */
  insertClass(values?: Record<string, unknown>): Promise<number>;
  updateClass(classId: number, values: Record<string, unknown>): Promise<void>;
  maxLogId(): Promise<number>;
  process(body?: object): Promise<{ status: string; scanned: number; enrich_scheduled: number; email_scheduled: number; skipped: number; cursor: number }>;
  detail(logId: number): Promise<NotificationDetail>;
  /** Poll until the notification reaches one of `states`. */
  waitForState(logId: number, states: string[], timeoutMs?: number): Promise<NotificationDetail>;
  sourceSummary(logId: number): Promise<Record<string, unknown> | null>;
  close(): Promise<void>;
}

function columnsOf(values: Record<string, unknown>): { names: string; placeholders: string; params: unknown[] } {
  const entries = Object.entries(values);
  return {
    names: entries.map(([key]) => key).join(', '),
    placeholders: entries.map(([, value], index) => (typeof value === 'object' && value !== null ? `$${index + 1}::jsonb` : `$${index + 1}`)).join(', '),
    params: entries.map(([, value]) => (typeof value === 'object' && value !== null ? JSON.stringify(value) : value)),
  };
}

export async function createTestSource(db: Database, schemaName: string): Promise<string> {
  const table = `${schemaName}.class_change_logs`;
  await db.query(demoSourceDdl(table));
  return table;
}

export async function startPipeline(ctx: DatabaseContext, options: PipelineOptions = {}): Promise<Pipeline> {
  const db = ctx.db;
  const schema = db.schema;
  const sourceTable = await createTestSource(db, ctx.schemaName);
  const ai = await startFakeOpenAi();
  const smtp = await startSmtpSink(options.smtp?.auth ? { auth: options.smtp.auth } : {});
  const outboxDir = await mkdtemp(path.join(os.tmpdir(), 'sidecar-outbox-'));
  const overrides: Partial<Config> = {
    sourceTable,
    notifyProcessIntervalSeconds: 0,
    notifyRecipientsInsert: INSERT_RECIPIENTS,
    notifyRecipientsUpdate: UPDATE_RECIPIENTS,
    openaiApiKey: OPENAI_TEST_KEY,
    openaiBaseUrl: ai.baseURL,
    smtpUrl: smtp.url(options.smtp?.clientAuth ?? options.smtp?.auth),
    dataDir: outboxDir,
    leaseSeconds: 5,
    mailFrom: 'WeCoza Sidecar <sidecar@wecoza.example>',
    retryPolicies: {
      wecoza_enrich_notification: { backoff: { base_seconds: 0.2, max_seconds: 1, jitter: 0 } },
      wecoza_send_notification_email: { backoff: { base_seconds: 0.2, max_seconds: 1, jitter: 0 } },
    },
    ...options.config,
  };
  const summarizers = new Map<string, Summarizer>();
  const summarizerFor = (model: string): Summarizer => {
    let summarizer = summarizers.get(model);
    if (summarizer === undefined) {
      summarizer = createSummarizer({ apiKey: overrides.openaiApiKey ?? '', baseURL: ai.baseURL, model, timeoutMs: options.openaiTimeoutMs ?? 5_000 });
      summarizers.set(model, summarizer);
    }
    return summarizer;
  };
  const smtpUrl = overrides.smtpUrl ?? undefined;
  const mailTransport = createMailTransport({
    ...(smtpUrl ? { smtpUrl } : {}),
    outboxDir: path.join(outboxDir, 'outbox'),
    from: overrides.mailFrom ?? 'WeCoza Sidecar <sidecar@wecoza.example>',
    timeouts: { connectionMs: 1_000, greetingMs: 1_000, socketMs: 3_000 },
  });
  const transport = options.wrapTransport?.(mailTransport) ?? mailTransport;
  // The test owns its clients, as start.ts does in production: the app only uses them.
  const sourceDb = createSourceDatabase({ sourceDatabaseUrl: overrides.sourceDatabaseUrl ?? null }, { warn: () => undefined });
  const app = await buildTestApp(db, overrides, {
    notificationClients: { sourceDb, summarizerFor, mailTransport: transport },
    runnerTimings: { pollFloorMs: 100 },
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const config = { ...testConfig(), ...overrides };
  if (options.runner !== false) await app.app.sidecar.runner?.start();

  const pipeline: Pipeline = {
    app,
    ai,
    smtp,
    config,
    sourceTable,
    outboxDir,
    async insertClass(values = FIXTURE_CLASS) {
      const { names, placeholders, params } = columnsOf(values);
      const { rows } = await db.query<{ class_id: number }>(`INSERT INTO ${schema}.classes (${names}) VALUES (${placeholders}) RETURNING class_id`, params);
      return Number(rows[0]?.class_id);
    },
    async updateClass(classId, values) {
      const { params } = columnsOf(values);
      const sets = Object.entries(values).map(([key, value], index) => `${key} = $${index + 2}${typeof value === 'object' && value !== null ? '::jsonb' : ''}`);
      await db.query(`UPDATE ${schema}.classes SET ${sets.join(', ')} WHERE class_id = $1`, [classId, ...params]);
    },
    async maxLogId() {
      const { rows } = await db.query<{ max: number }>(`SELECT coalesce(max(log_id), 0)::bigint AS max FROM ${schema}.class_change_logs`);
      return Number(rows[0]?.max ?? 0);
    },
    async process(body = {}) {
      const response = await app.call('POST', '/v1/notifications/process', body);
      if (response.statusCode !== 200) throw new Error(`process answered ${response.statusCode}: ${response.body}`);
      return response.json();
    },
    async detail(logId) {
      const response = await app.call('GET', `/v1/notifications/${logId}`);
      if (response.statusCode !== 200) throw new Error(`detail answered ${response.statusCode}: ${response.body}`);
      return response.json() as NotificationDetail;
    },
    async waitForState(logId, states, timeoutMs = 20_000) {
      return waitFor(
        async () => {
          const response = await app.call('GET', `/v1/notifications/${logId}`);
          if (response.statusCode !== 200) return undefined;
          const detail = response.json() as NotificationDetail;
          return states.includes(detail.state) ? detail : undefined;
        },
        { timeoutMs, intervalMs: 25, what: `notification ${logId} to reach ${states.join('|')}` },
      );
    },
    async sourceSummary(logId) {
      const { rows } = await db.query<{ ai_summary: Record<string, unknown> | null }>(`SELECT ai_summary FROM ${schema}.class_change_logs WHERE log_id = $1`, [logId]);
      return rows[0]?.ai_summary ?? null;
    },
    async close() {
      await app.close();
      await mailTransport.close();
      await sourceDb?.close();
      await ai.close();
      await smtp.stop();
      await rm(outboxDir, { recursive: true, force: true });
    },
  };
  return pipeline;
}

/** The raw text of every action's args and log lines: where personal data must never be. */
export async function actionTexts(db: Database): Promise<string> {
  const args = await db.query<{ args: string }>(`SELECT args FROM ${db.schema}.actions`);
  const logs = await db.query<{ message: string }>(`SELECT message FROM ${db.schema}.action_logs`);
  return [...args.rows.map((row) => row.args), ...logs.rows.map((row) => row.message)].join('\n');
}
