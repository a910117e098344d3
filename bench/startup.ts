/**
 * `npm run bench:startup`: how long the sidecar takes from spawn until /healthz answers, and its
 * resident memory once idle, on PostgreSQL and on a fresh embedded DATA_DIR (figures, never a test).
 *
 * Each cell spawns the service as production runs it (`npm start`'s node command line, on dist/,
 * built first when missing, without npm in front) and, as the baseline in the same run, the way `npm start` ran it before the build
 * existed (`tsx server/main.ts`: a tsx wrapper process plus the Node process it starts). RSS is summed
 * over the whole process tree (the wrapper included), sampled every 250 ms for IDLE_SECONDS after
 * /healthz; "idle" is the last sample, "peak" the highest. PostgreSQL cells use a scratch schema
 * (dropped after) in BENCH_DATABASE_URL, else TEST_DATABASE_URL; "fresh" migrates an empty schema,
 * "warm" starts again on it. Embedded cells use a new temporary DATA_DIR each ("fresh": initdb and
 * migrations) and start again on it ("warm").
 *
 * Environment: BENCH_IDLE_SECONDS (15), BENCH_LAUNCHERS (dist,tsx; `dist` alone skips the baseline), BENCH_SKIP_POSTGRES=1.
 * Targets (issue 12): /healthz within 3 s on PostgreSQL and 8 s on a fresh embedded DATA_DIR; idle RSS
 * of the embedded service at most 250 MB.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort } from './sidecar-http.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 15);
const START_TIMEOUT_MS = 120_000;
const TOKEN = 'bench-startup-token-0123456789';

type Launcher = 'dist' | 'tsx';
type Kind = 'postgres' | 'pglite';

interface Cell {
  launcher: Launcher;
  kind: Kind;
  phase: 'fresh' | 'warm';
  healthzMs: number;
  idleMb: number;
  peakMb: number;
  processes: number;
}

/** The pid and every descendant's, read from /proc (Linux). */
function processTree(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i++) {
    const parent = all[i] as number;
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${parent}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      try {
        for (const child of readFileSync(`/proc/${parent}/task/${task}/children`, 'utf8').trim().split(/\s+/)) if (child !== '') all.push(Number(child));
      } catch {
        // the task ended while we read
      }
    }
  }
  return all;
}

function rssMbOf(pids: number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match) kb += Number(match[1]);
    } catch {
      // gone
    }
  }
  return kb / 1024;
}

function healthz(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    http
      .get({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (response) => {
        response.resume();
        resolve(response.statusCode === 200);
      })
      .on('error', () => resolve(false));
  });
}

/** `npm start`'s own command line (its node flags included), run without npm in front, as systemd does. */
function startCommand(): string[] {
  const scripts = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const words = (scripts.start ?? '').split(/\s+/).filter((word) => word !== '');
  if (words[0] !== 'node') throw new Error(`npm start does not run node: ${scripts.start}`);
  return words.slice(1);
}

function command(launcher: Launcher): [string, string[]] {
  if (launcher === 'dist') return [process.execPath, startCommand()];
  return [path.join(ROOT, 'node_modules/.bin/tsx'), ['server/main.ts']];
}

async function measure(launcher: Launcher, kind: Kind, phase: Cell['phase'], env: Record<string, string>): Promise<Cell> {
  const port = await freePort();
  const [file, args] = command(launcher);
  const started = performance.now();
  const child = spawn(file, args, {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', NOTIFY_PROCESS_INTERVAL: '0', ...env },
  });
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${launcher}/${kind} exited with ${child.exitCode}:\n${errors}`);
      if (await healthz(port)) break;
      if (performance.now() - started > START_TIMEOUT_MS) throw new Error(`${launcher}/${kind} did not answer /healthz:\n${errors}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const healthzMs = performance.now() - started;
    let peakMb = 0;
    let idleMb = 0;
    let processes = 0;
    const until = performance.now() + IDLE_SECONDS * 1000;
    while (performance.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const tree = processTree(child.pid as number);
      processes = tree.length;
      idleMb = rssMbOf(tree);
      peakMb = Math.max(peakMb, idleMb);
    }
    return { launcher, kind, phase, healthzMs, idleMb, peakMb, processes };
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  }
}

