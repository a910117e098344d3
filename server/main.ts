import { pino } from 'pino';
import { buildApp } from './app.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { migrate } from './db/migrator.ts';
import { DataDirLockedError, openDatabase } from './db/open.ts';
import { resolveApiToken, type ResolvedToken } from './http/api-token.ts';

/**
 * Process entry: config → database → migrations → app → listen → signals. The only file that reads the
 * environment (through config.ts), opens sockets and handles signals.
 */

function banner(config: Config, address: string, database: string, token: ResolvedToken): string {
  const lines = [
    '',
    'WeCoza Sidecar is running',
    `  API        ${address}/v1`,
    `  Docs       ${address}/docs`,
    `  Database   ${database}`,
    `  Role       ${config.role}`,
    token.generated
      ? `  API token  ${token.token}\n             (generated now and stored in ${token.source}; it is printed only this once)`
      : `  API token  from ${token.source}`,
    '',
  ];
  return lines.join('\n');
}

async function start(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = pino({ level: config.logLevel, base: { service: 'wecoza-sidecar' } });

  let opened;
  try {
    opened = await openDatabase(config, (error) => logger.warn({ err: error }, 'database connection error'));
  } catch (error) {
    if (error instanceof DataDirLockedError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(3);
    }
    throw error;
  }
  const { db } = opened;
  const { applied } = await migrate(db);
  if (applied.length > 0) logger.info({ applied }, 'migrations applied');

  const token = await resolveApiToken(config);
  const app = await buildApp({ config, db, apiToken: token.token, logger });
  const address = await app.listen({ port: config.port, host: config.host });
  process.stdout.write(`${banner(config, address, opened.description, token)}\n`);

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const hardStop = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, (config.shutdownGraceSeconds + 10) * 1000);
    hardStop.unref();
    try {
      await app.close();
      await opened.close();
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

start().catch((error: unknown) => {
  process.stderr.write(`The sidecar could not start: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
