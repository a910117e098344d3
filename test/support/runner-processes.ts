import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate } from '../../server/db/migrator.ts';
import { createPgDatabase } from '../../server/db/pg-adapter.ts';
import { createPgliteDatabase } from '../../server/db/pglite-adapter.ts';
import type { Database, DatabaseKind } from '../../server/db/port.ts';
import { schemaNameFor, TEST_DATABASE_URL } from './databases.ts';
import { startSidecar, type SidecarProcess } from './sidecar-process.ts';

/**
 * Real sidecar processes with test handlers (runner-process-entry.ts) on either database, for the
 * e2e runner tests. On PostgreSQL the test reads the database directly while the processes run; the
 * embedded database belongs to its one process, so it is read after that process has exited.
 */
export const RUNNER_ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), 'runner-process-entry.ts');
export const E2E_TOKEN = 'runner-e2e-token-0123456789';

export interface ProcessDeployment {
  kind: DatabaseKind;
  /** Environment every process of this deployment shares. */
  env: Record<string, string>;
  dir: string;
  start(extra?: Record<string, string>): Promise<SidecarProcess>;
  /** The database, for reading state (PGlite: only once every process has exited). */
  open(): Promise<Database>;
  runLog(name: string): string;
  cleanup(): Promise<void>;
}

export async function createDeployment(kind: DatabaseKind, file: string, title: string, env: Record<string, string> = {}): Promise<ProcessDeployment> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sidecar-runner-e2e-'));
  const schema = schemaNameFor(file, `${kind}:${title}`);
  const shared: Record<string, string> = { SIDECAR_API_TOKEN: E2E_TOKEN, NOTIFICATIONS_ENABLED: 'false', LEASE_SECONDS: '3', ...env };
  const opened: Database[] = [];
  if (kind === 'postgres') {
    Object.assign(shared, { DATABASE_URL: TEST_DATABASE_URL, SIDECAR_SCHEMA: schema });
    const admin = createPgDatabase({ connectionString: TEST_DATABASE_URL, schema, poolSize: 2 });
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await migrate(admin);
    await admin.query(`CREATE TABLE "${schema}".side_effects (action_id bigint NOT NULL, worker text NOT NULL)`);
    await admin.close();
  } else {
    Object.assign(shared, { DATA_DIR: dir });
  }
  return {
    kind,
    env: shared,
    dir,
    start: (extra = {}) => startSidecar({ ...shared, ...extra }, { entry: RUNNER_ENTRY }),
    async open() {
      const db =
        kind === 'postgres'
          ? createPgDatabase({ connectionString: TEST_DATABASE_URL, schema, poolSize: 4 })
          : await createPgliteDatabase({ dataDir: path.join(dir, 'pglite'), schema: 'sidecar' });
      opened.push(db);
      return db;
    },
    runLog: (name) => path.join(dir, `runs-${name}.log`),
    async cleanup() {
      for (const db of opened.splice(0)) await db.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** "<id> <attempt>" lines a process's handlers appended; [] when it ran nothing. */
export async function readRuns(file: string): Promise<Array<{ id: number; attempt: number }>> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [id, attempt] = line.split(' ').map(Number);
      return { id: id as number, attempt: attempt as number };
    });
}
