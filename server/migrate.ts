import { loadConfig } from './config.ts';
import { migrate } from './db/migrator.ts';
import { openDatabase } from './db/open.ts';
import { exitOnStartFailure } from './start.ts';
import { explainPostgresError } from './start-errors.ts';

/**
 * `npm run migrate`: apply the migrations and exit, for deployments that migrate as a separate step
 * with a migration role (docs/production.md) and run the service as a role that creates nothing. It
 * reads the service's environment (the same EnvironmentFile, with the migration role's DATABASE_URL).
 */
try {
  const config = loadConfig();
  const opened = await openDatabase(config);
  try {
    const { applied } = await migrate(opened.db).catch((error: unknown) => {
      throw (config.databaseUrl === null ? null : explainPostgresError(error, { variable: 'DATABASE_URL', url: config.databaseUrl }, config.schema)) ?? error;
    });
    process.stdout.write(applied.length > 0 ? `migrations applied: ${applied.join(', ')}\n` : 'migrations up to date\n');
  } finally {
    await opened.close();
  }
} catch (error) {
  exitOnStartFailure(error);
}
