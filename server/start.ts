import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { pino, type Logger } from 'pino';
import { buildApp } from './app.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { ensureActionIdFloor } from './db/action-id-range.ts';
import { migrate } from './db/migrator.ts';
import { DataDirLockedError, openDatabase, type OpenedDatabase } from './db/open.ts';
import type { Database } from './db/port.ts';
import { SQLSTATE, sqlState } from './db/sqlstate.ts';
import { resolveApiToken, type ResolvedToken } from './http/api-token.ts';
import { createMetricsRegistry } from './http/metrics.ts';
import { createNotificationClients, type OwnedNotificationClients } from './notifications/clients.ts';
import type { PauseStore } from './pauses/store.ts';
import { createHandlerRegistry, type HandlerRegistry } from './runner/handlers.ts';
import type { RunnerTimings } from './runner/runner.ts';
import { explainListenError, explainPostgresError, StartError } from './start-errors.ts';

/**
 * The process lifecycle, shared by `main.ts` and the e2e tests' entry (which adds test handlers):
 * config → token → port check → database → migrations → app → listen → runner; and the way back on a signal.
 */
export interface StartOptions {
  env?: Record<string, string | undefined>;
  /** Register built-in handlers before the app is built (their defaults shape enqueue and claims). */
  registerHandlers?(registry: HandlerRegistry, context: { config: Config; db: Database; logger: Logger }): void | Promise<void>;
  runnerTimings?: Partial<RunnerTimings>;
}

export interface RunningSidecar {
  config: Config;
  app: FastifyInstance;
  address: string;
  logger: Logger;
  /** Stop claiming, let handlers finish within SHUTDOWN_GRACE_SECONDS, give the rest back, close. */
  stop(): Promise<void>;
}

/** The banner's pause line: what holds work back in every process sharing the database. */
async function describePauses(pauses: PauseStore): Promise<string> {
  const until = (ms: number | null): string => (ms === null ? 'until resumed' : `until ${new Date(ms).toISOString()}`);
  const [runner, hooks] = await Promise.all([pauses.runnerPause(), pauses.hookPauses()]);
  const parts: string[] = [];
  if (runner !== null) parts.push(`RUNNER PAUSED ${until(runner.untilMs)} (POST /v1/runner/resume)`);
  const shown = hooks.slice(0, 5).map((pause) => `${pause.hook} ${until(pause.untilMs)}`);
  if (hooks.length > 0) parts.push(`hooks paused: ${shown.join(', ')}${hooks.length > shown.length ? `, and ${hooks.length - shown.length} more (GET /v1/hooks)` : ''}`);
  return parts.length === 0 ? 'none' : parts.join('; ');
}

function banner(config: Config, address: string, database: string, token: ResolvedToken, pauses: string): string {
  const lines = [
    '',
    'WeCoza Sidecar is running',
    `  API        ${address}/v1`,
    `  Docs       ${address}/docs`,
    `  Database   ${database}`,
    `  Role       ${config.role}${config.role === 'api' ? ' (serves HTTP, runs no action)' : config.role === 'worker' ? ' (runs actions; serves only health and metrics)' : ''}`,
    token.generated ? `  API token  generated on this start (printed above) and stored in ${token.source}` : `  API token  from ${token.source}`,
    `  Pauses     ${pauses}`,
    '',
  ];
  return lines.join('\n');
}

/** Printed the moment a token is generated: a start that fails later must not lose it. */
function generatedTokenNotice(token: ResolvedToken): string {
  return `\nAPI token  ${token.token}\n           (generated now and stored in ${token.source}; it is printed only on this start)\n`;
}

/**
 * Bind HOST:PORT for a moment before the database is touched, so a port in use stops the start before
 * migrations run. The real listen comes later (the app needs the database first); a process that takes
 * the port in between still gets the same explained error.
 */
async function checkPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen({ host, port, exclusive: true }, resolve);
    });
  } catch (error) {
    throw explainListenError(error, host, port) ?? error;
  } finally {
    await new Promise<void>((resolve) => (probe.listening ? probe.close(() => resolve()) : resolve()));
  }
}

/** Run one start-up phase; a PostgreSQL failure in it comes back naming its variable and the fix. */
async function inPhase<T>(config: Config, fn: () => Promise<T>, whoAmI?: () => Promise<string | undefined>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (config.databaseUrl === null) throw error;
    const role = sqlState(error) === SQLSTATE.INSUFFICIENT_PRIVILEGE ? await whoAmI?.().catch(() => undefined) : undefined;
    throw explainPostgresError(error, { variable: 'DATABASE_URL', url: config.databaseUrl, role }, config.schema) ?? error;
  }
}

