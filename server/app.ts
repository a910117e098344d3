import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { actionRoutes } from './actions/routes.ts';
import { createActionStore, type ActionStore } from './actions/store.ts';
import type { Config } from './config.ts';
import { migrationsApplied } from './db/migrator.ts';
import type { Database } from './db/port.ts';
import { createEvents, type SidecarEvents } from './events.ts';
import { authPlugin } from './http/auth.ts';
import { createAuthThrottle } from './http/auth-throttle.ts';
import { createClientErrorHandler, errorHandlerPlugin, frameworkErrorHandler } from './http/error-handler.ts';
import { healthRoutes } from './http/health-routes.ts';
import { createHttpGuardMetrics, guardConnections } from './http/connection-guard.ts';
import { createMetricsRegistry, metricsRoutes } from './http/metrics.ts';
import { registerJsonBodyParser } from './http/json-body.ts';
import { registerOpenApi } from './http/openapi.ts';
import { registerRateLimit } from './http/rate-limit.ts';
import { registerQueryEncodingCheck } from './http/request-guards.ts';
import { buildRawJsonSerializer } from './http/serializer.ts';
import { createReadiness, type Readiness } from './http/readiness.ts';
import { registerValidators } from './http/validation.ts';
import { createHandlerRegistry, type HandlerRegistry } from './runner/handlers.ts';
import { createHookPolicies, type HookPolicies } from './hook-policies.ts';
import { createCallbackReadinessCheck } from './runner/callback-readiness.ts';
import { registerRunnerMetrics } from './runner/metrics.ts';
import { createQueueDepth } from './runner/queue-depth.ts';
import { runnerRoutes } from './runner/routes.ts';
import { createRunner, type Runner, type RunnerTimings } from './runner/runner.ts';
import { startWakeNotifier, wakeChannelFor } from './runner/wakeups.ts';
import { lockRoutes } from './locks/routes.ts';
import { unconnectedNotificationClients, type NotificationClients } from './notifications/clients.ts';
import { notificationsPlugin, type Notifications } from './notifications/plugin.ts';
import { createLockStore, type LockStore } from './locks/store.ts';
import { PROCESS_LOCK_KEY } from './notifications/processor.ts';
import { ENRICH_HOOK } from './notifications/scheduling.ts';
import { statusRoutes } from './status/routes.ts';
import { hookRoutes } from './hooks/routes.ts';
import { registerPauseMetrics } from './pauses/metrics.ts';
import { runnerPauseRoutes } from './pauses/routes.ts';
import { createPauseStore, type PauseStore } from './pauses/store.ts';
import { createStatusReporter } from './status/status.ts';

export const BODY_LIMIT = 1024 * 1024;
/**
 * Longer than any path parameter a schema accepts (191 characters), so the schema answers 400 with the
 * limit; past this the router answers 414 `uri_too_long` without looking further.
 */
export const MAX_PARAM_LENGTH = 1000;

/** Everything the application needs from outside; it reads no environment and opens no socket. */
export interface AppDeps {
  config: Config;
  db: Database;
  apiToken: string;
  logger?: FastifyBaseLogger;
  events?: SidecarEvents;
  policies?: HookPolicies;
  readiness?: Readiness;
  /** Built-in handlers; register them before building (their defaults shape enqueue and claims). */
  handlers?: HandlerRegistry;
  /** The process's Prometheus registry; features add their metrics to it. */
  metrics?: Registry;
  /** Tests shorten the runner's timers. */
  runnerTimings?: Partial<RunnerTimings>;
  /**
   * The notification pipeline's network clients (source database, SMTP, OpenAI), made and closed by
   * the caller (start.ts: createNotificationClients). Without them the app has none that can open a
   * socket, and a configuration that needs one is refused.
   */
  notificationClients?: NotificationClients;
}

/** The parts a caller (main.ts, tests) may need after building. */
export interface AppParts {
  events: SidecarEvents;
  policies: HookPolicies;
  readiness: Readiness;
  actions: ActionStore;
  locks: LockStore;
  pauses: PauseStore;
  handlers: HandlerRegistry;
  metrics: Registry;
  /** Null when this process runs no actions (SIDECAR_ROLE=api). Started by start.ts, stopped on close. */
  runner: Runner | null;
}

