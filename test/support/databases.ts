import { createHash } from 'node:crypto';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import pg from 'pg';
import type { PGlite } from '@electric-sql/pglite';
import { migrate } from '../../server/db/migrator.ts';
import { createPgDatabase } from '../../server/db/pg-adapter.ts';
import { createPgliteDatabase, openPglite } from '../../server/db/pglite-adapter.ts';
import type { Database, DatabaseKind } from '../../server/db/port.ts';

/**
 * Storage tests run once per database: embedded PGlite and real PostgreSQL. Each test owns a schema
 * named from a hash of its file and title; it is dropped and re-created before the test and left in
 * place after it, so a failed test's rows can be inspected (the CI database is a scratch one).
 *
 * PostgreSQL is TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test). When it cannot be
 * reached, the PostgreSQL half fails under CI=true and is skipped, loudly, elsewhere.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const IN_CI = /^(1|true)$/i.test(process.env.CI ?? '');

let postgresProbe: Promise<string | null> | null = null;

/** Null when PostgreSQL answers, else why not. */
export function probePostgres(): Promise<string | null> {
  postgresProbe ??= (async () => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3000 });
    // A pg client whose server goes away emits 'error'; unheard, that event would end the process.
    client.on('error', (error) => process.stderr.write(`client connection error: ${error.message}\n`));
    try {
      await client.connect();
      await client.query('SELECT 1');
      return null;
    } catch (error) {
      return `PostgreSQL not reachable at ${TEST_DATABASE_URL}: ${(error as Error).message}`;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return postgresProbe;
}

export async function postgresSkipReason(): Promise<string | undefined> {
  const reason = await probePostgres();
  if (reason === null) return undefined;
  if (IN_CI) throw new Error(`${reason} (CI=true: the PostgreSQL half of the suite must run)`);
  process.stderr.write(`\n!! SKIPPING PostgreSQL tests: ${reason}\n`);
  return reason;
}

export function schemaNameFor(file: string, title: string): string {
  return `t_${createHash('sha1').update(`${file}\u0000${title}`).digest('hex').slice(0, 16)}`;
}

export interface DatabaseContext {
  kind: DatabaseKind;
  /** The current test's database (its own schema, migrated). */
  readonly db: Database;
  /** Open another handle on the same schema (a second "process"). */
  openAnother(): Promise<Database>;
  readonly schemaName: string;
}

async function resetSchema(admin: { query(text: string): Promise<unknown> }, schema: string): Promise<void> {
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/**
 * `describe` once per database kind. `body` registers tests that use `ctx.db`.
 * Options: `migrate: false` for tests that migrate themselves.
 */
export function describeEachDatabase(name: string, file: string, body: (ctx: DatabaseContext) => void, options: { migrate?: boolean; kinds?: DatabaseKind[] } = {}): void {
  const kinds = options.kinds ?? ['pglite', 'postgres'];
  for (const kind of kinds) {
    const state: { db: Database | null; schema: string; instance: PGlite | null; extra: Database[] } = { db: null, schema: '', instance: null, extra: [] };
    const open = async (schema: string): Promise<Database> => {
      if (kind === 'pglite') return createPgliteDatabase({ schema, instance: state.instance as PGlite });
      return createPgDatabase({ connectionString: TEST_DATABASE_URL, schema, poolSize: 6 });
    };
    const ctx: DatabaseContext = {
      kind,
      get db() {
        if (state.db === null) throw new Error('no database: use ctx.db inside a test');
        return state.db;
      },
      get schemaName() {
        return state.schema;
      },
      async openAnother() {
        const another = await open(state.schema);
        state.extra.push(another);
        return another;
      },
    };
    describe(`${name} [${kind}]`, async () => {
      if (kind === 'postgres') {
        const skip = await postgresSkipReason();
        if (skip !== undefined) {
          it('runs against PostgreSQL', { skip }, () => undefined);
          return;
        }
      }
      before(async () => {
        if (kind === 'pglite') state.instance = await openPglite();
      });
      after(async () => {
        await state.instance?.close();
      });
      beforeEach(async (t) => {
        state.schema = schemaNameFor(file, `${kind}:${(t as unknown as { name: string }).name}`);
        const db = await open(state.schema);
        await resetSchema(db, state.schema);
        if (options.migrate !== false) await migrate(db);
        state.db = db;
      });
      afterEach(async () => {
        for (const extra of state.extra.splice(0)) await extra.close();
        await state.db?.close();
        state.db = null;
      });
      body(ctx);
    });
  }
}

/** Rows per table of the test's schema: the proof that a refused request wrote nothing. */
export async function rowCounts(ctx: DatabaseContext): Promise<Record<string, number>> {
  const { rows } = await ctx.db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY table_name`,
    [ctx.schemaName],
  );
  const counts: Record<string, number> = {};
  for (const { table_name } of rows) {
    counts[table_name] = (await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${ctx.db.schema}."${table_name}"`)).rows[0]?.n ?? -1;
  }
  return counts;
}
