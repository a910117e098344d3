/**
 * `npm run bench:scale`: is the sidecar flat at a million rows? (figures, never a test)
 *
 * On PostgreSQL (BENCH_DATABASE_URL, else TEST_DATABASE_URL), in a schema of its own, dropped at the end:
 * 1. the table: 1,000,000 actions, 900,000 finished over the last 30 days (complete, with 2% failed
 *    and 1% canceled) with their three log lines each, and 100,000 pending over 1,000 hooks, due over
 *    the next 30 days; written with generate_series, then VACUUM ANALYZE;
 * 2. the EXPLAIN (ANALYZE, BUFFERS) of every hot statement, run on that table (writes inside a
 *    transaction that is rolled back), each flagged when its plan holds a sequential scan;
 * 3. over HTTP against the real sidecar process (role api, LOG_LEVEL info as deployed), one request
 *    in flight: has and next (a live match, a finished one, hook only), p50/p99; a list with hook +
 *    status filters, p50/p99; `GET /v1/hooks` (every hook's counts, 1,000+ hooks per answer), p50/p99;
 * 4. the claim+complete drain of 20,000 due no-ops added to that table, beside the same drain on an
 *    empty table in the same run (bench/runner's cells);
 * 5. the cleaner: one pass over the finished rows older than 21 days (~270,000 actions and their
 *    ~810,000 logs), its delete rate, and whether that rate keeps up with 1,000 completions/s when a
 *    pass runs every minute within its time budget.
 * Targets (issue 14): has/next p99 ≤ 5 ms, list p99 ≤ 50 ms, hooks ≤ 100 ms, drain ≥ 0.8× the empty
 * table's, cleaner ≥ 1,000 completions/s. On a shared machine every figure is noisy: the load average
 * is printed before and after.
 *
 * Environment: BENCH_ROWS (1000000; finished:pending stays 9:1), BENCH_REQUESTS (1000 per lookup cell),
 * BENCH_KEEP_SCHEMA=1 keeps the schema for a look with psql.
 */
import os from 'node:os';
import { createPgDatabase } from '../server/db/pg-adapter.ts';
import { migrate } from '../server/db/migrator.ts';
import type { Database } from '../server/db/port.ts';
import { createEvents } from '../server/events.ts';
import { cleanFinishedActions, CLEAN_BUDGET_MS } from '../server/runner/cleaner.ts';
import { DEFAULT_TIMINGS } from '../server/runner/timings.ts';
import { runnerStatements } from '../server/runner/sql.ts';
import { percentile } from './child-process.ts';
import { TOKEN } from './enqueue.ts';
import { drainPostgres, drainSchema, dropBenchSchema, prefill } from './runner.ts';
import { explainHotStatements } from './scale-explain.ts';
import { createHttpClient, freePort, startSidecar, type HttpClient, type SidecarChild } from './sidecar-http.ts';

const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const FINISHED = Math.round(ROWS * 0.9);
const PENDING = ROWS - FINISHED;
const HOOKS = 1_000;
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1_000);
const DRAIN = 20_000;
const HOOKS_REQUESTS = Math.max(20, Math.round(REQUESTS / 5));
const CLEAN_RETENTION_DAYS = 21;
const COMPLETIONS_PER_SECOND = 1_000;
const SCHEMA = `bench_scale_${process.pid}`;

const out = (line: string): void => void process.stdout.write(`${line}\n`);
const load = (): string => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '—');
const hookName = (i: number): string => `scale_hook_${String(i % HOOKS).padStart(4, '0')}`;

