import { mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.ts';
import { createPgDatabase } from './pg-adapter.ts';
import type { Database } from './port.ts';

export interface OpenedDatabase {
  db: Database;
  /** For the start banner: "PostgreSQL at host:port/db" or "embedded PGlite in <dir>". */
  description: string;
  /** Close the database and give back the embedded lock file. */
  close(): Promise<void>;
}

export class DataDirLockedError extends Error {
  constructor(readonly dataDir: string, readonly pid: number) {
    super(
      `Another sidecar process (pid ${pid}) is using the embedded database in ${dataDir}. The embedded mode is one process; ` +
        'stop the other one, point DATA_DIR elsewhere, or use PostgreSQL (DATABASE_URL) to run several.',
    );
    this.name = 'DataDirLockedError';
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The embedded database is one process: PGlite would corrupt a data directory two processes write to.
 * The lock file holds our pid; a lock left by a dead process is taken over.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  await mkdir(dataDir, { recursive: true });
  const lockPath = path.join(dataDir, 'sidecar.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      return async () => {
        await rm(lockPath, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) throw new DataDirLockedError(dataDir, pid);
      await rm(lockPath, { force: true });
    }
  }
  throw new Error(`could not take the lock file in ${dataDir}`);
}

function describeUrl(url: string): string {
  const parsed = new URL(url);
  return `PostgreSQL at ${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
}

export async function openDatabase(config: Config, onError?: (error: Error) => void): Promise<OpenedDatabase> {
  if (config.databaseUrl !== null) {
    const db = createPgDatabase({
      connectionString: config.databaseUrl,
      listenConnectionString: config.databaseDirectUrl,
      schema: config.schema,
      poolSize: config.databasePoolSize,
      ...(onError ? { onError } : {}),
    });
    return { db, description: `${describeUrl(config.databaseUrl)} (schema ${config.schema})`, close: () => db.close() };
  }
  const release = await lockDataDir(config.dataDir);
  try {
    const dir = path.join(config.dataDir, 'pglite');
    // Loaded only here: the WASM build costs ~40 MB of memory a PostgreSQL deployment never uses.
    const { createPgliteDatabase } = await import('./pglite-adapter.ts');
    const db = await createPgliteDatabase({ dataDir: dir, schema: config.schema, settings: config.embeddedPgSettings });
    return {
      db,
      description: `embedded PGlite in ${dir} (development and small sites: one process, no fsync)`,
      close: async () => {
        await db.close();
        await release();
      },
    };
  } catch (error) {
    await release();
    throw error;
  }
}
