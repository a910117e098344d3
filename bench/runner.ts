/**
 * `npm run bench:runner`: how fast the runner drains and how soon it starts actions, in one run, each
 * figure beside a raw `pg` baseline measured in the same run (figures, never a test).
 *
 * On PostgreSQL (BENCH_DATABASE_URL, else TEST_DATABASE_URL, else the local test database), in a schema
 * of its own, every cell on a freshly migrated schema, each engine in a child process of its own so its
 * peak RSS is its own:
 * 1. drain: 20,000 no-op actions enqueued beforehand; time from start until every one is complete;
 * 2. enqueue→start latency, p50/p99: actions enqueued by this (parent) process, as an API process would
 *    (insert, then the coalesced NOTIFY), started by the worker child; at light load (20/s) and at half
 *    the runner's measured drain rate;
 * 3. peak RSS of each child. The runner child is the real sidecar process (server/start.ts, as `npm start`
 *    runs it, role worker, with a no-op handler registered): Fastify, metrics and all, as deployed.
 * The baseline is the simplest correct SKIP LOCKED loop over the same table and indexes: claim a batch
 * (same size) in one UPDATE … FOR UPDATE SKIP LOCKED, run the no-ops, complete them with one UPDATE; no
 * logs, no leases renewed, no retries; when idle it polls every BASELINE_POLL_MS.
 * The embedded default (PGlite, one process) is measured the same way, load generated in-process.
 * The load average is printed before and after: on a shared machine the figures move with it.
 *
 * Tuning through the environment: RUNNER_BATCH_SIZE, RUNNER_CONCURRENCY, BENCH_FLUSH_MS,
 * BENCH_SETTLE_BATCH, BENCH_COUNT (20000), BENCH_LATENCY_SECONDS (10), BENCH_SKIP_PGLITE=1, BENCH_ONLY=drain
 * (the runner's drain alone, for tuning sweeps), BENCH_ONLY=pglite, BENCH_ONLY=pglite-drain (its embedded drain alone), BENCH_NODE_ARGS (e.g. --cpu-prof for the children).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createActionStore, insertActions, type NewAction } from '../server/actions/store.ts';
import { migrate } from '../server/db/migrator.ts';
import { createPgDatabase } from '../server/db/pg-adapter.ts';
import type { Database, DatabaseKind } from '../server/db/port.ts';
import { createEvents } from '../server/events.ts';
import { startWakeNotifier, wakeChannelFor } from '../server/runner/wakeups.ts';
import { exitOnceWritten, now, percentile, runBenchChild, serveUntilStopped, waitUntil } from './child-process.ts';

const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const COUNT = Number(process.env.BENCH_COUNT ?? 20_000);
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 10);
const LIGHT_RATE = 20;
const WARMUP_SECONDS = 1;
const BASELINE_POLL_MS = 5;
const HOOK = 'bench_noop';
const SCHEMA = `bench_runner_${process.pid}`;

interface Tuning {
  batchSize: number;
  concurrency: number;
  flushMs: number;
  settleBatch: number;
}

const TUNING: Tuning = {
  batchSize: Number(process.env.RUNNER_BATCH_SIZE ?? 25),
  concurrency: Number(process.env.RUNNER_CONCURRENCY ?? 32),
  flushMs: Number(process.env.BENCH_FLUSH_MS ?? 2),
  settleBatch: Number(process.env.BENCH_SETTLE_BATCH ?? 500),
};

type Engine = 'runner' | 'baseline';

interface ChildSpec {
  engine: Engine;
  kind: DatabaseKind;
  /** drain: run until `count` are complete; serve: run until told to stop (PGlite: generate load itself). */
  mode: 'drain' | 'serve';
  schema: string;
  dataDir?: string;
  count: number;
  rate?: number;
  tuning: Tuning;
}

export interface ChildResult {
  ms?: number;
  /** CPU time of the child (user + system) from the first start to the last completion, drain mode. */
  cpuMs?: number;
  starts?: Record<string, number>;
  enqueued?: Record<string, number>;
  rssMb: number;
}