/** The million rows, in three statements; ids ascend with age so the finished ones come first. */
async function fill(db: Database): Promise<void> {
  const s = db.schema;
  await db.query(
    `INSERT INTO ${s}.actions (hook, group_name, args, args_digest, status, priority, is_unique, schedule_type, scheduled_at,
                               created_at, attempts, max_attempts, last_attempt_at, finished_at, last_error)
     SELECT 'scale_hook_' || lpad((g % ${HOOKS})::text, 4, '0'), 'wecoza-notifications', a.args, sha256(convert_to(a.args, 'UTF8')),
            st.status, 10, g % 2 = 0, 'async', t.at, t.at, CASE WHEN st.status = 'canceled' THEN 0 ELSE 1 END, 1,
            CASE WHEN st.status = 'canceled' THEN NULL ELSE t.at END, t.at + interval '1 second',
            CASE WHEN st.status = 'failed' THEN 'bench failure' END
     FROM generate_series(1, $1::int) AS g,
          LATERAL (SELECT '{"log_id":' || g || '}' AS args) a,
          LATERAL (SELECT CASE WHEN g % 50 = 0 THEN 'failed' WHEN g % 100 = 1 THEN 'canceled' ELSE 'complete' END AS status) st,
          LATERAL (SELECT now() - interval '30 days' + (g::float8 / $1::int) * interval '30 days' - interval '1 minute' AS at) t`,
    [FINISHED],
  );
  await db.query(
    `INSERT INTO ${s}.actions (hook, group_name, args, args_digest, priority, is_unique, schedule_type, scheduled_at, max_attempts)
     SELECT 'scale_hook_' || lpad((g % ${HOOKS})::text, 4, '0'), 'wecoza-notifications', a.args, sha256(convert_to(a.args, 'UTF8')),
            10, g % 2 = 0, 'single', now() + (g::float8 / $2::int) * interval '30 days' + interval '1 hour', 1
     FROM generate_series($1::int + 1, $1::int + $2::int) AS g, LATERAL (SELECT '{"log_id":' || g || '}' AS args) a`,
    [FINISHED, PENDING],
  );
  await db.query(
    `INSERT INTO ${s}.action_logs (action_id, message, created_at)
     SELECT a.id, m.message, COALESCE(a.finished_at, a.created_at)
     FROM ${s}.actions a
     CROSS JOIN LATERAL unnest(CASE WHEN a.status = 'pending' THEN ARRAY['action created']
                                    WHEN a.status = 'canceled' THEN ARRAY['action created', 'action canceled']
                                    ELSE ARRAY['action created', 'action started via Sidecar',
                                               CASE WHEN a.status = 'failed' THEN 'action failed via Sidecar: bench failure' ELSE 'action complete via Sidecar' END] END) AS m(message)
     ORDER BY a.id`,
  );
  await db.query(`VACUUM ANALYZE ${s}.actions`);
  await db.query(`VACUUM ANALYZE ${s}.action_logs`);
}

interface Timed {
  p50: number;
  p99: number;
  max: number;
  n: number;
}

/** `requests` calls one after another; each must answer 200. */
async function timeRequests(requests: number, call: (i: number) => Promise<{ status: number; text: string }>): Promise<Timed> {
  const times: number[] = [];
  for (let i = 0; i < requests; i++) {
    const started = performance.now();
    const { status, text } = await call(i);
    times.push(performance.now() - started);
    if (status !== 200) throw new Error(`request ${i} answered ${status}: ${text.slice(0, 300)}`);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), max: times[times.length - 1] as number, n: times.length };
}

