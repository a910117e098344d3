import { createInterface } from 'node:readline';
import { testConfig } from '../../server/config.ts';
import { migrate } from '../../server/db/migrator.ts';
import { DataDirLockedError, openDatabase } from '../../server/db/open.ts';
import { createPgDatabase } from '../../server/db/pg-adapter.ts';

/**
 * A process that only touches the database, for the tests of server/db that need more than one:
 * - `migrate <url> <schema>`: waits for "go" on stdin (so several start together), migrates, prints
 *   `{"applied": [...]}` and exits;
 * - `open <dataDir>`: opens the embedded database there, prints `{"opened": true}` or
 *   `{"locked": <pid>}`, and (when opened) holds it until "close" on stdin.
 */
const [command, first, second] = process.argv.slice(2);
const lines = createInterface({ input: process.stdin });
const next = (): Promise<string> => new Promise((resolve) => lines.once('line', resolve));
const say = (message: object): void => void process.stdout.write(`${JSON.stringify(message)}\n`);

if (command === 'migrate') {
  const db = createPgDatabase({ connectionString: first as string, schema: second as string, poolSize: 1, applicationName: 'sidecar-test-migrate' });
  say({ ready: true });
  await next();
  const { applied } = await migrate(db);
  say({ applied });
  await db.close();
} else if (command === 'open') {
  try {
    const opened = await openDatabase(testConfig({ dataDir: first as string, databaseUrl: null }));
    say({ opened: true });
    await next();
    await opened.close();
  } catch (error) {
    if (!(error instanceof DataDirLockedError)) throw error;
    say({ locked: error.pid });
  }
} else {
  throw new Error(`unknown command ${command}`);
}
lines.close();
