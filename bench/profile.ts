/**
 * `npm run bench:profile`: where the drain's time goes (figures, never a test). Needs a PostgreSQL
 * with pg_stat_statements loaded, ideally a scratch cluster of its own on this machine so that its
 * processes' CPU can be read from /proc (never reconfigure a shared server for this):
 *
 *   initdb -D /tmp/pg -U postgres --auth=trust    (as the postgres user, /usr/lib/postgresql/15/bin)
 *   echo "port = 55432
 *   shared_preload_libraries = 'pg_stat_statements'
 *   pg_stat_statements.track = all" >> /tmp/pg/postgresql.conf
 *   pg_ctl -D /tmp/pg start; createdb -p 55432 perf; psql -p 55432 perf -c 'CREATE EXTENSION pg_stat_statements'
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:55432/perf npm run bench:profile
 *
 * For each cell (the sidecar's runner with LOG_LEVEL warn, the same with info as deployed, and
 * bench/runner's raw SKIP LOCKED loop), on BENCH_COUNT (20,000) prefilled no-ops: wall time, the
 * child's CPU (Node) beside the CPU of every process of the cluster (PostgreSQL: backends, WAL writer,
 * checkpointer), WAL bytes and records per action, log rows per action, the statements by total time
 * (calls, rows, mean, WAL), and the child's --cpu-prof grouped by where the code lives (pg, pino,
 * runner, events, node internals, GC).
 */
import { readdir, readFile, rm, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { summarizeCpuProfile } from './cpu-profile.ts';
import { dropBenchSchema, drainSchema, prepareDrain } from './runner.ts';

const DATABASE_URL = process.env.BENCH_DATABASE_URL;
const COUNT = Number(process.env.BENCH_COUNT ?? 20_000);
if (DATABASE_URL === undefined) throw new Error('bench:profile needs BENCH_DATABASE_URL (a cluster with pg_stat_statements: see the header)');

const out = (line: string): void => void process.stdout.write(`${line}\n`);
const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '—');

/**
 * CPU (ms) of the cluster, when its data directory is on this machine: utime + stime of the postmaster's
 * live children, plus the postmaster's own and what its exited children left in its cutime + cstime
 * (the drain's backends are gone by the time this is read).
 */
