import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from './port.ts';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
const FILE_PATTERN = /^(\d{3})_[a-z0-9_]+\.sql$/;

export interface Migration {
  id: number;
  name: string;
  sql: string;
  checksum: string;
}

/**
 * The migration files in order. Two files with one number are refused here, by name: branches that
 * each add "the next" migration meet at a merge, and the second would otherwise fail later, inside the
 * transaction, as a duplicate key of the migrations table.
 */
export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((file) => FILE_PATTERN.test(file)).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const sql = await readFile(path.join(dir, file), 'utf8');
    const id = Number(file.slice(0, 3));
    const twin = migrations.find((migration) => migration.id === id);
    if (twin !== undefined) throw new Error(`migrations ${twin.name} and ${file} share the number ${file.slice(0, 3)}; renumber the newer one`);
    migrations.push({ id, name: file, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return migrations;
}

function checkUnchanged(migration: Migration, recorded: { checksum: string } | undefined): void {
  if (recorded !== undefined && recorded.checksum !== migration.checksum) {
    throw new Error(`migration ${migration.name} was changed after it was applied; add a new migration instead`);
  }
}

/** What the schema's migrations table records; null when the schema or the table is missing. */
async function recordedMigrations(db: Database): Promise<Map<number, { checksum: string }> | null> {
  const { rows: found } = await db.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [`${db.schema}.migrations`]);
  if (found[0]?.present !== true) return null;
  const { rows } = await db.query<{ id: number; checksum: string }>(`SELECT id, checksum FROM ${db.schema}.migrations`);
  return new Map(rows.map((row) => [row.id, row]));
}

/**
 * Apply pending migrations in order, in one transaction, under a transaction-scoped advisory lock: two
 * processes starting at once serialise here and the second finds nothing left to do. A migration that
 * was edited after it was applied stops the start; migrations are append-only.
 *
 * When every migration is already recorded, nothing is locked or created: a runtime role with only
 * the GRANTs of docs/production.md starts on a schema a migration role prepared. The schema is
 * created only when missing, since CREATE SCHEMA IF NOT EXISTS checks CREATE on the database first.
 */
export async function migrate(db: Database, migrations?: Migration[]): Promise<{ applied: string[] }> {
  const all = migrations ?? (await loadMigrations());
  const schema = db.schema;
  const recorded = await recordedMigrations(db);
  if (recorded !== null && all.every((migration) => recorded.has(migration.id))) {
    for (const migration of all) checkUnchanged(migration, recorded.get(migration.id));
    return { applied: [] };
  }
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`wecoza-sidecar:migrate:${schema}`]);
    const { rows: schemas } = await tx.query<{ present: boolean }>('SELECT to_regnamespace($1) IS NOT NULL AS present', [schema]);
    if (schemas[0]?.present !== true) await tx.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${schema}.migrations (
         id integer PRIMARY KEY,
         name text NOT NULL,
         checksum text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const { rows } = await tx.query<{ id: number; name: string; checksum: string }>(`SELECT id, name, checksum FROM ${schema}.migrations ORDER BY id`);
    const done = new Map(rows.map((row) => [row.id, row]));
    const applied: string[] = [];
    for (const migration of all) {
      const previous = done.get(migration.id);
      checkUnchanged(migration, previous);
      if (previous) continue;
      await tx.query(migration.sql.replaceAll('{{schema}}', schema));
      await tx.query(`INSERT INTO ${schema}.migrations (id, name, checksum) VALUES ($1, $2, $3)`, [migration.id, migration.name, migration.checksum]);
      applied.push(migration.name);
    }
    return { applied };
  });
}

/** For /readyz: every known migration is recorded in the database. */
export async function migrationsApplied(db: Database, migrations?: Migration[]): Promise<boolean> {
  const all = migrations ?? (await loadMigrations());
  try {
    const { rows } = await db.query<{ count: number }>(`SELECT count(*)::int AS count FROM ${db.schema}.migrations WHERE id = ANY($1::int[])`, [all.map((m) => m.id)]);
    return rows[0]?.count === all.length;
  } catch {
    return false;
  }
}