async function httpCells(client: HttpClient): Promise<Array<[string, Timed, number]>> {
  // Deterministic spread over the hooks and over the rows: pending log_ids are FINISHED+1..ROWS.
  const pendingArgs = (i: number): string => encodeURIComponent(`{"log_id":${FINISHED + 1 + ((i * 7919) % PENDING)}}`);
  const finishedArgs = (i: number): string => encodeURIComponent(`{"log_id":${1 + ((i * 7919) % FINISHED)}}`);
  const pendingHook = (i: number): string => hookName(FINISHED + 1 + ((i * 7919) % PENDING));
  const finishedHook = (i: number): string => hookName(1 + ((i * 7919) % FINISHED));
  const group = 'group=wecoza-notifications';
  const warm = (path: (i: number) => string): Promise<Timed> => timeRequests(100, (i) => client.get(path(i + REQUESTS)));
  const cell = async (label: string, target: number, path: (i: number) => string): Promise<[string, Timed, number]> => {
    await warm(path);
    return [label, await timeRequests(REQUESTS, (i) => client.get(path(i))), target];
  };
  return [
    await cell('has, a live match (hook+group+args)', 5, (i) => `/v1/actions/has?hook=${pendingHook(i)}&${group}&args=${pendingArgs(i)}`),
    await cell('has, only finished matches', 5, (i) => `/v1/actions/has?hook=${finishedHook(i)}&${group}&args=${finishedArgs(i)}`),
    await cell('has, hook only', 5, (i) => `/v1/actions/has?hook=${hookName(i)}`),
    await cell('next, a live match (hook+group+args)', 5, (i) => `/v1/actions/next?hook=${pendingHook(i)}&${group}&args=${pendingArgs(i)}`),
    await cell('next, hook only', 5, (i) => `/v1/actions/next?hook=${hookName(i)}`),
    await cell('list hook + status=pending, 10 per page', 50, (i) => `/v1/actions?hook=${hookName(i)}&status=pending&per_page=10`),
    await cell('list hook + status=complete, 10 per page', 50, (i) => `/v1/actions?hook=${hookName(i)}&status=complete&per_page=10`),
    await cell('list hook + status=complete, page 50', 50, (i) => `/v1/actions?hook=${hookName(i)}&status=complete&per_page=10&offset=490`),
  ];
}

function printTimed(rows: Array<[string, Timed, number]>): void {
  const width = Math.max(...rows.map(([label]) => label.length));
  out(`${''.padEnd(width)}  ${'p50 ms'.padStart(7)}  ${'p99 ms'.padStart(7)}  ${'max ms'.padStart(7)}  target p99`);
  for (const [label, t, target] of rows) {
    out(`${label.padEnd(width)}  ${fmt(t.p50, 2).padStart(7)}  ${fmt(t.p99, 2).padStart(7)}  ${fmt(t.max, 1).padStart(7)}  ≤ ${target} ms ${t.p99 <= target ? 'met' : 'MISSED'}`);
  }
}