async function clusterCpuMs(dataDir: string | null): Promise<number> {
  if (dataDir === null) return Number.NaN;
  const postmaster = Number((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  const ticks = 100; // USER_HZ on Linux
  let total = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Fields after the command name (which may hold spaces, inside parentheses).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pid = Number(entry);
    const ppid = Number(fields[1]);
    if (pid !== postmaster && ppid !== postmaster) continue;
    const own = Number(fields[11]) + Number(fields[12]);
    const reaped = pid === postmaster ? Number(fields[13]) + Number(fields[14]) : 0;
    total += ((own + reaped) * 1000) / ticks;
  }
  return total;
}

interface Statement {
  query: string;
  calls: number;
  total_ms: number;
  mean_ms: number;
  rows: number;
  wal_bytes: number;
}

async function profileCell(admin: pg.Client, dataDir: string | null, label: string, engine: 'runner' | 'baseline', logLevel: string): Promise<void> {
  const schema = await prepareDrain();
  const profileDir = await mkdtemp(path.join(os.tmpdir(), 'bench-profile-'));
  process.env.BENCH_NODE_ARGS = `--cpu-prof --cpu-prof-dir=${profileDir}`;
  process.env.BENCH_RUNNER_LOG_LEVEL = logLevel;
  await admin.query('SELECT pg_stat_statements_reset()');
  const wal0 = (await admin.query<{ bytes: string; records: string; fpi: string }>('SELECT wal_bytes::text AS bytes, wal_records::text AS records, wal_fpi::text AS fpi FROM pg_stat_wal')).rows[0];
  const cpu0 = await clusterCpuMs(dataDir);
  const result = await drainSchema(engine, schema, COUNT);
  const cpu1 = await clusterCpuMs(dataDir);
  const wal1 = (await admin.query<{ bytes: string; records: string; fpi: string }>('SELECT wal_bytes::text AS bytes, wal_records::text AS records, wal_fpi::text AS fpi FROM pg_stat_wal')).rows[0];
  const logs = (await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".action_logs`)).rows[0]?.n ?? 0;
  const { rows: statements } = await admin.query<Statement>(
    `SELECT regexp_replace(query, '\\s+', ' ', 'g') AS query, calls::int, total_exec_time::float8 AS total_ms, mean_exec_time::float8 AS mean_ms,
            rows::int, wal_bytes::float8 AS wal_bytes
     FROM pg_stat_statements WHERE query NOT ILIKE '%pg_stat%' ORDER BY total_exec_time DESC LIMIT 12`,
  );
  const wallMs = result.ms as number;
  const pgCpu = cpu1 - cpu0;
  const nodeCpu = result.cpuMs ?? Number.NaN;
  const walBytes = Number(wal1?.bytes) - Number(wal0?.bytes);
  out(`\n== ${label}: ${fmt(result.rate)} actions/s (${fmt(wallMs)} ms wall for ${fmt(COUNT)})`);
  out(`  CPU: Node (the child) ${fmt(nodeCpu)} ms = ${fmt((nodeCpu / wallMs) * 100)}% of a core, ${fmt((nodeCpu * 1000) / COUNT)} µs per action`);
  out(`       PostgreSQL (every process of the cluster) ${fmt(pgCpu)} ms = ${fmt((pgCpu / wallMs) * 100)}% of a core, ${fmt((pgCpu * 1000) / COUNT)} µs per action`);
  out(`  WAL: ${fmt(walBytes / COUNT)} bytes per action (${fmt((Number(wal1?.records) - Number(wal0?.records)) / COUNT, 1)} records, ${fmt(Number(wal1?.fpi) - Number(wal0?.fpi))} full-page images in all)`);
  out(`  log rows: ${fmt(logs / COUNT, 2)} per action (the prefill's "action created" included)`);
  const statementTime = statements.reduce((sum, s) => sum + s.total_ms, 0);
  out(`  statements by execution time (${fmt(statementTime)} ms in all = ${fmt((statementTime / wallMs) * 100)}% of the wall time, summed over backends):`);
  out(`    ${'calls'.padStart(7)} ${'total ms'.padStart(9)} ${'mean ms'.padStart(8)} ${'rows/call'.padStart(9)} ${'WAL B/row'.padStart(9)}  statement`);
  for (const s of statements) {
    out(`    ${fmt(s.calls).padStart(7)} ${fmt(s.total_ms).padStart(9)} ${fmt(s.mean_ms, 3).padStart(8)} ${fmt(s.rows / Math.max(1, s.calls), 1).padStart(9)} ${fmt(s.wal_bytes / Math.max(1, s.rows)).padStart(9)}  ${s.query.slice(0, 110)}`);
  }
  const profiles = (await readdir(profileDir)).filter((name) => name.endsWith('.cpuprofile'));
  for (const name of profiles) {
    const summary = summarizeCpuProfile(JSON.parse(await readFile(path.join(profileDir, name), 'utf8')));
    out(`  --cpu-prof of the child (${fmt(summary.totalMs)} ms sampled over its whole life, start-up included), self time by where the code lives:`);
    for (const [group, ms] of summary.groups.slice(0, 12)) out(`    ${fmt(ms).padStart(7)} ms ${fmt((ms / summary.totalMs) * 100, 1).padStart(5)}%  ${group}`);
    out('    top functions (self):');
    for (const fn of summary.functions.slice(0, 15)) out(`    ${fmt(fn.ms).padStart(7)} ms  ${fn.name}`);
  }
  await rm(profileDir, { recursive: true, force: true });
}

const admin = new pg.Client({ connectionString: DATABASE_URL });
// A pg client whose server goes away emits 'error'; unheard, that event would end the process.
admin.on('error', (error) => process.stderr.write(`admin connection error: ${error.message}\n`));
await admin.connect();
try {
  const dataDir = await admin
    .query<{ d: string }>("SELECT current_setting('data_directory') AS d")
    .then(async ({ rows }) => ((await readFile(path.join(rows[0]?.d ?? '', 'postmaster.pid')).catch(() => null)) ? (rows[0]?.d ?? null) : null))
    .catch(() => null);
  out(`bench:profile  ${new Date().toISOString()}  ${new URL(DATABASE_URL).host}, ${fmt(COUNT)} no-ops per cell; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  if (dataDir === null) out('  (the cluster is not on this machine or its data directory is unreadable: no PostgreSQL CPU figures)');
  await profileCell(admin, dataDir, 'sidecar runner, LOG_LEVEL=warn (bench:runner as it runs)', 'runner', 'warn');
  await profileCell(admin, dataDir, 'sidecar runner, LOG_LEVEL=info (as deployed: one pino line per run)', 'runner', 'info');
  await profileCell(admin, dataDir, 'raw SKIP LOCKED loop (no logs, no leases renewed)', 'baseline', 'warn');
  out(`\nload average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (a shared machine: every figure is noisy)`);
} finally {
  await admin.end();
  await dropBenchSchema();
}
