import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type { Registry } from 'prom-client';
import type { ActionStore } from '../actions/store.ts';
import type { Config } from '../config.ts';
import type { Database, ListenHandle } from '../db/port.ts';
import type { SidecarEvents } from '../events.ts';
import type { HookPolicies } from '../hook-policies.ts';
import type { Readiness } from '../http/readiness.ts';
import type { LockStore } from '../locks/store.ts';
import type { HandlerLogger, HandlerRegistry } from '../runner/handlers.ts';
import { checkAi } from './ai-health.ts';
import type { NotificationClients } from './clients.ts';
import { createCursorStore, type CursorStore } from './cursor.ts';
import { CLASS_CHANGE_CHANNEL, provisionDemoSource } from './demo-source.ts';
import { createEmailHandler } from './emailer.ts';
import { createEnrichHandler } from './enricher.ts';
import './events.ts';
import { createLedger } from './ledger.ts';
import { registerNotificationMetrics } from './metrics.ts';
import { createNotificationStore, type NotificationStore } from './notification-store.ts';
import { startProcessTimer, type ProcessTimer } from './process-timer.ts';
import { createProcessor, type Processor } from './processor.ts';
import { notificationRoutes } from './routes.ts';
import { mailDomainOf, type SchedulingDeps } from './scheduling.ts';
import { DEFAULT_BATCH_LIMIT } from './schemas.ts';
import { createSettingsStore, type SettingsStore } from './settings.ts';
import { createSmtpHealth } from './smtp-health.ts';
import { createSourceTable, type SourceTable } from './source.ts';
import { createTransitions } from './transitions.ts';

/**
 * The notification pipeline as a named Fastify plugin, registered once by buildApp: its handlers go
 * into the runner's registry (with their retry, concurrency and retention defaults), its readiness
 * checks and metrics are added, and `app.notifications` is decorated with the parts the routes and
 * tests use. The processor's timer and the LISTEN on the source trigger's channel start once the app
 * listens, in a process that runs actions. The routes are a plugin of their own, which buildApp mounts
 * in its authenticated /v1 context. The network clients come in the options: buildApp's caller made
 * them and closes them.
 */

export interface NotificationsPluginOptions {
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
  clients: NotificationClients;
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

/** Notifications and their deliveries are kept this long after they finished. */
export const NOTIFICATION_RETENTION_DAYS = 90;

function logFor(log: FastifyBaseLogger): HandlerLogger {
  return {
    info: (details: object, message: string) => log.info(details, message),
    warn: (details: object, message: string) => log.warn(details, message),
    error: (details: object, message: string) => log.error(details, message),
  };
}

/** The pipeline's stores and services, built once from the options. */
interface Pipeline {
  source: SourceTable;
  settings: SettingsStore;
  cursor: CursorStore;
  processor: Processor;
  store: NotificationStore;
}

function buildPipeline(options: NotificationsPluginOptions): Pipeline {
  const { config, db, events, policies, actions, readiness, clients } = options;
  const source = createSourceTable({ db, sourceDb: clients.sourceDb, table: config.sourceTable });
  const settings = createSettingsStore({ db, config });
  const cursor = createCursorStore({ db, source, startLogId: config.notifyStartLogId });
  const ledger = createLedger(db);
  const transitions = createTransitions(db.schema);
  const scheduling: SchedulingDeps = { schema: db.schema, source, policies, mailDomain: mailDomainOf(config.mailFrom), transitions, enqueueIn: (tx, items) => actions.enqueueIn(tx, items) };
  const announce = actions.announce.bind(actions);
  const openaiApiKey = config.openaiApiKey;
  const processor = createProcessor({ db, source, settings, locks: options.locks, cursor, scheduling, announce, openaiApiKey });
  const store = createNotificationStore({ db, source, settings, ledger, scheduling, announce, openaiApiKey });
  if (config.notificationsEnabled) {
    const transport = clients.mailTransport;
    const smtpHealth = createSmtpHealth(transport.mode);
    for (const handler of [
      createEnrichHandler({ db, source, settings, scheduling, announce, events, openaiApiKey, summarizerFor: (model) => clients.summarizerFor(model) }),
      createEmailHandler({ db, source, ledger, transitions, scheduling, transport, smtpHealth, events, settings, announce }),
    ]) {
      if (options.handlers.get(handler.hook) === undefined) options.handlers.register(handler);
      if (handler.defaults !== undefined) policies.declare(handler.hook, handler.defaults);
    }
    readiness.register('source_table', async () => {
      const status = await source.status();
      return status.available ? { status: 'ok', detail: status.detail } : { status: 'fail', detail: status.detail };
    });
    readiness.register('smtp', () => smtpHealth.check());
    readiness.register('ai', () => checkAi(settings, openaiApiKey));
  }
  return { source, settings, cursor, processor, store };
}

/** The processor's timer (with retention) and the LISTEN on the source trigger's channel. */
function createBackground(options: NotificationsPluginOptions, pipeline: Pipeline, log: HandlerLogger) {
  const { config, db, events } = options;
  const { source, cursor, processor, store } = pipeline;
  let timer: ProcessTimer | null = null;
  let listener: ListenHandle | null = null;
  let started = false;

  const start = async (startOptions: { provisionDemoSource?: boolean } = {}): Promise<void> => {
    if (started || !config.notificationsEnabled || !options.runsActions) return;
    started = true;
    if (startOptions.provisionDemoSource === true) {
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
        const deleted = await store.prune(NOTIFICATION_RETENTION_DAYS);
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

  const stop = async (): Promise<void> => {
    await listener?.close();
    await timer?.stop();
  };
  return { start, stop };
}

const notifications: FastifyPluginAsync<NotificationsPluginOptions> = async (app, options) => {
  const { config, db, events } = options;
  const log = logFor(app.log);
  const pipeline = buildPipeline(options);
  const background = createBackground(options, pipeline, log);
  const stopMetrics = registerNotificationMetrics({ registry: options.metrics, events });

  app.addHook('onListen', async () => {
    // The embedded default is for trying things out and for development: give it WeCoza's tables and
    // trigger, so a class change in it is notified like one in WeCoza's database.
    const embeddedDefault = db.kind === 'pglite' && config.databaseUrl === null && config.sourceDatabaseUrl === null;
    await background.start({ provisionDemoSource: embeddedDefault });
  });
  app.addHook('onClose', async () => {
    await background.stop();
    stopMetrics();
  });

  const { processor, settings, cursor, store, source } = pipeline;
  const routes: FastifyPluginAsync = async (scope) => {
    await scope.register(notificationRoutes, { enabled: config.notificationsEnabled, processor, settings, cursor, notifications: store, source });
  };
  app.decorate('notifications', { routes, processor, source, store, startBackground: background.start });
};

/** Named, and lifted to the root (fastify-plugin): `app.notifications` and its hooks belong to the app. */
export const notificationsPlugin = fp(notifications, { name: 'wecoza-notifications', fastify: '5.x' });
