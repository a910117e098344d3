import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import pg from 'pg';
import { migrate } from '../../../server/db/migrator.ts';
import { createPgDatabase } from '../../../server/db/pg-adapter.ts';
import { demoSourceDdl } from '../../../server/notifications/demo-source.ts';
import { postgresSkipReason, TEST_DATABASE_URL } from '../../support/databases.ts';
import { api, startSidecar } from '../../support/sidecar-process.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const TOKEN = 'roles-test-token-0123456789';

/**
 * deploy/postgres-roles.sql, run as written (names swapped for this test's own), is exactly enough:
 * the migration role migrates, and the service then runs as the runtime role, which creates nothing,
 * enqueues, claims, and writes WeCoza's ai_summary column only.
 */
describe('deploy/postgres-roles.sql', async () => {
  const skip = await postgresSkipReason();

  it('lets the migration role migrate and the runtime role run the service', { skip }, async () => {
    const id = randomBytes(4).toString('hex');
    const names = { migrate: `t_mig_${id}`, app: `t_app_${id}`, schema: `t_roles_${id}`, source: `t_src_${id}` };
    const script = (await readFile(path.join(ROOT, 'deploy/postgres-roles.sql'), 'utf8'))
      .replace(/^--.*$/gm, '')
      .replaceAll('wecoza_sidecar_migrate', names.migrate)
      .replaceAll('wecoza_sidecar_app', names.app)
      .replace(/\bSCHEMA sidecar\b/g, `SCHEMA ${names.schema}`)
      .replaceAll('public.class_change_logs', `${names.source}.class_change_logs`)
      .replace(/\bSCHEMA public\b/g, `SCHEMA ${names.source}`);
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    const asRole = (role: string): string => {
      const url = new URL(TEST_DATABASE_URL);
      url.username = role;
      return url.toString();
    };
    try {
      await admin.query(demoSourceDdl(`${names.source}.class_change_logs`));
      await admin.query(script);

      const migrator = createPgDatabase({ connectionString: asRole(names.migrate), schema: names.schema, poolSize: 2 });
      try {
        assert.ok((await migrate(migrator)).applied.length > 0);
      } finally {
        await migrator.close();
      }

      const sidecar = await startSidecar({
        DATABASE_URL: asRole(names.app),
        SIDECAR_SCHEMA: names.schema,
        SIDECAR_API_TOKEN: TOKEN,
        SOURCE_TABLE: `${names.source}.class_change_logs`,
        NOTIFY_PROCESS_INTERVAL: '0',
      });
      try {
        const created = await api(sidecar.url, TOKEN, 'POST', '/v1/actions/async', { hook: 'wecoza_roles_check', args: [1] });
        assert.equal(created.status, 201, JSON.stringify(created.json));
        const processed = await api(sidecar.url, TOKEN, 'POST', '/v1/notifications/process', {});
        assert.equal(processed.status, 200, JSON.stringify(processed.json));
        const ready = await fetch(`${sidecar.url}/readyz`).then((r) => r.json() as Promise<{ checks: Record<string, { status: string }> }>);
        for (const check of ['database', 'migrations', 'source_table']) assert.equal(ready.checks[check]?.status, 'ok', JSON.stringify(ready));
      } finally {
        await sidecar.kill();
      }
      const owners = await admin.query<{ owner: string }>('SELECT DISTINCT tableowner AS owner FROM pg_tables WHERE schemaname = $1', [names.schema]);
      assert.deepEqual(owners.rows.map((row) => row.owner), [names.migrate], 'the runtime role created nothing');
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS ${names.schema} CASCADE`).catch(() => undefined);
      await admin.query(`DROP SCHEMA IF EXISTS ${names.source} CASCADE`).catch(() => undefined);
      for (const role of [names.app, names.migrate]) {
        await admin.query(`DROP OWNED BY ${role}`).catch(() => undefined);
        await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
      }
      await admin.end();
    }
  });
});
