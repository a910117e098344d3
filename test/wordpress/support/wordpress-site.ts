/**
 * A scratch WordPress for the bridge's end-to-end tests: Debian's `wordpress` package on MariaDB, served
 * by `php -S` with several workers, driven through the shell harness beside this folder
 * (setup-wordpress.sh, serve-wordpress.sh, teardown-wordpress.sh, wp-call.php).
 *
 * Each site has its own port, database and scratch folder, so test files run side by side. Everything a
 * site starts is ended by `destroy()`; a process that dies without calling it still kills the PHP
 * servers and drops the databases from an exit handler.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { access, constants, mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const HARNESS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = path.resolve(HARNESS_DIR, '../..');
const WP_ROOT = process.env.WP_ROOT ?? '/usr/share/wordpress';
const WP_CONFIG_DIR = process.env.WP_CONFIG_DIR ?? '/etc/wordpress';
const MYSQL_HOST = process.env.MYSQL_HOST ?? '127.0.0.1';
const MYSQL_PORT = process.env.MYSQL_PORT ?? '3306';
const IN_CI = /^(1|true)$/i.test(process.env.CI ?? '');

export const ADMIN_USER = 'admin';
export const ADMIN_PASSWORD = 'wecoza-test-admin';

/** How long a site may take to answer its first request after `php -S` starts. */
const SERVE_DEADLINE_MS = 20_000;
/** How long the PHP server may take to exit after SIGTERM before it gets SIGKILL. */
const STOP_DEADLINE_MS = 5_000;

async function commandWorks(file: string, args: string[]): Promise<string | null> {
  try {
    const { stdout } = await execFileAsync(file, args, { timeout: 10_000 });
    return stdout;
  } catch {
    return null;
  }
}

/** Null when this machine can run the WordPress suite, else every missing piece. */
export async function probeWordPress(): Promise<string | null> {
  const missing: string[] = [];
  const extensions = await commandWorks('php', ['-r', 'echo implode(",", array_filter(["mysqli", "curl", "json"], "extension_loaded"));']);
  if (extensions === null) missing.push('php (php-cli) is not installed');
  else {
    for (const extension of ['mysqli', 'curl']) {
      if (!extensions.split(',').includes(extension)) missing.push(`the PHP extension ${extension} is missing (php-${extension === 'mysqli' ? 'mysql' : extension})`);
    }
  }
  if (!existsSync(path.join(WP_ROOT, 'wp-load.php'))) missing.push(`WordPress is not installed at ${WP_ROOT} (Debian's wordpress package)`);
  if ((await commandWorks('mysql', ['--version'])) === null) missing.push('the mysql client (mariadb-client) is not installed');
  const alive = await commandWorks('mysqladmin', ['-h', MYSQL_HOST, '-P', MYSQL_PORT, '-u', 'root', '--connect-timeout=2', 'ping']);
  // setup-wordpress.sh starts MariaDB when it is installed but down.
  if (alive === null && !existsSync('/usr/sbin/mariadbd')) missing.push(`MariaDB is neither answering at ${MYSQL_HOST}:${MYSQL_PORT} nor installed (mariadb-server)`);
  try {
    await access(WP_CONFIG_DIR, constants.W_OK);
  } catch {
    missing.push(`${WP_CONFIG_DIR} is not writable (the harness writes the site configs there)`);
  }
  return missing.length === 0 ? null : missing.join('; ');
}

/**
 * For `describe(…, { skip })`: undefined when the suite can run. Without WordPress, PHP or MariaDB the
 * suite fails under CI=true (a CI that silently skips proves nothing) and is skipped, loudly, elsewhere.
 */
export async function wordpressSkipReason(suite: string): Promise<string | undefined> {
  const reason = await probeWordPress();
  if (reason === null) return undefined;
  if (IN_CI) throw new Error(`${suite}: ${reason} (CI=true: the WordPress suite must run, not skip)`);
  process.stderr.write(`\n!! SKIPPING the WordPress suite (${suite}): ${reason}\n`);
  return reason;
}

/** A port nothing listens on right now (the OS picks it; it is released before use). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Poll `probe` until it returns a value other than undefined, or fail with `what` at the deadline. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${options.timeoutMs ?? 15_000} ms waiting for ${what}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}

export interface SiteOptions {
  port?: number;
  sidecarUrl?: string;
  token?: string;
  secret?: string;
  /** Also activate the stand-in Action Scheduler fixture before the bridge. */
  standInActionScheduler?: boolean;
  /** Activate the bridge plugin (default true); false gives a plain site. */
  bridge?: boolean;
}