async function main(): Promise<void> {
  const loadBefore = load();
  out(`bench:scale  ${new Date().toISOString()}  node ${process.version}, ${os.availableParallelism()} cores, ${new URL(DATABASE_URL).host}`);
  out(`  ${fmt(ROWS)} actions: ${fmt(FINISHED)} finished with their logs, ${fmt(PENDING)} pending over ${fmt(HOOKS)} hooks; load average ${loadBefore}\n`);
  const db = createPgDatabase({ connectionString: DATABASE_URL, schema: SCHEMA, poolSize: 2, applicationName: 'bench-scale' });
  let sidecar: SidecarChild | null = null;
  try {
    await db.query(`DROP SCHEMA IF EXISTS ${db.schema} CASCADE`);
    await migrate(db);
    let started = Date.now();
    await fill(db);
    const sizes = (await db.query<{ actions: string; logs: string }>(`SELECT pg_size_pretty(pg_total_relation_size('${db.schema}.actions')) AS actions, pg_size_pretty(pg_total_relation_size('${db.schema}.action_logs')) AS logs`)).rows[0];
    out(`filled in ${fmt((Date.now() - started) / 1000, 1)} s: actions ${sizes?.actions}, action_logs ${sizes?.logs} (tables + indexes)\n`);

    // The drain's 20,000 due no-ops go in first, so the claim and settle plans below see due work.
    await prefill(db, DRAIN);
    await db.query(`ANALYZE ${db.schema}.actions`);
    out('EXPLAIN (ANALYZE, BUFFERS) of the hot statements on this table');
    const flagged = await explainHotStatements(db, { hook: hookName(42), finishedArgs: '{"log_id":43}', pendingArgs: `{"log_id":${FINISHED + 43}}`, retentionDays: CLEAN_RETENTION_DAYS }, out);
    out(flagged.length === 0 ? 'no sequential scan on the actions or logs tables in any hot statement\n' : `SEQUENTIAL SCANS in: ${flagged.join('; ')}\n`);

    const port = await freePort();
    sidecar = await startSidecar(port, { DATABASE_URL, SIDECAR_SCHEMA: SCHEMA, SIDECAR_API_TOKEN: TOKEN, SIDECAR_ROLE: 'api', RATE_LIMIT_MAX: '0', LOG_LEVEL: 'info' });
    const client = createHttpClient({ port, token: TOKEN, sockets: 1 });
    out(`HTTP, one request in flight, ${fmt(REQUESTS)} requests per cell after 100 unmeasured`);
    printTimed(await httpCells(client));
    // The per-hook view: one statement over every pending row and the day's failures, 1,000+ hooks in the answer.
    const listed = (JSON.parse((await client.get('/v1/hooks')).text) as { hooks: unknown[] }).hooks.length;
    await timeRequests(10, () => client.get('/v1/hooks'));
    out(`GET /v1/hooks lists ${fmt(listed)} hooks; ${fmt(HOOKS_REQUESTS)} requests after 10 unmeasured`);
    printTimed([['GET /v1/hooks', await timeRequests(HOOKS_REQUESTS, () => client.get('/v1/hooks')), 100]]);
    client.close();
    await sidecar.stop();
    sidecar = null;

    out(`\nclaim+complete drain of ${fmt(DRAIN)} no-ops (bench/runner's runner child, the real sidecar process)`);
    const big = await drainSchema('runner', SCHEMA, DRAIN);
    const empty = await drainPostgres('runner');
    const ratio = big.rate / empty.rate;
    out(`  on the ${fmt(ROWS)}-row table: ${fmt(big.rate)} actions/s; on an empty table: ${fmt(empty.rate)} actions/s → ${ratio.toFixed(2)}× (target ≥ 0.80×: ${ratio >= 0.8 ? 'met' : 'MISSED'})`);

    out(`\ncleaner: one pass over the finished actions older than ${CLEAN_RETENTION_DAYS} days, with their logs (ON DELETE CASCADE)`);
    started = Date.now();
    const result = await cleanFinishedActions({
      db,
      sql: runnerStatements(db.schema),
      events: createEvents(),
      config: { retentionCompleteDays: CLEAN_RETENTION_DAYS, retentionCanceledDays: CLEAN_RETENTION_DAYS, retentionFailedDays: CLEAN_RETENTION_DAYS },
      retentionOverrides: () => new Map(),
      budgetMs: 10 * 60_000,
    });
    const seconds = (Date.now() - started) / 1000;
    const rate = result.deleted / seconds;
    // A pass runs every cleanerIntervalMs and stops after CLEAN_BUDGET_MS; what it deletes meanwhile is what it sustains.
    const sustained = (rate * CLEAN_BUDGET_MS) / DEFAULT_TIMINGS.cleanerIntervalMs;
    out(`  deleted ${fmt(result.deleted)} actions in ${fmt(seconds, 1)} s → ${fmt(rate)} actions/s (and ~3× as many log rows)`);
    out(
      `  one pass every ${DEFAULT_TIMINGS.cleanerIntervalMs / 1000} s within its ${CLEAN_BUDGET_MS / 1000} s budget sustains ${fmt(sustained)} completions/s ` +
        `(target ≥ ${fmt(COMPLETIONS_PER_SECOND)}/s: ${sustained >= COMPLETIONS_PER_SECOND ? 'met' : 'MISSED'})`,
    );
    out(`\nload average before ${loadBefore}, after ${load()} (${os.availableParallelism()} cores; figures taken on a shared machine are noisy)`);
  } finally {
    await sidecar?.stop();
    if (process.env.BENCH_KEEP_SCHEMA !== '1') await db.query(`DROP SCHEMA IF EXISTS ${db.schema} CASCADE`).catch(() => undefined);
    await db.close();
    await dropBenchSchema();
  }
}

await main().catch((error: unknown) => {
  process.stderr.write(`bench:scale failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
