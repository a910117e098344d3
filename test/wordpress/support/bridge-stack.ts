/**
 * One sidecar process and one scratch WordPress wired to each other, as in production: the sidecar's
 * WP_CALLBACK_URL is the site's run route, and the bridge holds the sidecar's URL, API token and
 * callback secret (options written by setup-wordpress.sh).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { after, before } from 'node:test';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { probePostgres, TEST_DATABASE_URL } from '../../support/databases.ts';
import { api, startSidecar, type SidecarProcess } from '../../support/sidecar-process.ts';
import { probeSite, type StandInSite } from './stand-in.ts';
import { createWordPressSite, freePort, wordpressSkipReason, type WordPressSite } from './wordpress-site.ts';

/** The sidecar's first action id (server/db/action-id-range.ts); Action Scheduler's ids stay below. */
export { ACTION_ID_FLOOR_DEFAULT as SIDECAR_ID_FLOOR } from '../../../server/db/action-id-range.ts';

const execFileAsync = promisify(execFile);

/** How long the sidecar may take to exit after SIGTERM before it gets SIGKILL. */
const SIDECAR_STOP_DEADLINE_MS = 10_000;

export interface BridgeStackOptions {
  /**
   * Extra sidecar environment (DATABASE_URL, SMTP_URL, NOTIFY_*, …). Without DATABASE_URL the sidecar
   * runs on PostgreSQL (TEST_DATABASE_URL, a schema of its own, notifications off) when it answers,
   * else on embedded PGlite in a temporary DATA_DIR.
   */
  sidecarEnv?: Record<string, string>;
  /** Activate the stand-in Action Scheduler on the site. */
  standInActionScheduler?: boolean;
}

export interface BridgeStack {
  site: WordPressSite;
  sidecar: SidecarProcess;
  token: string;
  secret: string;
  /** A call to the sidecar's REST API with the token. */
  api(method: string, route: string, body?: unknown): Promise<{ status: number; json: any }>;
  /**
   * A statement on the sidecar's own tables (schema `{{schema}}` in the text), for states no route
   * makes, such as an action in progress under an API-only sidecar. PostgreSQL stacks only.
   */
  sidecarSql<T = Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>;
  /** Stop the sidecar (the site keeps running and now finds it down). */
  stopSidecar(): Promise<void>;
  stop(): Promise<void>;
}

const running = new Set<SidecarProcess>();
let exitHandlerInstalled = false;

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  process.once('exit', () => {
    for (const sidecar of running) sidecar.child.kill('SIGKILL');
  });
}

async function stopSidecarProcess(sidecar: SidecarProcess): Promise<void> {
  if (sidecar.child.exitCode === null && sidecar.child.signalCode === null) sidecar.child.kill('SIGTERM');
  const timer = setTimeout(() => sidecar.child.kill('SIGKILL'), SIDECAR_STOP_DEADLINE_MS);
  await sidecar.exited;
  clearTimeout(timer);
  running.delete(sidecar);
}

interface Storage {
  env: Record<string, string>;
  release(): Promise<void>;
}

/**
 * PostgreSQL when it answers: a sidecar on it starts in about a third of the time PGlite's WASM
 * needs, which matters when several test files start stacks at once on a small machine. The schema
 * is this stack's own and is dropped afterwards. Notifications are off because the test database
 * has no WeCoza source table (with it on, /readyz would fail and the bridge would show its notice).
 */
async function chooseStorage(): Promise<Storage> {
  if ((await probePostgres()) === null) {
    const schema = `t_wp_${randomBytes(6).toString('hex')}`;
    return {
      env: { DATABASE_URL: TEST_DATABASE_URL, SIDECAR_SCHEMA: schema, NOTIFICATIONS_ENABLED: 'false' },
      async release() {
        const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
        // A pg client whose server goes away emits 'error'; unheard, that event would end the process.
        admin.on('error', (error) => process.stderr.write(`admin connection error: ${error.message}\n`));
        await admin.connect();
        try {
          await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        } finally {
          await admin.end();
        }
      },
    };
  }
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'wecoza-wp-sidecar-'));
  return { env: { DATA_DIR: dataDir }, release: () => rm(dataDir, { recursive: true, force: true }) };
}

