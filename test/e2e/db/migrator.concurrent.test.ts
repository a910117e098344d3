import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadMigrations } from '../../../server/db/migrator.ts';
import { createPgDatabase } from '../../../server/db/pg-adapter.ts';
import { postgresSkipReason, schemaNameFor, TEST_DATABASE_URL } from '../../support/databases.ts';
import { startDbProcess } from '../../support/db-processes.ts';

/** Three processes migrating one fresh schema at once (a deployment whose replicas start together). */
describe('migrate from several processes at once', async () => {
  const skip = await postgresSkipReason();

  it('applies each migration exactly once: one process applies them all, the others find nothing to do', { skip }, async () => {
    const schema = schemaNameFor(import.meta.url, 'three processes');
    const db = createPgDatabase({ connectionString: TEST_DATABASE_URL, schema, poolSize: 1 });
    try {
      await db.query(`DROP SCHEMA IF EXISTS ${db.schema} CASCADE`);
      const processes = [1, 2, 3].map(() => startDbProcess(['migrate', TEST_DATABASE_URL, schema]));
      for (const child of processes) await child.next();
      // All three are connected; the race starts on one signal.
      for (const child of processes) child.send('go');
      const results = await Promise.all(processes.map((child) => child.next<{ applied: string[] }>()));
      assert.deepEqual(await Promise.all(processes.map((child) => child.exited)), [0, 0, 0]);

      const names = (await loadMigrations()).map((migration) => migration.name);
      const applied = results.map((result) => result.applied).sort((a, b) => b.length - a.length);
      assert.deepEqual(applied, [names, [], []]);
      const { rows } = await db.query<{ id: number; n: number }>(`SELECT id, count(*)::int AS n FROM ${db.schema}.migrations GROUP BY id ORDER BY id`);
      assert.deepEqual(rows.map((row) => row.n), names.map(() => 1));
    } finally {
      await db.close();
    }
  });
});