function noopActions(count: number, offset = 0): NewAction[] {
  return Array.from({ length: count }, (_, i) => ({
    hook: HOOK,
    group: '',
    argsText: `[${offset + i}]`,
    priority: 10,
    unique: false,
    schedule: { type: 'async' },
    maxAttempts: 1,
  }));
}

export async function prefill(db: Database, count: number): Promise<void> {
  for (let done = 0; done < count; done += 1000) await insertActions(db, db.schema, noopActions(Math.min(1000, count - done), done));
}

async function openDatabase(spec: Pick<ChildSpec, 'kind' | 'schema' | 'dataDir'>, poolSize = 4): Promise<Database> {
  if (spec.kind === 'postgres') return createPgDatabase({ connectionString: DATABASE_URL, schema: spec.schema, poolSize });
  // Imported only here: the PGlite module alone adds ~40 MB to a process, which would skew the
  // baseline's RSS on PostgreSQL.
  const { createPgliteDatabase } = await import('../server/db/pglite-adapter.ts');
  await mkdir(spec.dataDir as string, { recursive: true });
  return createPgliteDatabase({ dataDir: path.join(spec.dataDir as string, 'pglite'), schema: spec.schema });
}

// ---------------------------------------------------------------------------------------------------
// The child: one engine, one cell. The runner engine is the real sidecar process (start.ts, as
// `npm start` runs it, with a no-op handler registered): its RSS is what a deployment sees.

/**
 * The simplest SKIP LOCKED claim-and-complete loop over the same table. It names its one hook, so its
 * claim reads the per-hook claim-order index (hook, priority, scheduled_at, id) in order, as the
 * runner's does; the table has no global claim-order index since fair claims.
 */
function startBaseline(db: Database, tuning: Tuning, onStart: (id: number) => void, onComplete: (n: number) => void): () => Promise<void> {
  const s = db.schema;
  const claim = `
    UPDATE ${s}.actions a SET status = 'in-progress', attempts = a.attempts + 1, claim_token = gen_random_uuid(),
      claimed_by = 'baseline', last_attempt_at = now(), lease_expires_at = now() + interval '30 seconds'
    FROM (SELECT id FROM ${s}.actions WHERE status = 'pending' AND hook = $2 AND scheduled_at <= now()
          ORDER BY priority, scheduled_at, id LIMIT $1 FOR UPDATE SKIP LOCKED) c
    WHERE a.id = c.id RETURNING a.id`;
  const complete = `
    UPDATE ${s}.actions SET status = 'complete', claim_token = NULL, lease_expires_at = NULL, finished_at = now()
    WHERE id = ANY ($1::bigint[])`;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const { rows } = await db.query<{ id: number }>(claim, [tuning.batchSize, HOOK], { prepare: true });
      if (rows.length === 0) {
        await new Promise((resolve) => setTimeout(resolve, BASELINE_POLL_MS));
        continue;
      }
      await Promise.all(rows.map(async (row) => onStart(row.id)));
      await db.query(complete, [rows.map((row) => row.id)], { prepare: true });
      onComplete(rows.length);
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}

interface RunningEngine {
  stop(): Promise<void>;
  /** Enqueue in this process (PGlite: the one process), waking the engine as an HTTP enqueue would. */
  enqueue(items: NewAction[]): Promise<number[]>;
}