export async function startBridgeStack(options: BridgeStackOptions = {}): Promise<BridgeStack> {
  installExitHandler();
  const token = `wp-suite-token-${randomBytes(12).toString('hex')}`;
  const secret = `wp-suite-secret-${randomBytes(16).toString('hex')}`;
  const port = await freePort();
  const runUrl = `http://127.0.0.1:${port}/?rest_route=/wecoza-sidecar/v1/run`;
  const storage = options.sidecarEnv?.DATABASE_URL === undefined ? await chooseStorage() : { env: {}, release: async () => undefined };

  let sidecar: SidecarProcess;
  try {
    sidecar = await startSidecar({
      SIDECAR_API_TOKEN: token,
      WP_CALLBACK_URL: runUrl,
      WP_CALLBACK_SECRET: secret,
      SHUTDOWN_GRACE_SECONDS: '2',
      ...storage.env,
      ...options.sidecarEnv,
    });
  } catch (error) {
    await storage.release();
    throw error;
  }
  running.add(sidecar);

  let site: WordPressSite;
  try {
    site = await createWordPressSite({ port, sidecarUrl: sidecar.url, token, secret, standInActionScheduler: options.standInActionScheduler ?? false });
  } catch (error) {
    await stopSidecarProcess(sidecar);
    await storage.release();
    throw error;
  }

  return {
    site,
    sidecar,
    token,
    secret,
    api: (method, route, body) => api(sidecar.url, token, method, route, body),
    async sidecarSql<T>(text: string, values: unknown[] = []) {
      const schema = storage.env.SIDECAR_SCHEMA ?? options.sidecarEnv?.SIDECAR_SCHEMA;
      const url = storage.env.DATABASE_URL ?? options.sidecarEnv?.DATABASE_URL;
      assert.ok(schema !== undefined && url !== undefined, 'sidecarSql needs a sidecar on PostgreSQL');
      const client = new pg.Client({ connectionString: url });
      client.on('error', (error) => process.stderr.write(`sidecarSql connection error: ${error.message}\n`));
      await client.connect();
      try {
        return (await client.query(text.replaceAll('{{schema}}', `"${schema}"`), values)).rows as T[];
      } finally {
        await client.end();
      }
    },
    stopSidecar: () => stopSidecarProcess(sidecar),
    async stop() {
      const results = await Promise.allSettled([site.destroy(), stopSidecarProcess(sidecar)]);
      results.push(...(await Promise.allSettled([storage.release()])));
      const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}

/** The probe plugin (support/stand-in.ts) on the stack's site, activated the first time a test asks. */
export function probeOnce(live: () => BridgeStack): () => Promise<StandInSite> {
  let probing: Promise<StandInSite> | null = null;
  return () => (probing ??= probeSite(live().site));
}

/** One statement on the site's MariaDB database (root, no password), its output as text. */
export async function siteSql(site: WordPressSite, sql: string): Promise<string> {
  const { stdout } = await execFileAsync('mysql', ['-h', process.env.MYSQL_HOST ?? '127.0.0.1', '-P', process.env.MYSQL_PORT ?? '3306', '-u', 'root', '-N', '-B', site.database, '-e', sql]);
  return stdout.trim();
}

/** `X-Sidecar-Signature` for a body, as the sidecar computes it. */
export function signDelivery(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface RunReply {
  status: number;
  json: any;
}

/**
 * POST a delivery to the site's run route. Signed with `secret` at the current time unless `timestamp`
 * or `signature` say otherwise; `body` is sent byte for byte when it is a string.
 */
export async function postDelivery(site: WordPressSite, secret: string, body: unknown, options: { timestamp?: number; signature?: string } = {}): Promise<RunReply> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const response = await fetch(site.runUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-sidecar-timestamp': timestamp,
      'x-sidecar-signature': options.signature ?? signDelivery(secret, timestamp, text),
    },
    body: text,
  });
  const raw = await response.text();
  let json: unknown = null;
  try {
    json = raw === '' ? null : JSON.parse(raw);
  } catch {
    json = raw;
  }
  return { status: response.status, json };
}

/**
 * One stack for a whole test file: started before its tests (unless WordPress is missing outside CI),
 * stopped after them. `live()` hands the stack to a test and fails it when the start failed.
 */
export async function useBridgeStack(file: string, options?: BridgeStackOptions): Promise<{ skip: string | undefined; live(): BridgeStack }> {
  const skip = await wordpressSkipReason(file);
  let stack: BridgeStack | null = null;
  before(async () => {
    if (skip === undefined) stack = await startBridgeStack(options);
  }, { timeout: 180_000 });
  after(async () => {
    await stack?.stop();
  }, { timeout: 60_000 });
  return {
    skip,
    live() {
      assert.ok(stack, 'the WordPress stack did not start');
      return stack;
    },
  };
}
