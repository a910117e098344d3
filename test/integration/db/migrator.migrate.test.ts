import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { loadMigrations, migrate, migrationsApplied, type Migration } from '../../../server/db/migrator.ts';
import type { Database } from '../../../server/db/port.ts';
import { describeEachDatabase } from '../../support/databases.ts';

/** The migrator: applied forward once each, and an edited or doubled migration stops the start. */

async function appliedRows(db: Database): Promise<Array<{ id: number; name: string; checksum: string }>> {
  const { rows } = await db.query<{ id: number; name: string; checksum: string }>(`SELECT id, name, checksum FROM ${db.schema}.migrations ORDER BY id`);
  return rows;
}

describeEachDatabase('migrate', import.meta.url, (ctx) => {
  it('applies every migration once, in order, with its checksum, and nothing on a second run', async () => {
    const migrations = await loadMigrations();
    const first = await migrate(ctx.db);
    assert.deepEqual(first.applied, migrations.map((m) => m.name));
    assert.deepEqual(await appliedRows(ctx.db), migrations.map(({ id, name, checksum }) => ({ id, name, checksum })));
    assert.deepEqual((await migrate(ctx.db)).applied, []);
    assert.equal(await migrationsApplied(ctx.db), true);
  });

  it('refuses to go on when an applied migration was edited, and applies nothing after it', async () => {
    const migrations = await loadMigrations();
    await migrate(ctx.db);
    const last = migrations.at(-1) as Migration;
    const edited: Migration[] = [
      ...migrations.slice(0, -1),
      { ...last, sql: `${last.sql}\n-- edited after it was applied\n`, checksum: 'f'.repeat(64) },
      { id: 999, name: '999_later.sql', sql: 'CREATE TABLE {{schema}}.later (id integer)', checksum: 'a'.repeat(64) },
    ];
    await assert.rejects(migrate(ctx.db, edited), new RegExp(`migration ${last.name} was changed after it was applied; add a new migration instead`));
    const rows = await appliedRows(ctx.db);
    assert.deepEqual(rows.map((row) => row.id), migrations.map((m) => m.id), 'the later migration was not recorded');
    assert.equal(rows.at(-1)?.checksum, last.checksum, 'the recorded checksum is the original one');
    const later = await ctx.db.query<{ present: boolean }>(`SELECT to_regclass('${ctx.db.schema}.later') IS NOT NULL AS present`);
    assert.equal(later.rows[0]?.present, false, 'nothing of the later migration ran');
  });

  it('reports migrations as not applied until a newer file is applied too', async () => {
    const migrations = await loadMigrations();
    await migrate(ctx.db, migrations.slice(0, -1));
    assert.equal(await migrationsApplied(ctx.db, migrations), false);
    await migrate(ctx.db, migrations);
    assert.equal(await migrationsApplied(ctx.db, migrations), true);
  });
}, { migrate: false });

it('refuses two migration files that share a number, naming both', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sidecar-migrations-'));
  try {
    await writeFile(path.join(dir, '001_first.sql'), 'SELECT 1');
    await writeFile(path.join(dir, '002_ours.sql'), 'SELECT 2');
    await writeFile(path.join(dir, '002_theirs.sql'), 'SELECT 3');
    await writeFile(path.join(dir, 'notes.txt'), 'not a migration');
    await assert.rejects(loadMigrations(dir), /migrations 002_ours\.sql and 002_theirs\.sql share the number 002; renumber the newer one/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