async function startRunnerProcess(spec: ChildSpec, onStart: (id: number) => void, onComplete: (n: number) => void): Promise<RunningEngine> {
  const { startSidecar } = await import('../server/start.ts');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    SIDECAR_API_TOKEN: 'bench-runner-token-0123456789',
    SIDECAR_SCHEMA: spec.schema,
    NOTIFICATIONS_ENABLED: 'false',
    // warn by default: the drain without the one info line per run; BENCH_RUNNER_LOG_LEVEL=info measures it with.
    LOG_LEVEL: process.env.BENCH_RUNNER_LOG_LEVEL ?? 'warn',
    PORT: '0',
    RUNNER_BATCH_SIZE: String(spec.tuning.batchSize),
    RUNNER_CONCURRENCY: String(spec.tuning.concurrency),
    ...(spec.kind === 'postgres' ? { DATABASE_URL, SIDECAR_ROLE: 'worker' } : { DATA_DIR: spec.dataDir as string }),
  };
  const sidecar = await startSidecar({
    env,
    registerHandlers(registry) {
      registry.register({ hook: HOOK, run: async ({ action }) => onStart(action.id) });
    },
    runnerTimings: { flushIntervalMs: spec.tuning.flushMs, settleBatch: spec.tuning.settleBatch },
  });
  sidecar.app.sidecar.events.on('action:completed', () => onComplete(1));
  return {
    stop: () => sidecar.stop(),
    enqueue: async (items) => (await sidecar.app.sidecar.actions.enqueue(items)).map((r) => r.actionId),
  };
}

async function startBaselineProcess(spec: ChildSpec, onStart: (id: number) => void, onComplete: (n: number) => void): Promise<RunningEngine> {
  const db = await openDatabase(spec);
  const stopLoop = startBaseline(db, spec.tuning, onStart, onComplete);
  return {
    async stop() {
      await stopLoop();
      await db.close();
    },
    enqueue: async (items) => (await insertActions(db, db.schema, items)).map((r) => r.actionId),
  };
}

async function child(spec: ChildSpec): Promise<void> {
  const starts: Record<string, number> = {};
  const enqueued: Record<string, number> = {};
  let firstStart = Number.NaN;
  let cpuAtFirstStart: NodeJS.CpuUsage | undefined;
  let completed = 0;
  let allDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allDone = resolve));
  const onStart = (id: number): void => {
    const at = now();
    if (Number.isNaN(firstStart)) {
      firstStart = at;
      cpuAtFirstStart = process.cpuUsage();
    }
    starts[id] = at;
  };
  const onComplete = (n: number): void => {
    completed += n;
    if (spec.mode === 'drain' && completed >= spec.count) allDone();
  };
  const write = (value: object): void => void process.stdout.write(`${JSON.stringify(value)}\n`);

  const engine = spec.engine === 'runner' ? await startRunnerProcess(spec, onStart, onComplete) : await startBaselineProcess(spec, onStart, onComplete);

  if (spec.mode === 'drain') {
    await done;
    const ms = now() - firstStart;
    await engine.stop();
    // The drain's CPU, from the first start on (start-up and module loading left out).
    const cpu = process.cpuUsage(cpuAtFirstStart);
    write({ type: 'result', ms, rssMb: process.resourceUsage().maxRSS / 1024, cpuMs: (cpu.user + cpu.system) / 1000 });
    return;
  }
  if (spec.kind === 'pglite') {
    await generateLoad(spec.rate as number, spec.count, async (items, at, measured) => {
      const ids = await engine.enqueue(items);
      if (measured) for (const id of ids) enqueued[id] = at;
    });
    await waitUntil(() => Object.keys(enqueued).every((id) => starts[id] !== undefined), 30_000);
  } else await serveUntilStopped();
  await engine.stop();
  write({ type: 'result', starts, enqueued, rssMb: process.resourceUsage().maxRSS / 1024 });
}

/**
 * Enqueue at `rate` per second, in 10 ms ticks (one statement per tick): first WARMUP_SECONDS of load
 * that is not measured (connections, plans, JIT warm up), then `count` measured actions. `first` is the
 * sequence number of the tick's first item (its args are `[first]`, `[first + 1]` …).
 */
