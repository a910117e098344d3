import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Database, ListenCallbacks, ListenHandle, Queryable, QueryResult } from './port.ts';
import { quoteIdentifier } from './port.ts';
import { INT8_OID, parseInt8 } from './int8.ts';

interface PgliteRunner {
  query<T>(text: string, params?: unknown[]): Promise<{ rows: T[]; affectedRows?: number; rowCount?: number }>;
  exec(text: string): Promise<Array<{ rows: unknown[]; affectedRows?: number; rowCount?: number }>>;
}

async function runQuery<R extends object>(target: PgliteRunner, text: string, values?: readonly unknown[]): Promise<QueryResult<R>> {
  if (values === undefined || values.length === 0) {
    // PGlite's `query` speaks the extended protocol (one statement); `exec` takes multi-statement text.
    const results = await target.exec(text);
    const last = results[results.length - 1];
    return { rows: (last?.rows ?? []) as R[], rowCount: last?.rowCount ?? last?.affectedRows ?? last?.rows.length ?? 0 };
  }
  const result = await target.query<R>(text, values as unknown[]);
  return { rows: result.rows, rowCount: result.rowCount ?? result.affectedRows ?? result.rows.length };
}

export interface PgliteDatabaseOptions {
  /** A directory (persisted) or undefined for an in-memory database (tests). */
  dataDir?: string;
  schema: string;
  /** Share an open instance (tests give each test its own schema in one instance); not closed by `close`. */
  instance?: PGlite;
  /** PostgreSQL settings over EMBEDDED_SETTINGS (EMBEDDED_PG_SETTINGS). */
  settings?: Readonly<Record<string, string>>;
}

/**
 * PostgreSQL settings for the embedded database, passed as `-c` start parameters (they win over the
 * data directory's postgresql.conf, which we leave alone). PGlite's defaults are a server's: 128 MB of
 * shared_buffers alone, all of it inside the WASM heap, which never gives memory back. The embedded
 * default serves small sites, so we size it for a sidecar that idles under 250 MB in all. What each
 * costs in bench/runner's embedded drain (20,000 no-op actions) is in docs/production.md.
 * `initialMemory` stays PGlite's (128 MB): the WASM module declares that as its minimum.
 */
export const EMBEDDED_SETTINGS: Readonly<Record<string, string>> = {
  // The sidecar's hot set (pending actions, their indexes, recent logs) is a few MB; the OS page cache
  // sits behind PGlite's file system, so a miss here is a copy, not a disk read.
  shared_buffers: '16MB',
  // VACUUM's dead-tuple memory (the runner vacuums the embedded database itself: no autovacuum).
  maintenance_work_mem: '16MB',
  // No temporary tables anywhere in the sidecar.
  temp_buffers: '1MB',
  // One backend in single-user mode; the default 100 sizes lock and process tables for a server.
  max_connections: '5',
};

export function embeddedStartParams(overrides: Readonly<Record<string, string>> = {}): string[] {
  const settings = { ...EMBEDDED_SETTINGS, ...overrides };
  return [...PGlite.defaultStartParams, ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`])];
}

const run = promisify(execFile);

/**
 * A new data directory is initialised in a child process. PGlite runs initdb in a second WASM
 * instance of its own; in our process its heap (a few hundred MB) would stay resident long after it
 * closed, since V8 frees WASM memory only when it collects, and an idle service gives it no reason to.
 */
async function initialiseDataDir(dataDir: string): Promise<void> {
  if (existsSync(path.join(dataDir, 'PG_VERSION'))) return;
  const here = fileURLToPath(import.meta.url);
  // The same extension as this module: .ts under tsx (its loader is in execArgv), .js from dist/.
  const script = path.join(path.dirname(here), `pglite-initdb${path.extname(here)}`);
  const execArgv = process.execArgv.filter((arg) => !arg.startsWith('--inspect') && !arg.startsWith('--test'));
  try {
    await run(process.execPath, [...execArgv, script, dataDir]);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`could not initialise the embedded database in ${dataDir}${stderr ? `: ${stderr}` : ''}`, { cause: error });
  }
}

export function createPglite(dataDir?: string, settings: Readonly<Record<string, string>> = {}): Promise<PGlite> {
  return PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    startParams: embeddedStartParams(settings),
    parsers: { [INT8_OID]: parseInt8 },
  });
}

export async function openPglite(dataDir?: string, settings: Readonly<Record<string, string>> = {}): Promise<PGlite> {
  if (dataDir !== undefined) await initialiseDataDir(dataDir);
  return createPglite(dataDir, settings);
}

/** Open the embedded database. One connection: a transaction holds it, other calls queue behind it. */
export async function createPgliteDatabase(options: PgliteDatabaseOptions): Promise<Database> {
  const owned = options.instance === undefined;
  const db = options.instance ?? (await openPglite(options.dataDir, options.settings));
  const runner = db as unknown as PgliteRunner;

  return {
    kind: 'pglite',
    schema: quoteIdentifier(options.schema),

    query(text, values) {
      return runQuery(runner, text, values);
    },

    transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return db.transaction(async (transaction: Transaction) => {
        const tx: Queryable = { query: (text, values) => runQuery(transaction as unknown as PgliteRunner, text, values) };
        return fn(tx);
      });
    },

    async listen(channel: string, callbacks: ListenCallbacks): Promise<ListenHandle> {
      const unsubscribe = await db.listen(channel, (payload) => callbacks.onNotify(payload));
      return { close: () => unsubscribe() };
    },

    async close() {
      if (owned && !db.closed) await db.close();
    },
  };
}
