import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Database, ListenCallbacks, ListenHandle, Queryable, QueryResult } from './port.ts';
import { quoteIdentifier } from './port.ts';
import { INT8_OID, parseInt8 } from './int8.ts';

interface PgliteRunner {
  query<T>(text: string, params?: unknown[]): Promise<{ rows: T[]; affectedRows?: number; rowCount?: number }>;
  exec(text: string): Promise<Array<{ rows: unknown[]; affectedRows?: number; rowCount?: number }>>;
}

async function run<R extends object>(target: PgliteRunner, text: string, values?: readonly unknown[]): Promise<QueryResult<R>> {
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
}

export function openPglite(dataDir?: string): Promise<PGlite> {
  return PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    parsers: { [INT8_OID]: parseInt8 },
  });
}

/** Open the embedded database. One connection: a transaction holds it, other calls queue behind it. */
export async function createPgliteDatabase(options: PgliteDatabaseOptions): Promise<Database> {
  const owned = options.instance === undefined;
  const db = options.instance ?? (await openPglite(options.dataDir));
  const runner = db as unknown as PgliteRunner;

  return {
    kind: 'pglite',
    schema: quoteIdentifier(options.schema),

    query(text, values) {
      return run(runner, text, values);
    },

    transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return db.transaction(async (transaction: Transaction) => {
        const tx: Queryable = { query: (text, values) => run(transaction as unknown as PgliteRunner, text, values) };
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
