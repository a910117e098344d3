import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Database, ListenCallbacks, ListenHandle, Queryable, QueryOptions, QueryResult } from './port.ts';
import { quoteIdentifier } from './port.ts';
import { INT8_OID, parseInt8 } from './int8.ts';


const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return parseInt8;
    return pg.types.getTypeParser(oid, format);
  },
} as unknown as pg.CustomTypesConfig;

/**
 * Named prepared statements are per connection; the name is derived from the text so it never clashes.
 * Remembered per text: hashing a 2 kB statement on every call cost more than the lookup. Prepared texts
 * come from a closed set (sql.ts and its option-built variants), so the map stays small; the cap only
 * guards against a caller that would prepare open-ended text.
 */
const statementNames = new Map<string, string>();
const MAX_REMEMBERED_NAMES = 1000;

function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `s_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    if (statementNames.size >= MAX_REMEMBERED_NAMES) statementNames.clear();
    statementNames.set(text, name);
  }
  return name;
}

function toConfig(text: string, values: readonly unknown[] | undefined, options: QueryOptions | undefined): pg.QueryConfig {
  const config: pg.QueryConfig = { text, values: values as unknown[] | undefined };
  if (options?.prepare) config.name = statementName(text);
  return config;
}

async function run<R extends object>(client: pg.Pool | pg.PoolClient, text: string, values?: readonly unknown[], options?: QueryOptions): Promise<QueryResult<R>> {
  const result = await client.query(toConfig(text, values, options));
  // A multi-statement text answers with one result per statement; the last one is the answer.
  const last = (Array.isArray(result) ? result[result.length - 1] : result) as pg.QueryResult;
  return { rows: (last?.rows ?? []) as R[], rowCount: last?.rowCount ?? 0 };
}

export interface PgDatabaseOptions {
  connectionString: string;
  /** For LISTEN: a direct connection when the pool goes through a transaction-mode pooler. */
  listenConnectionString?: string | null;
  schema: string;
  poolSize: number;
  applicationName?: string;
  onError?: (error: Error) => void;
}

export function createPgDatabase(options: PgDatabaseOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize,
    types: typeParsers,
    application_name: options.applicationName ?? 'wecoza-sidecar',
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  const report = (error: Error): void => options.onError?.(error);
  // A client whose server goes away emits 'error', and an 'error' event nobody listens to kills the
  // process. The pool listens only while a client is idle; a checked-out client (a transaction
  // between two statements, a query the server's FATAL arrived after) had none. So every client gets
  // its own listener for its whole life: the statement on it fails, the pool drops it, we log.
  pool.on('error', report);
  pool.on('connect', (client) => {
    client.on('error', report);
  });

  const listeners = new Set<ListenHandle>();

  return {
    kind: 'postgres',
    schema: quoteIdentifier(options.schema),

    query(text, values, queryOptions) {
      return run(pool, text, values, queryOptions);
    },

    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const tx: Queryable = { query: (text, values, queryOptions) => run(client, text, values, queryOptions) };
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          broken = rollbackError as Error;
        }
        throw error;
      } finally {
        client.release(broken);
      }
    },

    async listen(channel: string, callbacks: ListenCallbacks): Promise<ListenHandle> {
      const handle = await startListener(options.listenConnectionString ?? options.connectionString, channel, callbacks, options.onError);
      listeners.add(handle);
      return {
        close: async () => {
          listeners.delete(handle);
          await handle.close();
        },
      };
    },

    async close() {
      await Promise.all([...listeners].map((handle) => handle.close()));
      await pool.end();
    },
  };
}

/**
 * LISTEN on a dedicated connection that reconnects with backoff. After a reconnect the caller is told,
 * because notifications sent while the connection was down are lost and it must poll once.
 */
async function startListener(connectionString: string, channel: string, callbacks: ListenCallbacks, onError?: (error: Error) => void): Promise<ListenHandle> {
  let closed = false;
  let client: pg.Client | null = null;
  let retryTimer: NodeJS.Timeout | null = null;
  let delayMs = 250;

  /** Drop a client for good; it keeps an error listener, since ending a broken socket can still emit. */
  const discard = (dead: pg.Client): void => {
    dead.removeAllListeners();
    dead.on('error', () => undefined);
    dead.end().catch(() => undefined);
  };

  const connect = async (isReconnect: boolean): Promise<void> => {
    const next = new pg.Client({ connectionString, application_name: 'wecoza-sidecar-listen' });
    next.on('notification', (message) => {
      if (message.channel === channel) callbacks.onNotify(message.payload ?? '');
    });
    // Until it is the live client, a failure here is the attempt's: the caller retries.
    next.on('error', () => undefined);
    try {
      await next.connect();
      await next.query(`LISTEN ${quoteIdentifier(channel)}`);
    } catch (error) {
      discard(next);
      throw error;
    }
    if (closed) {
      discard(next);
      return;
    }
    next.removeAllListeners('error');
    next.on('error', (error) => {
      onError?.(error);
      scheduleReconnect();
    });
    next.on('end', () => scheduleReconnect());
    client = next;
    delayMs = 250;
    if (isReconnect) callbacks.onReconnect?.();
  };

  const scheduleReconnect = (): void => {
    if (closed || retryTimer !== null) return;
    const dead = client;
    client = null;
    if (dead !== null) discard(dead);
    retryTimer = setTimeout(() => {
      retryTimer = null;
      connect(true).catch((error: Error) => {
        onError?.(error);
        delayMs = Math.min(delayMs * 2, 5_000);
        scheduleReconnect();
      });
    }, delayMs);
    retryTimer.unref();
  };

  await connect(false);
  return {
    close: async () => {
      closed = true;
      if (retryTimer !== null) clearTimeout(retryTimer);
      const current = client;
      client = null;
      if (current) {
        current.removeAllListeners();
        current.on('error', () => undefined);
        await current.end().catch(() => undefined);
      }
    },
  };
}
