import path from 'node:path';
import type { FastifyBaseLogger, FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import type { ActionStore } from '../actions/store.ts';
import type { Config } from '../config.ts';
import { createPgDatabase } from '../db/pg-adapter.ts';
import type { Database, ListenHandle } from '../db/port.ts';
import type { SidecarEvents } from '../events.ts';
import type { Readiness } from '../http/readiness.ts';
import type { LockStore } from '../locks/store.ts';
import type { HandlerRegistry } from '../runner/handlers.ts';
import type { HookPolicies } from '../hook-policies.ts';
import { checkAi } from './ai-health.ts';
import { createCursorStore } from './cursor.ts';
import { CLASS_CHANGE_CHANNEL, provisionDemoSource } from './demo-source.ts';
import { createEmailHandler } from './emailer.ts';
import { createEnrichHandler } from './enricher.ts';
import './events.ts';
import { createLedger } from './ledger.ts';
import { createMailTransport, type MailTransport } from './mail-transport.ts';
import { registerNotificationMetrics } from './metrics.ts';
import { createNotificationStore, type NotificationStore } from './notification-store.ts';
import { createSummarizer, type Summarizer } from './openai-summarizer.ts';
import { startProcessTimer, type ProcessTimer } from './process-timer.ts';
import { createProcessor, type Processor } from './processor.ts';
import { notificationRoutes } from './routes.ts';
import { mailDomainOf, type SchedulingDeps } from './scheduling.ts';
import { DEFAULT_BATCH_LIMIT } from './schemas.ts';
import { createSettingsStore } from './settings.ts';
import { createSmtpHealth } from './smtp-health.ts';
import { createSourceTable, type SourceTable } from './source.ts';
import { createTransitions } from './transitions.ts';

/**
 * The notification pipeline's wiring, called once by buildApp: handlers into the runner's registry
 * (with their retry, concurrency and retention defaults), readiness checks, metrics, the processor's
 * timer and the LISTEN on the source trigger's channel (both only in a process that runs actions, and
 * only once it serves), and the routes, which buildApp mounts in its authenticated /v1 context.
 */

/** Outbound clients; tests replace them (shorter timeouts), production builds them from config. */
export interface NotificationClients {
  summarizerFor(model: string): Summarizer;
  mailTransport: MailTransport;
}

export interface NotificationsParams {
  app: FastifyInstance;
  config: Config;
  db: Database;
  events: SidecarEvents;
  policies: HookPolicies;
  actions: ActionStore;
  locks: LockStore;
  readiness: Readiness;
  handlers: HandlerRegistry;
  metrics: Registry;
  /** False for SIDECAR_ROLE=api: no handlers run here, so no timer and no LISTEN either. */
  runsActions: boolean;
  clients?: Partial<NotificationClients>;
}

export interface Notifications {
  /** Mount under /v1/notifications inside the authenticated context. */
  routes: FastifyPluginAsync;
  processor: Processor;
  source: SourceTable;
  store: NotificationStore;
  /**
   * Start the timer and the LISTEN now. A served process does this on listen, and on the embedded
   * default it first creates the demo source (`provisionDemoSource`); tests call it without.
   */
  startBackground(options?: { provisionDemoSource?: boolean }): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    notifications: Notifications | null;
  }
}

const SOURCE_POOL_SIZE = 4;

