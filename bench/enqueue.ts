/**
 * `npm run bench:enqueue`: how fast actions go in, on PostgreSQL, in one run (figures, never a test).
 *
 * 1. HTTP single enqueues/s (POST /v1/actions/async, small args, plain and unique) against the real
 *    sidecar started as a child process, over keep-alive HTTP, at a few client concurrencies;
 * 2. the same enqueue run directly through `pg` at the same concurrencies, on the same tables and
 *    indexes with a pool of the sidecar's size, two ways: through the store (`store.enqueue`, the exact
 *    path of the route minus HTTP, which merges concurrent single enqueues into one statement) and as
 *    one `insertActions` statement per enqueue; and the ratios HTTP / direct;
 * 3. batch enqueues/s, 1000 actions per request (POST /v1/actions/batch) and per statement (direct);
 * 4. the floor: a raw `pg` INSERT of the same rows into a plain table (no indexes, no digest, no logs).
 *
 * Each cell starts on truncated tables after a CHECKPOINT, warms up, then counts the operations that
 * complete inside the measured window; rows written are checked against the answers after each cell.
 * The cells run in rounds, every cell once per round, and a figure is the total over its rounds: on a
 * shared 2-core machine whose disk flushes vary by 3× from minute to minute, interleaving keeps a slow
 * minute from landing on one column only. Every unique enqueue has fresh args, so each one creates (the
 * cost measured is the check, not a block).
 *
 * Environment: BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/test), BENCH_ROUNDS (2),
 * BENCH_SECONDS (1.5 measured per cell and round), BENCH_WARMUP_SECONDS (0.5), BENCH_CONCURRENCY
 * (1,8,32,64), BENCH_BATCH_CONCURRENCY (1,2), BENCH_LOG_LEVEL (the sidecar's LOG_LEVEL, default info as
 * deployed), BENCH_KEEP_SCHEMA=1 to keep the schema.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createActionStore, insertActions, type ActionStore, type NewAction } from '../server/actions/store.ts';
import { loadConfig } from '../server/config.ts';
import { migrate } from '../server/db/migrator.ts';
import { createPgDatabase } from '../server/db/pg-adapter.ts';
import type { Database } from '../server/db/port.ts';
import { createEvents } from '../server/events.ts';
import { createHttpClient, freePort, startSidecar, type SidecarChild } from './sidecar-http.ts';

const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 1.5);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 0.5);
const CONCURRENCIES = (process.env.BENCH_CONCURRENCY ?? '1,8,32,64').split(',').map(Number);
const BATCH_CONCURRENCIES = (process.env.BENCH_BATCH_CONCURRENCY ?? '1,2').split(',').map(Number);
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'info';
const BATCH_SIZE = 1000;
export const TOKEN = `bench-${Date.now().toString(36)}-0123456789abcdef`;
const SCHEMA = `bench_enqueue_${process.pid}_${Date.now().toString(36)}`;

type Kind = 'plain' | 'unique';

export interface CellResult {
  /** Actions created inside the measured windows, and how long those lasted (s). */
  counted: number;
  seconds: number;
  /** Latency of each measured operation (ms). */
  latencies: number[];
  /** Actions created over the whole cell (warm-up included), as the answers said. */
  created: number;
}