declare module 'fastify' {
  interface FastifyInstance {
    sidecar: AppParts;
  }
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, db } = deps;
  // A listener that throws must not stop the emitter, and must not vanish either.
  const events = deps.events ?? createEvents((name, error) => deps.logger?.error({ err: error, event: name }, 'event listener failed'));
  const policies = deps.policies ?? createHookPolicies(config);
  const readiness = deps.readiness ?? createReadiness();
  const actions = createActionStore({ db, events });
  const handlers = deps.handlers ?? createHandlerRegistry();
  for (const hook of handlers.hooks()) {
    const defaults = handlers.get(hook)?.defaults;
    if (defaults !== undefined) policies.declare(hook, defaults);
  }
  const metrics = deps.metrics ?? createMetricsRegistry();
  const runner =
    config.role === 'api'
      ? null
      : createRunner({ config, db, events, policies, handlers, ...(deps.logger ? { log: deps.logger } : {}), ...(deps.runnerTimings ? { timings: deps.runnerTimings } : {}) });
  const locks = createLockStore(db);
  const pauses = createPauseStore({ db, events });

  const httpGuard = createHttpGuardMetrics(metrics);
  const requestTimeoutMs = config.requestTimeoutSeconds * 1000;
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    bodyLimit: BODY_LIMIT,
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: frameworkErrorHandler,
    schemaController: { compilersFactory: { buildSerializer: buildRawJsonSerializer } },
    clientErrorHandler: createClientErrorHandler({ onTimeout: httpGuard.requestTimedOut }),
    // A client dripping its headers or body is cut after REQUEST_TIMEOUT_SECONDS; Node checks open
    // connections on an interval (30 s by default), so the check runs every second.
    requestTimeout: requestTimeoutMs,
    http: { headersTimeout: requestTimeoutMs, connectionsCheckingInterval: Math.min(1000, requestTimeoutMs) },
  });
  guardConnections({ server: app.server, maxPerAddress: config.maxConnectionsPerAddress, metrics: httpGuard, log: app.log });
  app.decorate('sidecar', { events, policies, readiness, actions, locks, pauses, handlers, metrics, runner });
  await app.register(notificationsPlugin, {
    config, db, events, policies, actions, locks, readiness, handlers, metrics, runsActions: runner !== null,
    clients: deps.notificationClients ?? unconnectedNotificationClients(config),
  });
  const notifications: Notifications | null = app.notifications;
  if (notifications === null) throw new Error('the notifications plugin did not decorate the app');

  // Every process that enqueues wakes the workers of the others (an API-only one too).
  const stopNotifier =
    db.kind === 'postgres' && !config.pollOnly
      ? startWakeNotifier({ db, events, channel: wakeChannelFor(db.schema), senderId: runner?.workerId ?? `api:${process.pid}`, log: app.log })
      : () => undefined;
  const depth = createQueueDepth({ db });
  const callbackMissing = runner !== null && config.wpCallbackUrl === null;
  const stopRunnerMetrics = registerRunnerMetrics({ registry: metrics, events, depth, waitingForCallback: callbackMissing ? { handledHooks: () => handlers.hooks() } : null });
  registerPauseMetrics({ registry: metrics, pauses });
  const stopPauseLog = events.on('pause:changed', (change) => app.log.info({ ...change }, change.paused ? 'pause set' : 'pause ended'));
  app.addHook('onClose', async () => {
    await runner?.stop();
    stopNotifier();
    stopRunnerMetrics();
    stopPauseLog();
  });

  registerValidators(app);
  registerQueryEncodingCheck(app);
  registerJsonBodyParser(app);
  await app.register(errorHandlerPlugin);
  // A worker serves only health, readiness and metrics.
  if (config.role !== 'worker') await registerOpenApi(app, { metricsPublic: config.metricsPublic });

  // One log line per request, without the query string (it can carry args).
  app.addHook('onResponse', async (request, reply) => {
    request.log.info({ method: request.method, path: request.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  readiness.register('database', async () => {
    await db.query('SELECT 1');
    return { status: 'ok' };
  });
  readiness.register('migrations', async () => ((await migrationsApplied(db)) ? { status: 'ok' } : { status: 'fail', detail: 'migrations are not applied' }));
  if (callbackMissing) readiness.register('wordpress_callback', createCallbackReadinessCheck({ db, handledHooks: () => handlers.hooks() }));

  await app.register(healthRoutes, { readiness });
  const throttle = createAuthThrottle({ perMinute: config.authFailuresPerMinute });
  await app.register(metricsRoutes, { registry: metrics, token: deps.apiToken, public: config.metricsPublic, throttle });
  if (config.role === 'worker') return app;

  await app.register(async (v1) => {
    await v1.register(authPlugin, { token: deps.apiToken, throttle });
    await registerRateLimit(v1, { max: config.rateLimitMax, windowSeconds: config.rateLimitWindowSeconds });
    await v1.register(actionRoutes, { prefix: '/v1/actions', store: actions, policies });
    await v1.register(runnerRoutes, { prefix: '/v1/actions', store: actions, db, events, runner });
    await v1.register(lockRoutes, { prefix: '/v1/locks', store: locks });
    await v1.register(hookRoutes, { prefix: '/v1/hooks', db, policies, pauses });
    await v1.register(runnerPauseRoutes, { prefix: '/v1/runner', pauses });
    await v1.register(notifications.routes, { prefix: '/v1/notifications' });
    const reporter = createStatusReporter({
      db, readiness, depth, notificationsEnabled: config.notificationsEnabled, sourceTable: notifications.source.name, processLockKey: PROCESS_LOCK_KEY, enrichHook: ENRICH_HOOK,
    });
    await v1.register(statusRoutes, { prefix: '/v1/status', reporter });
  });

  return app;
}