function summarizerCache(config: Config): (model: string) => Summarizer {
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

function logFor(log: FastifyBaseLogger) {
  return {
    info: (details: object, message: string) => log.info(details, message),
    warn: (details: object, message: string) => log.warn(details, message),
    error: (details: object, message: string) => log.error(details, message),
  };
}

export function registerNotifications(params: NotificationsParams): Notifications {
  const { app, config, db, events, policies, actions, readiness } = params;
  const log = logFor(app.log);
  const sourceDb = config.sourceDatabaseUrl === null
    ? null
    : createPgDatabase({ connectionString: config.sourceDatabaseUrl, schema: 'public', poolSize: SOURCE_POOL_SIZE, applicationName: 'wecoza-sidecar-source', onError: (error) => log.warn({ err: error }, 'source database connection error') });
  const source = createSourceTable({ db, sourceDb, table: config.sourceTable });
  const settings = createSettingsStore({ db, config });
  const cursor = createCursorStore({ db, source, startLogId: config.notifyStartLogId });
  const ledger = createLedger(db);
  const mailDomain = mailDomainOf(config.mailFrom);
  const transitions = createTransitions(db.schema);
  const scheduling: SchedulingDeps = { schema: db.schema, source, policies, mailDomain, transitions, enqueueIn: (tx, items) => actions.enqueueIn(tx, items) };
  const announce = actions.announce.bind(actions);
  const transport = params.clients?.mailTransport
    ?? createMailTransport({ ...(config.smtpUrl !== null ? { smtpUrl: config.smtpUrl } : {}), outboxDir: path.join(config.dataDir, 'outbox'), from: config.mailFrom });
  const smtpHealth = createSmtpHealth(transport.mode);
  const summarizerFor = params.clients?.summarizerFor ?? summarizerCache(config);
  const processor = createProcessor({ db, source, settings, locks: params.locks, cursor, scheduling, announce, openaiApiKey: config.openaiApiKey });
  const notifications = createNotificationStore({ db, source, settings, ledger, scheduling, announce, openaiApiKey: config.openaiApiKey });

  const enabled = config.notificationsEnabled;
  if (enabled) {
    for (const handler of [
      createEnrichHandler({ db, source, settings, scheduling, announce, events, openaiApiKey: config.openaiApiKey, summarizerFor }),
      createEmailHandler({ db, source, ledger, transitions, scheduling, transport, smtpHealth, events, settings, announce }),
    ]) {
      if (params.handlers.get(handler.hook) === undefined) params.handlers.register(handler);
      if (handler.defaults !== undefined) policies.declare(handler.hook, handler.defaults);
    }
    readiness.register('source_table', async () => {
      const status = await source.status();
      return status.available ? { status: 'ok', detail: status.detail } : { status: 'fail', detail: status.detail };
    });
    readiness.register('smtp', () => smtpHealth.check());
    readiness.register('ai', () => checkAi(settings, config.openaiApiKey));
  }
  const stopMetrics = registerNotificationMetrics({ registry: params.metrics, events });

  let timer: ProcessTimer | null = null;
  let listener: ListenHandle | null = null;
  let started = false;
  const startBackground = async (options: { provisionDemoSource?: boolean } = {}): Promise<void> => {
    if (started || !enabled || !params.runsActions) return;
    started = true;
    if (options.provisionDemoSource === true) {
      if (await provisionDemoSource(db, config.sourceTable)) log.info({ table: source.name }, 'created the demo classes table, class_change_logs and its trigger');
    }
    // The first start is now: set the cursor before any change is looked at, so a row written between
    // start and the first pass (and woken by its NOTIFY) is new, not history.
    if ((await source.status(true).catch(() => null))?.available === true) await cursor.ensure().catch(() => undefined);
    timer = startProcessTimer({
      processor,
      intervalMs: config.notifyProcessIntervalSeconds * 1000,
      batchLimit: DEFAULT_BATCH_LIMIT,
      log,
      onPass: (reply) =>
        events.emit('notification:processed', { scanned: reply.scanned, enrichScheduled: reply.enrich_scheduled, emailScheduled: reply.email_scheduled, skipped: reply.skipped, elapsedMs: reply.elapsed_ms }),
      maintenance: async () => {
        const deleted = await notifications.prune(NOTIFICATION_RETENTION_DAYS);
        if (deleted > 0) log.info({ deleted }, 'old notifications deleted');
      },
    });
    const nudge = timer.nudge;
    // Best effort: without LISTEN (a pooler in transaction mode, say) the timer still runs.
    listener = await source.db
      .listen(CLASS_CHANGE_CHANNEL, { onNotify: () => nudge(), onReconnect: () => nudge() })
      .catch((error: unknown) => {
        log.warn({ err: error }, `could not LISTEN on ${CLASS_CHANGE_CHANNEL}; changes are picked up by the timer`);
        return null;
      });
  };

  app.addHook('onListen', async () => {
    // The embedded default is for trying things out and for development: give it WeCoza's tables and
    // trigger, so a class change in it is notified like one in WeCoza's database.
    const embeddedDefault = db.kind === 'pglite' && config.databaseUrl === null && config.sourceDatabaseUrl === null;
    await startBackground({ provisionDemoSource: embeddedDefault });
  });
  app.addHook('onClose', async () => {
    await listener?.close();
    await timer?.stop();
    stopMetrics();
    await transport.close();
    await sourceDb?.close();
  });

  const routes: FastifyPluginAsync = async (scope) => {
    await scope.register(notificationRoutes, { enabled, processor, settings, cursor, notifications, source });
  };
  const handle: Notifications = { routes, processor, source, store: notifications, startBackground };
  app.decorate('notifications', handle);
  return handle;
}

/** Notifications and their deliveries are kept this long after they finished. */
export const NOTIFICATION_RETENTION_DAYS = 90;