/** SOURCE_DATABASE_URL, when set, is reached once at start: a wrong URL is a start error, not a 503 later. */
async function checkSourceDatabase(config: Config): Promise<void> {
  if (config.sourceDatabaseUrl === null || !config.notificationsEnabled) return;
  const client = new pg.Client({ connectionString: config.sourceDatabaseUrl, connectionTimeoutMillis: 5_000, application_name: 'wecoza-sidecar-start' });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw explainPostgresError(error, { variable: 'SOURCE_DATABASE_URL', url: config.sourceDatabaseUrl }, config.schema) ?? error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Throws ConfigError, StartError (a fixable setting, named) or DataDirLockedError for the caller to
 * turn into an exit code. Each phase logs one line as it begins or ends.
 */
export async function startSidecar(options: StartOptions = {}): Promise<RunningSidecar> {
  const config = loadConfig(options.env ?? process.env);
  const logger = pino({ level: config.logLevel, base: { service: 'wecoza-sidecar' } });
  const token = await resolveApiToken(config);
  if (token.generated) process.stdout.write(generatedTokenNotice(token));
  await checkPortFree(config.host, config.port);

  logger.info({ phase: 'database' }, 'opening the database');
  const opened: OpenedDatabase = await openDatabase(config, (error) => logger.warn({ err: error }, 'database connection error'));
  const { db } = opened;
  const whoAmI = async (): Promise<string | undefined> => (await db.query<{ role: string }>('SELECT current_user AS role')).rows[0]?.role;
  let clients: OwnedNotificationClients | null = null;
  try {
    await inPhase(config, () => db.query('SELECT 1'));
    logger.info({ phase: 'database', database: opened.description }, 'database open');
    await checkSourceDatabase(config);

    logger.info({ phase: 'migrations' }, 'applying migrations');
    const { applied } = await inPhase(config, () => migrate(db), whoAmI);
    logger.info({ phase: 'migrations', applied }, applied.length > 0 ? 'migrations applied' : 'migrations up to date');
    await ensureActionIdFloor(db, config.actionIdFloor);

    const handlers = createHandlerRegistry();
    await options.registerHandlers?.(handlers, { config, db, logger });
    // The network clients are made here, not in buildApp, and closed after the app that used them.
    clients = createNotificationClients(config, logger);
    const app = await buildApp({
      config,
      db,
      apiToken: token.token,
      logger,
      handlers,
      metrics: createMetricsRegistry({ processMetrics: true }),
      notificationClients: clients,
      ...(options.runnerTimings ? { runnerTimings: options.runnerTimings } : {}),
    });
    let address: string;
    try {
      address = await app.listen({ port: config.port, host: config.host, listenTextResolver: (at) => `listening at ${at}` });
    } catch (error) {
      await app.close().catch(() => undefined);
      throw explainListenError(error, config.host, config.port) ?? error;
    }
    // The runner starts after migrations and after the port is bound: a process that cannot serve
    // its health checks should not be taking work either.
    await app.sidecar.runner?.start();
    if (app.sidecar.runner) logger.info({ phase: 'runner', worker: app.sidecar.runner.workerId }, 'runner started');
    const pauses = await describePauses(app.sidecar.pauses).catch((error: unknown) => `could not be read (${error instanceof Error ? error.message : String(error)})`);
    process.stdout.write(`${banner(config, address, opened.description, token, pauses)}\n`);

    let stopping: Promise<void> | null = null;
    const stop = (): Promise<void> =>
      (stopping ??= (async () => {
        await app.sidecar.runner?.stop(config.shutdownGraceSeconds * 1000);
        await app.close();
        await clients?.close();
        await opened.close();
      })());
    return { config, app, address, logger, stop };
  } catch (error) {
    await clients?.close().catch(() => undefined);
    await opened.close().catch(() => undefined);
    throw error;
  }
}

/** SIGTERM/SIGINT: stop gracefully, exit 0; a shutdown past grace + 10 s exits 1. */
export function stopOnSignals(sidecar: RunningSidecar): void {
  const onSignal = (signal: string): void => {
    sidecar.logger.info({ signal }, 'shutting down');
    const hardStop = setTimeout(() => {
      sidecar.logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, (sidecar.config.shutdownGraceSeconds + 10) * 1000);
    hardStop.unref();
    sidecar.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        sidecar.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
}

/**
 * Turn a start-up failure into a message and an exit code: 2 for configuration, 3 when the embedded
 * data directory is in use by another process, 1 for anything else.
 */
export function exitOnStartFailure(error: unknown): never {
  if (error instanceof ConfigError) {
    process.stderr.write(`Configuration error: ${error.message}\n`);
    process.exit(2);
  }
  if (error instanceof DataDirLockedError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(3);
  }
  if (error instanceof StartError) {
    process.stderr.write(`The sidecar could not start: ${error.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`The sidecar could not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
}
