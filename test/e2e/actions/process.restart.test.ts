import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { postgresSkipReason, schemaNameFor, TEST_DATABASE_URL } from '../../support/databases.ts';
import { api, runSidecarToExit, startSidecar, type SidecarProcess } from '../../support/sidecar-process.ts';

const TOKEN = 'restart-test-token-0123456789';

/** Enqueue `count` actions and return the acknowledged ids. */
async function enqueueMany(sidecar: SidecarProcess, count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const response = await api(sidecar.url, TOKEN, 'POST', '/v1/actions/single', { hook: 'durable', args: { i }, timestamp: 4_000_000_000 });
    assert.equal(response.status, 201);
    ids.push(response.json.action_id);
  }
  const batch = await api(sidecar.url, TOKEN, 'POST', '/v1/actions/batch', {
    actions: Array.from({ length: 200 }, (_, i) => ({ type: 'single', hook: 'durable', args: { b: i }, timestamp: 4_000_000_000 })),
  });
  assert.equal(batch.status, 200);
  ids.push(...batch.json.results.map((r: { action_id: number }) => r.action_id));
  return ids;
}

/** Enqueue, SIGKILL the process, start another on the same storage: every acknowledged id is there. */
async function assertSurvivesSigkill(env: Record<string, string>): Promise<void> {
  const first = await startSidecar(env);
  const acknowledged = await enqueueMany(first, 50);
  assert.equal(await first.kill('SIGKILL'), 'SIGKILL');
  const second = await startSidecar(env);
  try {
    assert.deepEqual(await listIds(second), acknowledged);
  } finally {
    await second.kill('SIGTERM');
  }
}

async function listIds(sidecar: SidecarProcess): Promise<number[]> {
  const response = await api(sidecar.url, TOKEN, 'GET', '/v1/actions?hook=durable&per_page=-1&orderby=action_id');
  return response.json.actions.map((a: { id: number }) => a.id);
}

describe('a sidecar process killed with SIGKILL (embedded PGlite)', () => {
  let dataDir = '';
  after(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps every acknowledged action after a restart on the same DATA_DIR', async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'sidecar-restart-'));
    const env = { DATA_DIR: dataDir, SIDECAR_API_TOKEN: TOKEN };
    await assertSurvivesSigkill(env);
  });

  it('refuses a second process on the same DATA_DIR with a clear message', async () => {
    dataDir ||= await mkdtemp(path.join(os.tmpdir(), 'sidecar-restart-'));
    const env = { DATA_DIR: dataDir, SIDECAR_API_TOKEN: TOKEN };
    const first = await startSidecar(env);
    try {
      const second = await runSidecarToExit(env);
      assert.equal(second.code, 3);
      assert.match(second.output, /Another sidecar process \(pid \d+\) is using the embedded database/);
      assert.equal((await api(first.url, TOKEN, 'GET', '/v1/actions?per_page=1')).status, 200);
    } finally {
      await first.kill('SIGTERM');
    }
  });
});

describe('a sidecar process killed with SIGKILL (PostgreSQL)', async () => {
  const skip = await postgresSkipReason();
  it('keeps every acknowledged action after a restart', { skip }, async () => {
    const schema = schemaNameFor(import.meta.url, 'restart-postgres');
    const env = { DATABASE_URL: TEST_DATABASE_URL, SIDECAR_SCHEMA: schema, SIDECAR_API_TOKEN: TOKEN, NOTIFICATIONS_ENABLED: 'false' };
    const pg = await import('pg');
    const admin = new pg.default.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
    await assertSurvivesSigkill(env);
  });
});
