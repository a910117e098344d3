import { createPglite } from './pglite-adapter.ts';

/**
 * Child-process entry: create and initialise an embedded data directory, then exit (see
 * `initialiseDataDir` in pglite-adapter.ts for why this is not done in the service's own process).
 */
const dataDir = process.argv[2];
if (dataDir === undefined) {
  process.stderr.write('usage: pglite-initdb <data directory>\n');
  process.exit(2);
}
const db = await createPglite(dataDir);
await db.close();
