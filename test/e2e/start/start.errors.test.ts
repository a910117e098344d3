import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { postgresSkipReason, TEST_DATABASE_URL } from '../../support/databases.ts';
import { waitFor } from '../../support/runner.ts';
import { runSidecarToExit, startSidecar } from '../../support/sidecar-process.ts';

/**
 * A start that cannot work stops with one sentence naming the variable and the fix, exit code 1, and
 * no stack trace; a start that works logs one line per phase, in order, before the banner.
 */
const TOKEN = 'start-errors-token-0123456789';
const STACK = /^\s+at /m;

function withUrl(base: string, change: (url: URL) => void): string {
  const url = new URL(base);
  change(url);
  return url.toString();
}

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'sidecar-start-'));
}

function assertExplained(result: { code: number | string; output: string }, expected: string): void {
  assert.equal(result.code, 1, result.output);
  assert.ok(result.output.includes(`The sidecar could not start: ${expected}`), result.output);
  assert.doesNotMatch(result.output, STACK, 'no stack trace for a setting the operator can fix');
}

describe('sidecar start errors', () => {
  it('names DATABASE_URL and the address when nothing listens there', async () => {
    const result = await runSidecarToExit({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/x', SIDECAR_API_TOKEN: TOKEN });
    assertExplained(result, 'DATABASE_URL: cannot connect to 127.0.0.1:1 (ECONNREFUSED)');
  });

  it('names SOURCE_DATABASE_URL when the WeCoza database cannot be reached', async () => {
    const dataDir = await tempDir();
    try {
      const result = await runSidecarToExit({ DATA_DIR: dataDir, SOURCE_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/wecoza' }, 60_000);
      assertExplained(result, 'SOURCE_DATABASE_URL: cannot connect to 127.0.0.1:1 (ECONNREFUSED)');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('stops before migrations when the port is in use, and still prints the token it generated', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    const dataDir = await tempDir();
    try {
      const result = await runSidecarToExit({ DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'info' });
      assertExplained(result, `PORT: 127.0.0.1:${port} is already in use (EADDRINUSE)`);
      const stored = (await readFile(path.join(dataDir, 'api-token'), 'utf8')).trim();
      assert.ok(result.output.includes(`API token  ${stored}`), result.output);
      assert.doesNotMatch(result.output, /opening the database|migrations/, 'nothing after the port check ran');
      await assert.rejects(stat(path.join(dataDir, 'pglite')), 'the embedded database was never created');
    } finally {
      blocker.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('logs one line per phase as it happens, in order, before the banner', async () => {
    const dataDir = await tempDir();
    const sidecar = await startSidecar({ DATA_DIR: dataDir, LOG_LEVEL: 'info', NOTIFY_PROCESS_INTERVAL: '0' });
    try {
      // pino writes asynchronously: the runner's line may land just after the banner.
      const output = await waitFor(() => sidecar.output().includes('"runner started"') && sidecar.output(), { what: 'the runner line' });
      const phases = ['"opening the database"', '"database open"', '"applying migrations"', '"migrations applied"', '"listening at http://127.0.0.1:', 'WeCoza Sidecar is running'];
      const positions = phases.map((text) => output.indexOf(text));
      for (const [i, position] of positions.entries()) assert.ok(position >= 0, `missing ${phases[i]}:\n${output}`);
      assert.deepEqual([...positions].sort((a, b) => a - b), positions, output);
    } finally {
      await sidecar.kill();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('sidecar start errors on PostgreSQL', async () => {
  const skip = await postgresSkipReason();
  const suffix = randomBytes(4).toString('hex');
  const role = `t_start_${suffix}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  const database = decodeURIComponent(new URL(TEST_DATABASE_URL).pathname.slice(1));

  before(async () => {
    if (skip !== undefined) return;
    await admin.connect();
    await admin.query(`CREATE ROLE ${role} LOGIN`);
  });
  after(async () => {
    if (skip !== undefined) return;
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
    await admin.end();
  });

  it('names the database that does not exist and how to create it', { skip }, async () => {
    const url = withUrl(TEST_DATABASE_URL, (u) => void (u.pathname = `/no_such_db_${suffix}`));
    const result = await runSidecarToExit({ DATABASE_URL: url, SIDECAR_API_TOKEN: TOKEN });
    assertExplained(result, `DATABASE_URL: database "no_such_db_${suffix}" does not exist on`);
    assert.ok(result.output.includes(`CREATE DATABASE no_such_db_${suffix};`), result.output);
  });

  it('names the GRANT a role without privileges needs to migrate', { skip }, async () => {
    const url = withUrl(TEST_DATABASE_URL, (u) => void (u.username = role));
    const result = await runSidecarToExit({ DATABASE_URL: url, SIDECAR_API_TOKEN: TOKEN, SIDECAR_SCHEMA: `t_nogrant_${suffix}` });
    assertExplained(result, `DATABASE_URL: role "${role}" is missing a privilege (permission denied for database ${database})`);
    assert.ok(result.output.includes(`GRANT CREATE ON DATABASE ${database} TO ${role};`), result.output);
  });
});