export interface WordPressSite {
  readonly port: number;
  readonly url: string;
  /** The bridge's run route, as the sidecar's WP_CALLBACK_URL. */
  readonly runUrl: string;
  readonly database: string;
  readonly scratch: string;
  /** Run one allowed PHP function inside the site (wp-call.php) and return its JSON result. */
  call<T = unknown>(fn: string, args?: unknown[]): Promise<T>;
  /** Same, with what the call echoed. */
  callWithOutput<T = unknown>(fn: string, args?: unknown[]): Promise<{ result: T; output: string }>;
  /** An HTTP request to the site (path starts with `/`). */
  request(pathAndQuery: string, init?: RequestInit): Promise<Response>;
  /** WordPress's debug.log (PHP errors of every request and wp-call). */
  debugLog(): Promise<string>;
  /** What `php -S` printed (one line per request, and errors that escape WordPress). */
  serverOutput(): string;
  /** PHP fatal and parse errors in debug.log and the server output. */
  fatalErrors(): Promise<string[]>;
  /** Whether `php -S` is serving. */
  readonly serving: boolean;
  serve(): Promise<void>;
  stopServing(): Promise<void>;
  /** Stop serving, drop the database, remove the scratch folder and the site's config. */
  destroy(): Promise<void>;
}

interface Leftover {
  server: ChildProcess | null;
  scratch: string;
  port: number;
  database: string;
}

const leftovers = new Set<Leftover>();
let exitHandlerInstalled = false;