/** Run `op` from `concurrency` loops: warm up, then count what completes inside the measured window. */
export async function runCell(concurrency: number, actionsPerOp: number, op: (n: number) => Promise<void>): Promise<CellResult> {
  let next = 0;
  let measuring = false;
  let stopped = false;
  let counted = 0;
  const latencies: number[] = [];
  const loop = async (): Promise<void> => {
    while (!stopped) {
      const started = performance.now();
      try {
        await op(next++);
      } catch (error) {
        stopped = true;
        throw error;
      }
      if (measuring && !stopped) {
        counted++;
        latencies.push(performance.now() - started);
      }
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  await sleep(WARMUP_SECONDS * 1000);
  measuring = true;
  const from = performance.now();
  await sleep(SECONDS * 1000);
  stopped = true;
  const seconds = (performance.now() - from) / 1000;
  await Promise.all(loops);
  return { counted: counted * actionsPerOp, seconds, latencies, created: next * actionsPerOp };
}

/** A cell's figures over all its rounds. */
export function summarize(runs: readonly CellResult[]): { rate: number; p50: number; p99: number } {
  const latencies = runs.flatMap((run) => run.latencies).sort((a, b) => a - b);
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  const counted = runs.reduce((sum, run) => sum + run.counted, 0);
  const seconds = runs.reduce((sum, run) => sum + run.seconds, 0);
  return { rate: counted / seconds, p50: at(0.5), p99: at(0.99) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------------
// The cells. Args are `[n]` with n fresh per action, the hook names the kind.

const hookOf = (kind: Kind): string => `bench.${kind}`;

function newAction(kind: Kind, n: number): NewAction {
  return { hook: hookOf(kind), group: '', argsText: `[${n}]`, priority: 10, unique: kind === 'unique', schedule: { type: 'async' }, maxAttempts: 1 };
}

function httpBody(kind: Kind, n: number, withType: boolean): string {
  return `{${withType ? '"type":"async",' : ''}"hook":"${hookOf(kind)}","args":[${n}]${kind === 'unique' ? ',"unique":true' : ''}}`;
}

function failure(what: string, status: number, text: string): Error {
  return new Error(`${what} answered ${status}: ${text.slice(0, 300)}`);
}

export function httpSingle(port: number, kind: Kind) {
  return async (concurrency: number): Promise<CellResult> => {
    const client = createHttpClient({ port, token: TOKEN, sockets: concurrency });
    try {
      return await runCell(concurrency, 1, async (n) => {
        const { status, text } = await client.post('/v1/actions/async', httpBody(kind, n, false));
        if (status !== 201) throw failure('POST /v1/actions/async', status, text);
      });
    } finally {
      client.close();
    }
  };
}

export function httpBatch(port: number, kind: Kind) {
  return async (concurrency: number): Promise<CellResult> => {
    const client = createHttpClient({ port, token: TOKEN, sockets: concurrency });
    try {
      return await runCell(concurrency, BATCH_SIZE, async (n) => {
        const items: string[] = [];
        for (let i = 0; i < BATCH_SIZE; i++) items.push(httpBody(kind, n * BATCH_SIZE + i, true));
        const { status, text } = await client.post('/v1/actions/batch', `{"actions":[${items.join(',')}]}`);
        if (status !== 200) throw failure('POST /v1/actions/batch', status, text);
        const { results } = JSON.parse(text) as { results: Array<{ action_id: number }> };
        if (results.length !== BATCH_SIZE || results.some((r) => !(r.action_id > 0))) throw failure('POST /v1/actions/batch', status, 'an item was not created');
      });
    } finally {
      client.close();
    }
  };
}

function directInsert(db: Database, kind: Kind, size: number) {
  return (concurrency: number): Promise<CellResult> =>
    runCell(concurrency, size, async (n) => {
      const items = Array.from({ length: size }, (_, i) => newAction(kind, n * size + i));
      const results = await insertActions(db, db.schema, items);
      if (results.some((r) => !(r.actionId > 0))) throw new Error('a direct insert was not created');
    });
}

function storeEnqueue(store: ActionStore, kind: Kind, size: number) {
  return (concurrency: number): Promise<CellResult> =>
    runCell(concurrency, size, async (n) => {
      const results = await store.enqueue(Array.from({ length: size }, (_, i) => newAction(kind, n * size + i)));
      if (results.some((r) => !(r.actionId > 0))) throw new Error('a store enqueue was not created');
    });
}

/** The floor: the same rows into a table with no index, no digest, no log, no uniqueness check. */
const floorTableDdl = (s: string): string => `
  CREATE TABLE ${s}.floor_actions (
    id bigserial, hook text, group_name text, args text, priority smallint, is_unique boolean, schedule_type text,
    schedule_interval integer, schedule_cron text, scheduled_at timestamptz, max_attempts integer,
    status text DEFAULT 'pending', created_at timestamptz DEFAULT now())`;

const FLOOR_COLUMNS = 'hook, group_name, args, priority, is_unique, schedule_type, schedule_interval, schedule_cron, scheduled_at, max_attempts';

/** One row: a plain VALUES insert (its generic plan is cached like any prepared single-row insert). */
const floorInsertOne = (s: string): string => `
  INSERT INTO ${s}.floor_actions (${FLOOR_COLUMNS})
  VALUES ($1::text, $2::text, $3::text, $4::smallint, $5::boolean, $6::text, $7::integer, $8::text,
          COALESCE(to_timestamp($9::float8), now()), $10::integer)
  RETURNING id`;

/** Many rows: one array per column, as insertActions binds them. */
const floorInsertMany = (s: string): string => `
  INSERT INTO ${s}.floor_actions (${FLOOR_COLUMNS})
  SELECT t.hook, t.group_name, t.args, t.priority, t.is_unique, t.schedule_type, t.schedule_interval, t.schedule_cron,
         COALESCE(to_timestamp(t.epoch), now()), t.max_attempts
  FROM unnest($1::text[], $2::text[], $3::text[], $4::smallint[], $5::boolean[], $6::text[], $7::integer[], $8::text[],
              $9::float8[], $10::integer[])
       AS t(hook, group_name, args, priority, is_unique, schedule_type, schedule_interval, schedule_cron, epoch, max_attempts)
  RETURNING id`;

function floorInsertCell(db: Database, size: number) {
  const text = size === 1 ? floorInsertOne(db.schema) : floorInsertMany(db.schema);
  return (concurrency: number): Promise<CellResult> =>
    runCell(concurrency, size, async (n) => {
      const items = Array.from({ length: size }, (_, i) => newAction('plain', n * size + i));
      const columns: unknown[][] = [
        items.map((a) => a.hook),
        items.map((a) => a.group),
        items.map((a) => a.argsText),
        items.map((a) => a.priority),
        items.map((a) => a.unique),
        items.map(() => 'async'),
        items.map(() => null),
        items.map(() => null),
        items.map(() => null),
        items.map((a) => a.maxAttempts),
      ];
      const values = size === 1 ? columns.map((column) => column[0]) : columns;
      const { rowCount } = await db.query(text, values, { prepare: true });
      if (rowCount !== size) throw new Error('a floor insert lost rows');
    });
}

// ---------------------------------------------------------------------------------------------------

async function resetTables(db: Database): Promise<void> {
  await db.query(`TRUNCATE ${db.schema}.action_logs, ${db.schema}.actions, ${db.schema}.floor_actions`);
  // Each cell starts with the same WAL position in the checkpoint cycle; needs pg_checkpoint or superuser.
  await db.query('CHECKPOINT').catch(() => undefined);
}

async function countRows(db: Database, floor: boolean): Promise<{ actions: number; logs: number }> {
  const s = db.schema;
  const text = floor
    ? `SELECT (SELECT count(*) FROM ${s}.floor_actions)::int AS actions, 0 AS logs`
    : `SELECT (SELECT count(*) FROM ${s}.actions)::int AS actions, (SELECT count(*) FROM ${s}.action_logs)::int AS logs`;
  return (await db.query<{ actions: number; logs: number }>(text)).rows[0] as { actions: number; logs: number };
}

const fmt = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
const ms = (n: number): string => (Number.isFinite(n) ? n.toFixed(n < 10 ? 2 : 1) : '—');
const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(2)}×` : '—');

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const poolSize = loadConfig({ ...process.env, DATABASE_URL, SIDECAR_SCHEMA: SCHEMA, SIDECAR_API_TOKEN: TOKEN }).databasePoolSize;
  const db = createPgDatabase({ connectionString: DATABASE_URL, schema: SCHEMA, poolSize, applicationName: 'bench-enqueue' });
  let sidecar: SidecarChild | null = null;
  process.on('SIGINT', () => {
    sidecar?.child.kill('SIGTERM');
    process.exit(130);
  });
  try {
    await migrate(db);
    await db.query(floorTableDdl(db.schema));
    const settings = (await db.query<{ v: string; f: string; s: string }>(`SELECT current_setting('server_version') AS v, current_setting('fsync') AS f, current_setting('synchronous_commit') AS s`)).rows[0];
    const port = await freePort();
    // Role api: only the HTTP side, so a runner never claims the rows being counted.
    sidecar = await startSidecar(port, {
      DATABASE_URL,
      SIDECAR_SCHEMA: SCHEMA,
      SIDECAR_API_TOKEN: TOKEN,
      SIDECAR_ROLE: 'api',
      RATE_LIMIT_MAX: '0',
      LOG_LEVEL,
    });

    const load = (): string => os.loadavg().map((l) => l.toFixed(1)).join(' ');
    process.stdout.write(
      `bench:enqueue  ${new Date().toISOString()}\n` +
        `  node ${process.version}, ${os.availableParallelism()} cores, PostgreSQL ${settings?.v} (fsync ${settings?.f}, synchronous_commit ${settings?.s}), schema ${SCHEMA}\n` +
        `  sidecar: node --import tsx server/main.ts, SIDECAR_ROLE=api, LOG_LEVEL=${LOG_LEVEL} (to /dev/null), RATE_LIMIT_MAX=0, pool ${poolSize}; direct: same pool size\n` +
        `  one warm-up pass of HTTP and direct enqueues first; then every cell: TRUNCATE + CHECKPOINT, ${WARMUP_SECONDS} s warm-up,\n` +
        `  ${SECONDS} s measured, × ${ROUNDS} interleaved rounds; unique enqueues all create (fresh args)\n` +
        `  load average at start: ${load()}\n\n`,
    );

    type Runner = (concurrency: number) => Promise<CellResult>;
    const runs = new Map<string, CellResult[]>();
    const measure = async (name: string, concurrency: number, run: Runner, floor: boolean): Promise<void> => {
      await resetTables(db);
      const result = await run(concurrency);
      const rows = await countRows(db, floor);
      if (rows.actions !== result.created || (!floor && rows.logs !== result.created)) {
        throw new Error(`${name} c=${concurrency}: answers said ${result.created} created, the tables hold ${rows.actions} actions and ${rows.logs} logs`);
      }
      const key = `${name}@${concurrency}`;
      runs.set(key, [...(runs.get(key) ?? []), result]);
      const { rate, p50, p99 } = summarize([result]);
      process.stderr.write(`  ${name.padEnd(14)} c=${String(concurrency).padEnd(3)} ${fmt(rate).padStart(9)} actions/s  p50 ${ms(p50)} ms  p99 ${ms(p99)} ms\n`);
    };

    const store = createActionStore({ db, events: createEvents() });
    const singles: Array<[string, Runner, boolean]> = [
      ['http plain', httpSingle(port, 'plain'), false],
      ['store plain', storeEnqueue(store, 'plain', 1), false],
      ['stmt plain', directInsert(db, 'plain', 1), false],
      ['http unique', httpSingle(port, 'unique'), false],
      ['store unique', storeEnqueue(store, 'unique', 1), false],
      ['stmt unique', directInsert(db, 'unique', 1), false],
      ['floor', floorInsertCell(db, 1), true],
    ];
    const batches: Array<[string, Runner, boolean]> = [
      ['http batch', httpBatch(port, 'plain'), false],
      ['direct batch', directInsert(db, 'plain', BATCH_SIZE), false],
      ['http batch u', httpBatch(port, 'unique'), false],
      ['direct batch u', directInsert(db, 'unique', BATCH_SIZE), false],
      ['floor batch', floorInsertCell(db, BATCH_SIZE), true],
    ];
    // A freshly started process runs its first thousands of requests unoptimised: warm both sides once.
    await httpSingle(port, 'plain')(8);
    await storeEnqueue(store, 'plain', 1)(8);
    for (let round = 1; round <= ROUNDS; round++) {
      process.stderr.write(`round ${round}/${ROUNDS}\n`);
      for (const c of CONCURRENCIES) for (const [name, run, floor] of singles) await measure(name, c, run, floor);
      for (const c of BATCH_CONCURRENCIES) for (const [name, run, floor] of batches) await measure(name, c, run, floor);
    }

    const get = (name: string, c: number) => summarize(runs.get(`${name}@${c}`) ?? []);
    const rate = (name: string, c: number): number => get(name, c).rate;
    const withLatency = (name: string, c: number): string => `${fmt(rate(name, c))} (${ms(get(name, c).p50)}/${ms(get(name, c).p99)})`;

    process.stdout.write('Single enqueues, actions/s (p50/p99 latency in ms)\n');
    process.stdout.write(
      `${table(
        ['conc', 'HTTP plain', 'direct store', 'direct stmt', 'HTTP/store', 'HTTP/stmt', 'HTTP unique', 'store', 'stmt', 'HTTP/store', 'HTTP/stmt', 'floor', 'stmt/floor'],
        CONCURRENCIES.map((c) => [
          String(c),
          withLatency('http plain', c),
          withLatency('store plain', c),
          withLatency('stmt plain', c),
          ratio(rate('http plain', c), rate('store plain', c)),
          ratio(rate('http plain', c), rate('stmt plain', c)),
          withLatency('http unique', c),
          fmt(rate('store unique', c)),
          fmt(rate('stmt unique', c)),
          ratio(rate('http unique', c), rate('store unique', c)),
          ratio(rate('http unique', c), rate('stmt unique', c)),
          fmt(rate('floor', c)),
          ratio(rate('stmt plain', c), rate('floor', c)),
        ]),
      )}\n` +
        '  HTTP         POST /v1/actions/async to the sidecar process, keep-alive, one socket per client loop\n' +
        "  direct store store.enqueue() in this process: the route's code minus HTTP (merges concurrent single enqueues)\n" +
        '  direct stmt  one insertActions statement per enqueue (no merging)\n' +
        '  floor        the same row into a table with no index, digest, log or uniqueness check\n\n',
    );
    process.stdout.write(`Batch enqueues, ${BATCH_SIZE} actions per request or statement, actions/s\n`);
    process.stdout.write(
      `${table(
        ['conc', 'HTTP plain', 'direct plain', 'HTTP/direct', 'HTTP unique', 'direct unique', 'HTTP/direct', 'floor', 'direct/floor', 'HTTP/floor'],
        BATCH_CONCURRENCIES.map((c) => [
          String(c),
          fmt(rate('http batch', c)),
          fmt(rate('direct batch', c)),
          ratio(rate('http batch', c), rate('direct batch', c)),
          fmt(rate('http batch u', c)),
          fmt(rate('direct batch u', c)),
          ratio(rate('http batch u', c), rate('direct batch u', c)),
          fmt(rate('floor batch', c)),
          ratio(rate('direct batch', c), rate('floor batch', c)),
          ratio(rate('http batch', c), rate('floor batch', c)),
        ]),
      )}\n\n`,
    );

    // The target is read two ways: against one statement per enqueue (the SQL of the route, as the issue
    // words it) and against store.enqueue (the same code minus HTTP, merging included), the stricter.
    const ratios = (direct: (c: number) => number, directUnique: (c: number) => number): number[] =>
      CONCURRENCIES.flatMap((c) => [rate('http plain', c) / direct(c), rate('http unique', c) / directUnique(c)]);
    const verdict = (values: number[], bar: number, show: (n: number) => string): string => {
      const worst = Math.min(...values);
      const best = Math.max(...values);
      return `${show(worst)}–${show(best)}: ${worst >= bar ? 'met in every cell' : best >= bar ? 'met in some cells only' : 'missed'}`;
    };
    const times = (n: number): string => `${n.toFixed(2)}×`;
    const vsStatement = ratios((c) => rate('stmt plain', c), (c) => rate('stmt unique', c));
    const vsStore = ratios((c) => rate('store plain', c), (c) => rate('store unique', c));
    const batchRates = BATCH_CONCURRENCIES.flatMap((c) => [rate('http batch', c), rate('http batch u', c)]);
    process.stdout.write(
      'Targets\n' +
        `  HTTP single ≥ 0.5 × direct (one statement per enqueue): ${verdict(vsStatement, 0.5, times)}\n` +
        `  HTTP single ≥ 0.5 × direct (store.enqueue, merging):    ${verdict(vsStore, 0.5, times)}\n` +
        `  batch ≥ 20,000 actions/s over HTTP:                     ${verdict(batchRates, 20_000, fmt)}\n` +
        `  load average at end: ${load()}\n`,
    );
  } finally {
    await sidecar?.stop();
    if (process.env.BENCH_KEEP_SCHEMA !== '1') await db.query(`DROP SCHEMA IF EXISTS ${db.schema} CASCADE`).catch(() => undefined);
    await db.close();
  }
}

/** Run only as the entry (npm run bench:enqueue): bench/peers.ts imports its cells. */
if (path.resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench:enqueue failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