export async function generateLoad(rate: number, count: number, enqueue: (items: NewAction[], at: number, measured: boolean, first: number) => Promise<void>): Promise<void> {
  const tickMs = rate <= 100 ? 1000 / rate : 10;
  const perTick = rate <= 100 ? 1 : Math.max(1, Math.round((rate * tickMs) / 1000));
  const warmup = Math.round(rate * WARMUP_SECONDS);
  const total = warmup + count;
  const start = now();
  let sent = 0;
  for (let tick = 0; sent < total; tick++) {
    const due = start + tick * tickMs;
    const wait = due - now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const n = Math.min(perTick, total - sent);
    await enqueue(noopActions(n, sent), now(), sent >= warmup, sent);
    sent += n;
  }
}

// ---------------------------------------------------------------------------------------------------
// The parent: prepares each cell, runs the child, reads its result.

function runChild(spec: ChildSpec, whileReady?: () => Promise<void>): Promise<ChildResult> {
  return runBenchChild<ChildResult>(fileURLToPath(import.meta.url), `${spec.engine}/${spec.mode}`, spec, whileReady);
}

async function freshSchema(): Promise<Database> {
  const db = createPgDatabase({ connectionString: DATABASE_URL, schema: SCHEMA, poolSize: 4 });
  await db.query(`DROP SCHEMA IF EXISTS ${db.schema} CASCADE`);
  await migrate(db);
  return db;
}

export function latencies(result: ChildResult, enqueued: Record<string, number>): { p50: number; p99: number; n: number } {
  const values = Object.entries(result.starts ?? {})
    .map(([id, start]) => start - (enqueued[id] ?? Number.NaN))
    .filter((v) => Number.isFinite(v))
    .sort((a, b) => a - b);
  return { p50: percentile(values, 50), p99: percentile(values, 99), n: values.length };
}

export async function drainPostgres(engine: Engine): Promise<ChildResult & { rate: number }> {
  return drainSchema(engine, await prepareDrain(), COUNT);
}

/** A fresh schema holding COUNT due no-ops, analyzed: what a drain cell starts from. Answers the schema. */
export async function prepareDrain(): Promise<string> {
  const db = await freshSchema();
  await prefill(db, COUNT);
  await db.query('VACUUM ANALYZE ' + `${db.schema}.actions`);
  await db.close();
  return SCHEMA;
}

/** Drain `count` due no-op actions already in `schema` (bench/scale's million-row table): actions/s. */
export async function drainSchema(engine: Engine, schema: string, count: number): Promise<ChildResult & { rate: number }> {
  const result = await runChild({ engine, kind: 'postgres', mode: 'drain', schema, count, tuning: TUNING });
  return { ...result, rate: count / ((result.ms as number) / 1000) };
}

export async function latencyPostgres(engine: Engine, rate: number): Promise<{ p50: number; p99: number; n: number; rssMb: number }> {
  const db = await freshSchema();
  const events = createEvents();
  const stopNotifier = startWakeNotifier({ db, events, channel: wakeChannelFor(db.schema), senderId: 'bench-api', log: { info: () => undefined, warn: () => undefined, error: () => undefined } });
  const store = createActionStore({ db, events });
  const enqueued: Record<string, number> = {};
  const count = Math.max(50, Math.round(rate * LATENCY_SECONDS));
  const result = await runChild({ engine, kind: 'postgres', mode: 'serve', schema: SCHEMA, count, tuning: TUNING }, async () => {
    await generateLoad(rate, count, async (items, at, measured) => {
      const results = await store.enqueue(items);
      if (measured) for (const r of results) enqueued[r.actionId] = at;
    });
    // Let the last ones start.
    await waitUntil(() => false, 1_000);
  });
  stopNotifier();
  await db.close();
  return { ...latencies(result, enqueued), rssMb: result.rssMb };
}

/** The embedded database belongs to one process: this (parent) process fills it before the child opens it. */
async function preparePglite(dataDir: string, count: number): Promise<void> {
  const db = await openDatabase({ kind: 'pglite', schema: 'sidecar', dataDir });
  await migrate(db);
  await prefill(db, count);
  await db.close();
}

