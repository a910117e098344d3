/**
 * The database port: the only surface features see. Two adapters implement it (`pg-adapter.ts` for
 * PostgreSQL, `pglite-adapter.ts` for the embedded default) and absorb their differences here, so one
 * set of SQL serves both:
 * - int8 columns come back as JS numbers from both (pg would give strings);
 * - multi-statement text (migrations) works through `query` without values on both;
 * - PGlite has one connection, so a `transaction` holds it and other calls wait their turn.
 * The port knows no feature.
 */
export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface QueryOptions {
  /** Use a named prepared statement (pg); hot statements only. Ignored by PGlite. */
  prepare?: boolean;
}

export interface Queryable {
  query<R extends object = Record<string, unknown>>(text: string, values?: readonly unknown[], options?: QueryOptions): Promise<QueryResult<R>>;
}

export type DatabaseKind = 'postgres' | 'pglite';

export interface ListenHandle {
  close(): Promise<void>;
}

export interface ListenCallbacks {
  onNotify(payload: string): void;
  /** Called after the listening connection was lost and re-established: poll once, notifications may be missed. */
  onReconnect?(): void;
}

export interface Database extends Queryable {
  readonly kind: DatabaseKind;
  /** Quoted schema identifier, spliced into SQL text (the only text ever spliced in). */
  readonly schema: string;
  /** Run `fn` in one transaction (READ COMMITTED); commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  listen(channel: string, callbacks: ListenCallbacks): Promise<ListenHandle>;
  close(): Promise<void>;
}

/** Quote a validated identifier once, at start-up. */
export function quoteIdentifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`unsafe identifier: ${name}`);
  return `"${name}"`;
}