async function postgresCells(launcher: Launcher): Promise<Cell[]> {
  const schema = `bench_startup_${process.pid}_${launcher}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    const env = { DATABASE_URL, SIDECAR_SCHEMA: schema, SIDECAR_API_TOKEN: TOKEN, NOTIFICATIONS_ENABLED: 'false' };
    return [await measure(launcher, 'postgres', 'fresh', env), await measure(launcher, 'postgres', 'warm', env)];
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await admin.end();
  }
}

async function pgliteCells(launcher: Launcher): Promise<Cell[]> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sidecar-bench-startup-'));
  try {
    return [await measure(launcher, 'pglite', 'fresh', { DATA_DIR: dataDir }), await measure(launcher, 'pglite', 'warm', { DATA_DIR: dataDir })];
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function main(): Promise<void> {
  const launchers = (process.env.BENCH_LAUNCHERS ?? 'dist,tsx').split(',').filter((l): l is Launcher => l === 'dist' || l === 'tsx');
  if (launchers.includes('dist') && !existsSync(path.join(ROOT, 'dist/server/main.js'))) {
    process.stdout.write('building dist/ (npm run build)\n');
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  }
  process.stdout.write(`Node ${process.version}; load average ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}; idle window ${IDLE_SECONDS} s\n`);
  const cells: Cell[] = [];
  for (const launcher of launchers) {
    if (process.env.BENCH_SKIP_POSTGRES !== '1') cells.push(...(await postgresCells(launcher)));
    cells.push(...(await pgliteCells(launcher)));
  }
  process.stdout.write(`load average after ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}\n\n`);
  const rows = [['database', 'start', 'launcher', 'processes', '/healthz (ms)', 'idle RSS (MB)', 'peak RSS (MB)', 'healthz vs tsx', 'idle RSS vs tsx']];
  for (const cell of cells) {
    const base = cells.find((c) => c.launcher === 'tsx' && c.kind === cell.kind && c.phase === cell.phase);
    const ratio = (a: number, b: number | undefined): string => (b === undefined || cell.launcher === 'tsx' ? '' : `${(a / b).toFixed(2)} ×`);
    rows.push([
      cell.kind === 'postgres' ? 'PostgreSQL' : 'embedded PGlite',
      cell.phase,
      cell.launcher === 'dist' ? 'node dist/' : 'tsx (before)',
      String(cell.processes),
      fmt(cell.healthzMs),
      fmt(cell.idleMb),
      fmt(cell.peakMb),
      ratio(cell.healthzMs, base?.healthzMs),
      ratio(cell.idleMb, base?.idleMb),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  for (const row of rows) process.stdout.write(`${row.map((text, i) => text.padEnd(widths[i] as number)).join('  ')}\n`);
  const dist = cells.filter((c) => c.launcher === 'dist');
  const pgFresh = dist.find((c) => c.kind === 'postgres' && c.phase === 'fresh');
  const liteFresh = dist.find((c) => c.kind === 'pglite' && c.phase === 'fresh');
  const liteIdle = Math.max(...dist.filter((c) => c.kind === 'pglite').map((c) => c.idleMb));
  process.stdout.write('\ntargets: ');
  if (pgFresh) process.stdout.write(`PostgreSQL /healthz <= 3 s ${pgFresh.healthzMs <= 3000 ? 'met' : 'MISSED'}; `);
  if (liteFresh) process.stdout.write(`embedded /healthz <= 8 s ${liteFresh.healthzMs <= 8000 ? 'met' : 'MISSED'}; embedded idle RSS <= 250 MB ${liteIdle <= 250 ? 'met' : 'MISSED'}`);
  process.stdout.write('\n');
}

await main();