/** Synchronous last resort when the test process ends without `destroy()`. */
function cleanUpLeftovers(): void {
  for (const leftover of leftovers) {
    if (leftover.server?.pid !== undefined) {
      try {
        process.kill(-leftover.server.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    spawnSync('bash', [path.join(HARNESS_DIR, 'teardown-wordpress.sh'), leftover.scratch, String(leftover.port), '--db', leftover.database], { stdio: 'ignore', timeout: 10_000 });
    spawnSync('rm', ['-rf', leftover.scratch], { stdio: 'ignore' });
  }
  leftovers.clear();
}

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  process.once('exit', cleanUpLeftovers);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      cleanUpLeftovers();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

/** Whether any process of the group is still running (zombies waiting to be reaped do not count). */
function processGroupAlive(pgid: number): boolean {
  const listing = spawnSync('ps', ['-e', '-o', 'pgid=,stat='], { encoding: 'utf8' });
  if (listing.status !== 0) {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  }
  return listing.stdout.split('\n').some((line) => {
    const [group, stat] = line.trim().split(/\s+/);
    return Number(group) === pgid && stat !== undefined && !stat.startsWith('Z');
  });
}

async function runScript(script: string, args: string[], timeoutMs: number): Promise<string> {
  try {
    const { stdout } = await execFileAsync('bash', [path.join(HARNESS_DIR, script), ...args], {
      cwd: REPO_ROOT,
      timeout: timeoutMs,
      env: { ...process.env, WP_ROOT, WP_CONFIG_DIR },
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const failure = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`${script} ${args.join(' ')} failed: ${failure.message}\n${failure.stdout ?? ''}\n${failure.stderr ?? ''}`);
  }
}

/** Install a scratch site (database `wecoza_wp_<port>_<random>`) and start serving it. */
export async function createWordPressSite(options: SiteOptions = {}): Promise<WordPressSite> {
  installExitHandler();
  const port = options.port ?? (await freePort());
  const database = `wecoza_wp_${port}_${randomBytes(4).toString('hex')}`;
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'wecoza-wp-'));
  const url = `http://127.0.0.1:${port}`;
  const leftover: Leftover = { server: null, scratch, port, database };
  leftovers.add(leftover);

  const setupArgs = [scratch, String(port), '--db', database, '--admin-password', ADMIN_PASSWORD];
  if (options.sidecarUrl !== undefined) setupArgs.push('--sidecar-url', options.sidecarUrl);
  if (options.token !== undefined) setupArgs.push('--token', options.token);
  if (options.secret !== undefined) setupArgs.push('--secret', options.secret);
  if (options.standInActionScheduler) setupArgs.push('--stand-in-as');
  if (options.bridge === false) setupArgs.push('--no-bridge');
  try {
    await runScript('setup-wordpress.sh', setupArgs, 120_000);
  } catch (error) {
    cleanUpLeftovers();
    throw error;
  }

  let server: ChildProcess | null = null;
  let output = '';
  let exited: Promise<void> = Promise.resolve();

  const callWithOutput = async <T>(fn: string, args: unknown[] = []): Promise<{ result: T; output: string }> => {
    let stdout: string;
    try {
      ({ stdout } = await execFileAsync('php', [path.join(HARNESS_DIR, 'wp-call.php'), String(port), fn, JSON.stringify(args)], {
        cwd: REPO_ROOT,
        timeout: 60_000,
        env: { ...process.env, WP_ROOT },
        maxBuffer: 16 * 1024 * 1024,
      }));
    } catch (error) {
      const failure = error as Error & { stdout?: string; stderr?: string };
      throw new Error(`wp-call ${fn}(${JSON.stringify(args)}) failed: ${failure.message}\n${failure.stdout ?? ''}${failure.stderr ?? ''}`);
    }
    // The JSON line is the last one: anything before it was printed while WordPress loaded.
    const line = stdout.trim().split('\n').at(-1) ?? '';
    try {
      return JSON.parse(line) as { result: T; output: string };
    } catch {
      throw new Error(`wp-call ${fn} printed no JSON result:\n${stdout}`);
    }
  };

  const site: WordPressSite = {
    port,
    url,
    runUrl: `${url}/?rest_route=/wecoza-sidecar/v1/run`,
    database,
    scratch,
    async call<T>(fn: string, args: unknown[] = []) {
      return (await callWithOutput<T>(fn, args)).result;
    },
    callWithOutput,
    request: (pathAndQuery, init) => fetch(`${url}${pathAndQuery}`, { redirect: 'manual', ...init }),
    async debugLog() {
      try {
        return await readFile(path.join(scratch, 'debug.log'), 'utf8');
      } catch {
        return '';
      }
    },
    serverOutput: () => output,
    async fatalErrors() {
      const text = `${await site.debugLog()}\n${output}`;
      return text.split('\n').filter((line) => /PHP (Fatal|Parse) error|Uncaught /.test(line));
    },
    get serving() {
      return server !== null;
    },
    async serve() {
      if (server !== null) return;
      // Its own process group: the PHP master and its workers are ended together by signalling -pid.
      const child = spawn('bash', [path.join(HARNESS_DIR, 'serve-wordpress.sh'), String(port)], {
        cwd: REPO_ROOT,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, WP_ROOT, PHP_CLI_SERVER_WORKERS: '4' },
      });
      server = child;
      leftover.server = child;
      const keep = (chunk: Buffer): void => {
        output += chunk.toString();
        // Bounded: a long run prints a line per request.
        if (output.length > 2_000_000) output = output.slice(-1_000_000);
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      exited = new Promise((resolve) => child.once('exit', () => resolve()));
      await waitFor(`WordPress to answer on ${url}`, async () => {
        if (child.exitCode !== null) throw new Error(`php -S exited (${child.exitCode}):\n${output}`);
        const response = await fetch(`${url}/?rest_route=/`, { signal: AbortSignal.timeout(2_000) });
        await response.arrayBuffer();
        return response.status === 200 ? true : undefined;
      }, { timeoutMs: SERVE_DEADLINE_MS });
    },
    async stopServing() {
      const child = server;
      if (child === null || child.pid === undefined) return;
      const pgid = child.pid;
      try {
        process.kill(-pgid, 'SIGTERM');
      } catch {
        // Already gone.
      }
      const stopped = await Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), STOP_DEADLINE_MS))]);
      // The script may exit before its PHP workers do: wait for the whole group.
      const deadline = Date.now() + STOP_DEADLINE_MS;
      while (processGroupAlive(pgid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      if (!stopped || processGroupAlive(pgid)) {
        try {
          process.kill(-pgid, 'SIGKILL');
        } catch {
          // Already gone.
        }
        await exited;
      }
      server = null;
      leftover.server = null;
    },
    async destroy() {
      await site.stopServing();
      await runScript('teardown-wordpress.sh', [scratch, String(port), '--db', database], 30_000);
      await rm(scratch, { recursive: true, force: true });
      leftovers.delete(leftover);
    },
  };

  try {
    await site.serve();
  } catch (error) {
    await site.destroy().catch(() => undefined);
    throw error;
  }
  return site;
}

/** Cookies of a logged-in administrator, for requests to wp-admin. */
export async function logInAsAdmin(site: WordPressSite): Promise<string> {
  // WordPress refuses a login without its test cookie.
  const response = await site.request('/wp-login.php', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: 'wordpress_test_cookie=WP%20Cookie%20check' },
    body: new URLSearchParams({ log: ADMIN_USER, pwd: ADMIN_PASSWORD, 'wp-submit': 'Log In', redirect_to: `${site.url}/wp-admin/`, testcookie: '1' }).toString(),
  });
  await response.arrayBuffer();
  const cookies = response.headers.getSetCookie().map((cookie) => cookie.split(';')[0] as string).filter((cookie) => /^wordpress_logged_in_|^wordpress_[0-9a-f]+=/.test(cookie));
  if (response.status !== 302 || cookies.length < 2) throw new Error(`admin login failed: HTTP ${response.status}, cookies ${response.headers.getSetCookie().join(' | ')}`);
  return cookies.join('; ');
}