/** The embedded drain alone (BENCH_ONLY=pglite-drain), for sweeps over EMBEDDED_PG_SETTINGS and node flags. */
async function pgliteDrain(engine: Engine): Promise<{ rate: number; rssMb: number }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-runner-pglite-'));
  try {
    await preparePglite(path.join(dataDir, 'drain'), COUNT);
    const drain = await runChild({ engine, kind: 'pglite', mode: 'drain', schema: 'sidecar', dataDir: path.join(dataDir, 'drain'), count: COUNT, tuning: TUNING });
    return { rate: COUNT / ((drain.ms as number) / 1000), rssMb: drain.rssMb };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function pgliteCells(engine: Engine): Promise<{ rate: number; p50: number; p99: number; rssMb: number }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-runner-pglite-'));
  try {
    await preparePglite(path.join(dataDir, 'drain'), COUNT);
    await preparePglite(path.join(dataDir, 'light'), 0);
    const drain = await runChild({ engine, kind: 'pglite', mode: 'drain', schema: 'sidecar', dataDir: path.join(dataDir, 'drain'), count: COUNT, tuning: TUNING });
    const light = await runChild({ engine, kind: 'pglite', mode: 'serve', schema: 'sidecar', dataDir: path.join(dataDir, 'light'), count: LIGHT_RATE * LATENCY_SECONDS, rate: LIGHT_RATE, tuning: TUNING });
    const lat = latencies(light, light.enqueued ?? {});
    return { rate: COUNT / ((drain.ms as number) / 1000), p50: lat.p50, p99: lat.p99, rssMb: Math.max(drain.rssMb, light.rssMb) };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

const fmt = (value: number, digits = 1): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const ratio = (a: number, b: number): string => `${fmt(a / b, 2)}×`;

async function main(): Promise<void> {
  process.stdout.write(
    `bench:runner on ${new URL(DATABASE_URL).host} (${os.availableParallelism()} cores), ${COUNT} no-op actions; ` +
      `RUNNER_BATCH_SIZE=${TUNING.batchSize} RUNNER_CONCURRENCY=${TUNING.concurrency} flush=${TUNING.flushMs} ms settle batch=${TUNING.settleBatch}; ` +
      `load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n\n`,
  );
  if (process.env.BENCH_ONLY === 'pglite') return printPglite();
  if (process.env.BENCH_ONLY === 'pglite-drain') {
    const drain = await pgliteDrain('runner');
    process.stdout.write(`runner embedded drain: ${fmt(drain.rate, 0)} actions/s, peak RSS ${fmt(drain.rssMb, 0)} MB\n`);
    return;
  }
  const runnerDrain = await drainPostgres('runner');
  if (process.env.BENCH_ONLY === 'drain') {
    process.stdout.write(`runner drain: ${fmt(runnerDrain.rate, 0)} actions/s, peak RSS ${fmt(runnerDrain.rssMb, 0)} MB\n`);
    return;
  }
  const baselineDrain = await drainPostgres('baseline');
  const half = Math.round(runnerDrain.rate / 2);
  const runnerLight = await latencyPostgres('runner', LIGHT_RATE);
  const baselineLight = await latencyPostgres('baseline', LIGHT_RATE);
  const runnerHalf = await latencyPostgres('runner', half);
  const baselineHalf = await latencyPostgres('baseline', half);
  const rows: Array<[string, string, string, string]> = [
    [`drain ${COUNT} no-ops (actions/s)`, fmt(runnerDrain.rate, 0), fmt(baselineDrain.rate, 0), ratio(runnerDrain.rate, baselineDrain.rate)],
    [`start latency p50 at ${LIGHT_RATE}/s (ms)`, fmt(runnerLight.p50), fmt(baselineLight.p50), ratio(runnerLight.p50, baselineLight.p50)],
    [`start latency p99 at ${LIGHT_RATE}/s (ms)`, fmt(runnerLight.p99), fmt(baselineLight.p99), ratio(runnerLight.p99, baselineLight.p99)],
    [`start latency p50 at ${half}/s (ms)`, fmt(runnerHalf.p50), fmt(baselineHalf.p50), ratio(runnerHalf.p50, baselineHalf.p50)],
    [`start latency p99 at ${half}/s (ms)`, fmt(runnerHalf.p99), fmt(baselineHalf.p99), ratio(runnerHalf.p99, baselineHalf.p99)],
    [
      'peak RSS (MB)',
      fmt(Math.max(runnerDrain.rssMb, runnerLight.rssMb, runnerHalf.rssMb), 0),
      fmt(Math.max(baselineDrain.rssMb, baselineLight.rssMb, baselineHalf.rssMb), 0),
      ratio(Math.max(runnerDrain.rssMb, runnerLight.rssMb, runnerHalf.rssMb), Math.max(baselineDrain.rssMb, baselineLight.rssMb, baselineHalf.rssMb)),
    ],
  ];
  printTable('PostgreSQL', rows);
  process.stdout.write(`  samples: ${runnerLight.n}/${baselineLight.n} light, ${runnerHalf.n}/${baselineHalf.n} at half rate\n`);
  process.stdout.write(`  targets: >= 3000 actions/s ${runnerDrain.rate >= 3000 ? 'met' : 'MISSED'}; p99 <= 20 ms light ${runnerLight.p99 <= 20 ? 'met' : 'MISSED'}; RSS <= 200 MB ${Math.max(runnerDrain.rssMb, runnerLight.rssMb, runnerHalf.rssMb) <= 200 ? 'met' : 'MISSED'}\n\n`);

  if (process.env.BENCH_SKIP_PGLITE !== '1') await printPglite();
  process.stdout.write(`\nload average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
}

/** The bench's schema goes whatever happened (partial runs included). */
export async function dropBenchSchema(): Promise<void> {
  const cleanup = createPgDatabase({ connectionString: DATABASE_URL, schema: SCHEMA, poolSize: 1 });
  await cleanup.query(`DROP SCHEMA IF EXISTS ${cleanup.schema} CASCADE`);
  await cleanup.close();
}

async function printPglite(): Promise<void> {
  const runner = await pgliteCells('runner');
  const baseline = await pgliteCells('baseline');
  printTable('embedded PGlite (one process; load generated in-process)', [
    [`drain ${COUNT} no-ops (actions/s)`, fmt(runner.rate, 0), fmt(baseline.rate, 0), ratio(runner.rate, baseline.rate)],
    [`start latency p50 at ${LIGHT_RATE}/s (ms)`, fmt(runner.p50), fmt(baseline.p50), ratio(runner.p50, baseline.p50)],
    [`start latency p99 at ${LIGHT_RATE}/s (ms)`, fmt(runner.p99), fmt(baseline.p99), ratio(runner.p99, baseline.p99)],
    ['peak RSS (MB)', fmt(runner.rssMb, 0), fmt(baseline.rssMb, 0), ratio(runner.rssMb, baseline.rssMb)],
  ]);
}

function printTable(title: string, rows: Array<[string, string, string, string]>): void {
  const widths = [Math.max(...rows.map((r) => r[0].length), 30), 10, 10, 8];
  const line = (cells: string[]): string => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number))).join('  ');
  process.stdout.write(`${title}\n${line(['', 'runner', 'raw pg', 'ratio'])}\n`);
  for (const row of rows) process.stdout.write(`${line(row)}\n`);
}

/** Run only as the entry (npm run bench:runner, or this file as a child): bench/peers.ts imports it. */
const isEntry = path.resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url);
if (isEntry && process.argv[2] === 'child') {
  await child(JSON.parse(process.argv[3] as string) as ChildSpec);
  // The runner can leave a wake-up timer armed for a far-future action after stop() (a claim loop that
  // armed it while stopping): the child exits once it answered instead of waiting for that timer.
  exitOnceWritten();
} else if (isEntry) {
  try {
    await main();
  } finally {
    await dropBenchSchema();
  }
}
