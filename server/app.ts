import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { actionRoutes } from './actions/routes.ts';
import { createActionStore, type ActionStore } from './actions/store.ts';
import type { Config } from './config.ts';
import { migrationsApplied } from './db/migrator.ts';
import type { Database } from './db/port.ts';
import { createEvents, type SidecarEvents } from './events.ts';
import { authPlugin } from './http/auth.ts';
import { errorHandlerPlugin } from './http/error-handler.ts';
import { healthRoutes } from './http/health-routes.ts';
import { registerJsonBodyParser } from './http/json-body.ts';
import { registerOpenApi } from './http/openapi.ts';
import { registerRateLimit } from './http/rate-limit.ts';
import { createReadiness, type Readiness } from './http/readiness.ts';
import { registerValidators } from './http/validation.ts';
import { createHookPolicies, type HookPolicies } from './runner/hook-policies.ts';
import { lockRoutes } from './locks/routes.ts';
import { createLockStore, type LockStore } from './locks/store.ts';

export const BODY_LIMIT = 1024 * 1024;

/** Everything the application needs from outside; it reads no environment and opens no socket. */
export interface AppDeps {
  config: Config;
  db: Database;
  apiToken: string;
  logger?: FastifyBaseLogger;
  events?: SidecarEvents;
  policies?: HookPolicies;
  readiness?: Readiness;
}

/** The parts a caller (main.ts, tests) may need after building. */
export interface AppParts {
  events: SidecarEvents;
  policies: HookPolicies;
  readiness: Readiness;
  actions: ActionStore;
  locks: LockStore;
}

declare module 'fastify' {
  interface FastifyInstance {
    sidecar: AppParts;
  }
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, db } = deps;
  const events = deps.events ?? createEvents();
  const policies = deps.policies ?? createHookPolicies(config);
  const readiness = deps.readiness ?? createReadiness();
  const actions = createActionStore({ db, events });
  const locks = createLockStore(db);

  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    bodyLimit: BODY_LIMIT,
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { ignoreTrailingSlash: true },
  });
  app.decorate('sidecar', { events, policies, readiness, actions, locks });

  registerValidators(app);
  registerJsonBodyParser(app);
  await app.register(errorHandlerPlugin);
  await registerOpenApi(app, { metricsPublic: config.metricsPublic });

  // One log line per request, without the query string (it can carry args).
  app.addHook('onResponse', async (request, reply) => {
    request.log.info({ method: request.method, path: request.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  readiness.register('database', async () => {
    await db.query('SELECT 1');
    return { status: 'ok' };
  });
  readiness.register('migrations', async () => ((await migrationsApplied(db)) ? { status: 'ok' } : { status: 'fail', detail: 'migrations are not applied' }));

  await app.register(healthRoutes, { readiness });

  await app.register(async (v1) => {
    await v1.register(authPlugin, { token: deps.apiToken });
    await registerRateLimit(v1, { max: config.rateLimitMax, windowSeconds: config.rateLimitWindowSeconds });
    await v1.register(actionRoutes, { prefix: '/v1/actions', store: actions, policies });
    await v1.register(lockRoutes, { prefix: '/v1/locks', store: locks });
  });

  return app;
}
