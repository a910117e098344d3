import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { buildApp } from './app.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { ensureActionIdFloor } from './db/action-id-range.ts';
import { migrate } from './db/migrator.ts';
import { DataDirLockedError, openDatabase, type OpenedDatabase } from './db/open.ts';
import type { Database } from './db/port.ts';
import { resolveApiToken, type ResolvedToken } from './http/api-token.ts';
import { createMetricsRegistry } from './http/metrics.ts';
import { createNotificationClients, type OwnedNotificationClients } from './notifications/clients.ts';
import { createHandlerRegistry, type HandlerRegistry } from './runner/handlers.ts';
import type { RunnerTimings } from './runner/runner.ts';

/**
 * The process lifecycle, shared by `main.ts` and the e2e tests' entry (which adds test handlers):
 * config → database → migrations → app → listen → runner; and the way back on a signal.
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

function banner(config: Config, address: string, database: string, token: ResolvedToken): string {
  const lines = [
    '',
    'WeCoza Sidecar is running',
    `  API        ${address}/v1`,
    `  Docs       ${address}/docs`,
    `  Database   ${database}`,
    `  Role       ${config.role}${config.role === 'api' ? ' (serves HTTP, runs no action)' : config.role === 'worker' ? ' (runs actions; serves only health and metrics)' : ''}`,
    token.generated
      ? `  API token  ${token.token}\n             (generated now and stored in ${token.source}; it is printed only this once)`
      : `  API token  from ${token.source}`,
    '',
  ];
  return lines.join('\n');
}

/** Throws ConfigError or DataDirLockedError for the caller to turn into an exit code. */
export async function startSidecar(options: StartOptions = {}): Promise<RunningSidecar> {
  const config = loadConfig(options.env ?? process.env);
  const logger = pino({ level: config.logLevel, base: { service: 'wecoza-sidecar' } });
  const opened: OpenedDatabase = await openDatabase(config, (error) => logger.warn({ err: error }, 'database connection error'));
  const { db } = opened;
  let clients: OwnedNotificationClients | null = null;
  try {
    const { applied } = await migrate(db);
    if (applied.length > 0) logger.info({ applied }, 'migrations applied');
    await ensureActionIdFloor(db, config.actionIdFloor);

    const token = await resolveApiToken(config);
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
    const address = await app.listen({ port: config.port, host: config.host });
    // The runner starts after migrations and after the port is bound: a process that cannot serve
    // its health checks should not be taking work either.
    await app.sidecar.runner?.start();
    process.stdout.write(`${banner(config, address, opened.description, token)}\n`);

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
  process.stderr.write(`The sidecar could not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
}
