import path from 'node:path';
import type { Config } from '../config.ts';
import { createPgDatabase } from '../db/pg-adapter.ts';
import type { Database } from '../db/port.ts';
import type { HandlerLogger } from '../runner/handlers.ts';
import { createMailTransport, type MailTransport } from './mail-transport.ts';
import { createSummarizer, type Summarizer } from './openai-summarizer.ts';

/**
 * The pipeline's network clients: the source database's pool (SOURCE_DATABASE_URL), the SMTP
 * transport and the OpenAI clients. start.ts (and the scripts) create them and close them after the
 * app; buildApp only receives them, so it opens no socket and tests hand in fakes.
 */
export interface NotificationClients {
  /** WeCoza's database when it is not the sidecar's; null reads the source table in the sidecar's. */
  sourceDb: Database | null;
  mailTransport: MailTransport;
  /** One summarizer (one `openai` client, keeping its connections) per model. */
  summarizerFor(model: string): Summarizer;
}

export interface OwnedNotificationClients extends NotificationClients {
  /** Close the pool and the SMTP connections (after the app closed: its handlers used them). */
  close(): Promise<void>;
}

const SOURCE_POOL_SIZE = 4;

export function createSourceDatabase(config: Pick<Config, 'sourceDatabaseUrl'>, log: Pick<HandlerLogger, 'warn'>): Database | null {
  if (config.sourceDatabaseUrl === null) return null;
  return createPgDatabase({
    connectionString: config.sourceDatabaseUrl,
    schema: 'public',
    poolSize: SOURCE_POOL_SIZE,
    applicationName: 'wecoza-sidecar-source',
    onError: (error) => log.warn({ err: error }, 'source database connection error'),
  });
}

/** SMTP when SMTP_URL is set, else `.eml` files under DATA_DIR/outbox. */
export function createConfiguredMailTransport(config: Pick<Config, 'smtpUrl' | 'dataDir' | 'mailFrom'>): MailTransport {
  return createMailTransport({ ...(config.smtpUrl !== null ? { smtpUrl: config.smtpUrl } : {}), outboxDir: path.join(config.dataDir, 'outbox'), from: config.mailFrom });
}

function summarizersFor(config: Pick<Config, 'openaiApiKey' | 'openaiBaseUrl'>): (model: string) => Summarizer {
  const byModel = new Map<string, Summarizer>();
  return (model) => {
    let summarizer = byModel.get(model);
    if (summarizer === undefined) {
      summarizer = createSummarizer({ apiKey: config.openaiApiKey ?? '', model, ...(config.openaiBaseUrl !== null ? { baseURL: config.openaiBaseUrl } : {}) });
      byModel.set(model, summarizer);
    }
    return summarizer;
  };
}

/** The clients the configuration asks for (what `npm start` runs with). */
export function createNotificationClients(config: Config, log: Pick<HandlerLogger, 'warn'>): OwnedNotificationClients {
  const sourceDb = createSourceDatabase(config, log);
  const mailTransport = createConfiguredMailTransport(config);
  return {
    sourceDb,
    mailTransport,
    summarizerFor: summarizersFor(config),
    async close() {
      await mailTransport.close();
      await sourceDb?.close();
    },
  };
}

/**
 * What buildApp uses when it is handed no clients: nothing that can open a socket. A configuration
 * that needs one (a source database, SMTP, OpenAI) is a mistake of the caller, said at once.
 */
export function unconnectedNotificationClients(config: Config): NotificationClients {
  const needs = [
    config.sourceDatabaseUrl !== null ? 'SOURCE_DATABASE_URL' : null,
    config.smtpUrl !== null ? 'SMTP_URL' : null,
    config.openaiApiKey !== null ? 'OPENAI_API_KEY' : null,
  ].filter((name) => name !== null);
  if (config.notificationsEnabled && needs.length > 0) {
    throw new Error(`buildApp opens no connection: with ${needs.join(', ')} set, pass notificationClients (createNotificationClients)`);
  }
  return {
    sourceDb: null,
    mailTransport: createConfiguredMailTransport(config),
    summarizerFor: () => {
      throw new Error('no OpenAI client was passed to buildApp');
    },
  };
}
