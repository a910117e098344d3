/**
 * `npm run bench:peers`: the sidecar beside pg-boss and graphile-worker on the same PostgreSQL, in
 * alternating rounds, with the same workloads (figures, never a test):
 * 1. drain: 20,000 no-op jobs enqueued beforehand; time from the first start until the last is
 *    finished in the database (the sidecar: bench/runner's runner cell, the real sidecar process);
 * 2. batch enqueue, 1,000 per call: the sidecar over HTTP (POST /v1/actions/batch), the peers in
 *    process (pg-boss `insert`, graphile `addJobs`);
 * 3. single enqueues, 16 in flight: the sidecar over HTTP (POST /v1/actions/async), the peers in
 *    process (pg-boss `send`, graphile `addJob`);
 * 4. enqueue→start latency, p50/p99, at 20/s and at half of each system's own drain rate of the
 *    round: jobs enqueued by this process, run by a worker child (as bench/runner does).
 * Every system runs at its best documented settings (bench/peer-queues.ts says which); each in a
 * schema of its own, dropped at the end whatever happened. A round runs every cell once, the order of
 * the systems rotating from round to round, so a noisy minute on a shared machine does not land on one
 * column only; a figure is printed as min–max (median) over the rounds, a ratio as the range of the
 * per-round ratios. The load average is printed before, per round and after.
 *
 * Environment: BENCH_DATABASE_URL (else TEST_DATABASE_URL), BENCH_ROUNDS (3), BENCH_COUNT (20000),
 * BENCH_LATENCY_SECONDS (10), BENCH_SECONDS (1.5 per enqueue cell), BENCH_ONLY=drain (drains only),
 * BENCH_PGBOSS_BATCH / BENCH_PGBOSS_WORKERS (pg-boss sweeps).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate } from '../server/db/migrator.ts';
import { createPgDatabase } from '../server/db/pg-adapter.ts';
import { exitOnceWritten, now, runBenchChild, serveUntilStopped, waitUntil } from './child-process.ts';
import { httpBatch, httpSingle, runCell, summarize, TOKEN } from './enqueue.ts';
import { dropPeerSchema, GRAPHILE_PRESET, openPeer, PEERS, PGBOSS_WORK, startPeerWorker, type PeerClient, type PeerName } from './peer-queues.ts';
import { drainPostgres, dropBenchSchema, generateLoad, latencies, latencyPostgres, type ChildResult } from './runner.ts';
import { freePort, startSidecar, type SidecarChild } from './sidecar-http.ts';

const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const COUNT = Number(process.env.BENCH_COUNT ?? 20_000);
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 10);
const LIGHT_RATE = 20;
const BATCH = 1000;
const SINGLE_CONCURRENCY = 16;
const SUFFIX = String(process.pid);
const API_SCHEMA = `bench_peers_api_${process.pid}`;
const ENTRY = fileURLToPath(import.meta.url);

type System = 'sidecar' | PeerName;
const SYSTEMS: readonly System[] = ['sidecar', ...PEERS];

interface WorkerSpec {
  peer: PeerName;
  /** The parent's schema suffix (its pid). */
  suffix: string;
  mode: 'drain' | 'serve';
  count: number;
}

// ---------------------------------------------------------------------------------------------------
// The child: one peer's worker, one cell (the sidecar's children are bench/runner's).

async function child(spec: WorkerSpec): Promise<void> {
  const starts: Record<string, number> = {};
  let firstStart = Number.NaN;
  let started = 0;
  const worker = await startPeerWorker(spec.peer, DATABASE_URL, spec.suffix, (n) => {
    const at = now();
    if (Number.isNaN(firstStart)) firstStart = at;
    starts[n] = at;
    started++;
  });
  const write = (value: object): void => void process.stdout.write(`${JSON.stringify(value)}\n`);
  if (spec.mode === 'drain') {
    await waitUntil(() => started >= spec.count, 600_000);
    // Finished means written: poll until the database holds no unfinished job.
    while ((await worker.unfinished()) > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const ms = now() - firstStart;
    await worker.stop();
    write({ type: 'result', ms, rssMb: process.resourceUsage().maxRSS / 1024 });
    return;
  }
  await serveUntilStopped();
  await worker.stop();
  write({ type: 'result', starts, rssMb: process.resourceUsage().maxRSS / 1024 });
}

// ---------------------------------------------------------------------------------------------------
// The cells, one function per workload, each for any system.

interface Context {
  peers: Map<PeerName, PeerClient>;
  api: { port: number; truncate(): Promise<void> };
}

const range = (first: number, count: number): number[] => Array.from({ length: count }, (_, i) => first + i);

async function drain(ctx: Context, system: System): Promise<number> {
  if (system === 'sidecar') return (await drainPostgres('runner')).rate;
  const peer = ctx.peers.get(system) as PeerClient;
  await peer.reset();
  for (let done = 0; done < COUNT; done += BATCH) await peer.insert(range(done, Math.min(BATCH, COUNT - done)));
  await peer.analyze();
  const result = await runBenchChild<ChildResult>(ENTRY, `${system}/drain`, { peer: system, suffix: SUFFIX, mode: 'drain', count: COUNT } satisfies WorkerSpec);
  return COUNT / ((result.ms as number) / 1000);
}

async function enqueueRate(ctx: Context, system: System, kind: 'batch' | 'single'): Promise<number> {
  if (system === 'sidecar') {
    await ctx.api.truncate();
    const cell = kind === 'batch' ? httpBatch(ctx.api.port, 'plain')(1) : httpSingle(ctx.api.port, 'plain')(SINGLE_CONCURRENCY);
    return summarize([await cell]).rate;
  }
  const peer = ctx.peers.get(system) as PeerClient;
  await peer.reset();
  const cell = kind === 'batch' ? runCell(1, BATCH, (n) => peer.insert(range(n * BATCH, BATCH))) : runCell(SINGLE_CONCURRENCY, 1, (n) => peer.send(n));
  return summarize([await cell]).rate;
}

async function latency(ctx: Context, system: System, rate: number): Promise<{ p50: number; p99: number }> {
  if (system === 'sidecar') return latencyPostgres('runner', rate);
  const peer = ctx.peers.get(system) as PeerClient;
  await peer.reset();
  const enqueued: Record<string, number> = {};
  const count = Math.max(50, Math.round(rate * LATENCY_SECONDS));
  const result = await runBenchChild<ChildResult>(ENTRY, `${system}/serve`, { peer: system, suffix: SUFFIX, mode: 'serve', count } satisfies WorkerSpec, async () => {
    await generateLoad(rate, count, async (items, at, measured, first) => {
      if (items.length === 1) await peer.send(first);
      else await peer.insert(range(first, items.length));
      if (measured) for (let i = 0; i < items.length; i++) enqueued[first + i] = at;
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  });
  return latencies(result, enqueued);
}

// ---------------------------------------------------------------------------------------------------
// The parent.

type Metric = 'drain' | 'batch' | 'single' | 'light p50' | 'light p99' | 'half p50' | 'half p99' | 'half rate';
const figures = new Map<string, number[]>();
const record = (metric: Metric, system: System, value: number): void => {
  const key = `${metric}|${system}`;
  figures.set(key, [...(figures.get(key) ?? []), value]);
};
const values = (metric: Metric, system: System): number[] => figures.get(`${metric}|${system}`) ?? [];

const load = (): string => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const out = (line: string): void => void process.stdout.write(`${line}\n`);
const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '—');

function median(list: number[]): number {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : (sorted[Math.floor((sorted.length - 1) / 2)] as number);
}

function spread(list: number[], digits: number, unit = ''): string {
  if (list.length === 0) return '—';
  const lo = Math.min(...list);
  const hi = Math.max(...list);
  return lo === hi ? `${fmt(lo, digits)}${unit}` : `${fmt(lo, digits)}–${fmt(hi, digits)}${unit} (${fmt(median(list), digits)})`;
}

/** The sidecar's figure over the peer's, round by round. */
function ratios(metric: Metric, peer: PeerName): number[] {
  const ours = values(metric, 'sidecar');
  const theirs = values(metric, peer);
  return ours.slice(0, theirs.length).map((value, i) => value / (theirs[i] as number));
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function round(ctx: Context, index: number): Promise<void> {
  const order = SYSTEMS.map((_, i) => SYSTEMS[(i + index) % SYSTEMS.length] as System);
  const log = (line: string): void => void process.stderr.write(`  ${line}\n`);
  process.stderr.write(`round ${index + 1}/${ROUNDS} (${order.join(', ')}), load average ${load()}\n`);
  const drained = new Map<System, number>();
  for (const system of order) {
    const rate = await drain(ctx, system);
    drained.set(system, rate);
    record('drain', system, rate);
    log(`${system.padEnd(16)} drain ${fmt(rate)} jobs/s`);
  }
  if (process.env.BENCH_ONLY === 'drain') return;
  for (const kind of ['batch', 'single'] as const) {
    for (const system of order) {
      const rate = await enqueueRate(ctx, system, kind);
      record(kind, system, rate);
      log(`${system.padEnd(16)} ${kind} enqueue ${fmt(rate)} jobs/s`);
    }
  }
  for (const system of order) {
    const light = await latency(ctx, system, LIGHT_RATE);
    const halfRate = Math.round((drained.get(system) as number) / 2);
    const half = await latency(ctx, system, halfRate);
    record('light p50', system, light.p50);
    record('light p99', system, light.p99);
    record('half rate', system, halfRate);
    record('half p50', system, half.p50);
    record('half p99', system, half.p99);
    log(`${system.padEnd(16)} start latency p50/p99 ${fmt(light.p50, 1)}/${fmt(light.p99, 1)} ms at ${LIGHT_RATE}/s, ${fmt(half.p50, 1)}/${fmt(half.p99, 1)} ms at ${fmt(halfRate)}/s`);
  }
}

function report(loadBefore: string): void {
  const rows: Array<[string, Metric, number]> = [
    [`drain ${fmt(COUNT)} no-ops (jobs/s)`, 'drain', 0],
    [`batch enqueue, ${fmt(BATCH)} per call (jobs/s)`, 'batch', 0],
    [`single enqueue, ${SINGLE_CONCURRENCY} in flight (jobs/s)`, 'single', 0],
    [`start latency p50 at ${LIGHT_RATE}/s (ms)`, 'light p50', 1],
    [`start latency p99 at ${LIGHT_RATE}/s (ms)`, 'light p99', 1],
    ['half of own drain rate (jobs/s)', 'half rate', 0],
    ['start latency p50 at half rate (ms)', 'half p50', 1],
    ['start latency p99 at half rate (ms)', 'half p99', 1],
  ];
  const shown = rows.filter(([, metric]) => values(metric, 'sidecar').length > 0);
  out(
    table(
      ['', 'sidecar', 'pg-boss', 'graphile-worker', 'sidecar ÷ pg-boss', 'sidecar ÷ graphile'],
      shown.map(([label, metric, digits]) => [
        label,
        spread(values(metric, 'sidecar'), digits),
        spread(values(metric, 'pg-boss'), digits),
        spread(values(metric, 'graphile-worker'), digits),
        spread(ratios(metric, 'pg-boss'), 2, '×'),
        spread(ratios(metric, 'graphile-worker'), 2, '×'),
      ]),
    ),
  );
  out('  figures: min–max (median) over the rounds; ratios: the range of the per-round ratios (for latency, below 1× is better)');
  out('  sidecar enqueues go over HTTP to the sidecar process; the peers enqueue in this process through their own client');
  const verdict = (list: number[], ok: (r: number) => boolean): string => (list.length === 0 ? 'not measured' : list.every(ok) ? 'met in every round' : list.some(ok) ? 'met in some rounds' : 'missed');
  out('\nTargets (issue 14)');
  out(`  drain ≥ 1.2× pg-boss:                      ${spread(ratios('drain', 'pg-boss'), 2, '×')}: ${verdict(ratios('drain', 'pg-boss'), (r) => r >= 1.2)}`);
  out(`  batch over HTTP ≥ 1.0× pg-boss insert:     ${spread(ratios('batch', 'pg-boss'), 2, '×')}: ${verdict(ratios('batch', 'pg-boss'), (r) => r >= 1)}`);
  out(`  single ≥ 1.5× pg-boss:                     ${spread(ratios('single', 'pg-boss'), 2, '×')}: ${verdict(ratios('single', 'pg-boss'), (r) => r >= 1.5)}`);
  out(`  start p99 ≤ graphile-worker's (${LIGHT_RATE}/s):      ${spread(ratios('light p99', 'graphile-worker'), 2, '×')}: ${verdict(ratios('light p99', 'graphile-worker'), (r) => r <= 1)}`);
  out(`  start p99 ≤ graphile-worker's (half rate): ${spread(ratios('half p99', 'graphile-worker'), 2, '×')}: ${verdict(ratios('half p99', 'graphile-worker'), (r) => r <= 1)}`);
  out(`\nload average before ${loadBefore}, after ${load()} (${os.availableParallelism()} cores: above ~2 the machine was busy and every figure is noisy)`);
}

async function main(): Promise<void> {
  const loadBefore = load();
  const versionOf = (name: string): string => (JSON.parse(readFileSync(path.join(ENTRY, '../../node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  const versions = { pgBoss: versionOf('pg-boss'), graphile: versionOf('graphile-worker') };
  out(`bench:peers  ${new Date().toISOString()}  node ${process.version}, ${os.availableParallelism()} cores, ${new URL(DATABASE_URL).host}, ${ROUNDS} rounds`);
  out(`  sidecar: bench/runner's cells (RUNNER_BATCH_SIZE=${process.env.RUNNER_BATCH_SIZE ?? 25}, RUNNER_CONCURRENCY=${process.env.RUNNER_CONCURRENCY ?? 32}) and an api process for the enqueues (LOG_LEVEL=info, as deployed)`);
  out(`  pg-boss ${versions.pgBoss}: work ${JSON.stringify(PGBOSS_WORK)}, queue notify + useListenNotify`);
  out(`  graphile-worker ${versions.graphile}: ${JSON.stringify(GRAPHILE_PRESET)}`);
  out(`  load average at start: ${loadBefore}\n`);

  const apiDb = createPgDatabase({ connectionString: DATABASE_URL, schema: API_SCHEMA, poolSize: 2 });
  const peers = new Map<PeerName, PeerClient>();
  let api: SidecarChild | null = null;
  try {
    await apiDb.query(`DROP SCHEMA IF EXISTS ${apiDb.schema} CASCADE`);
    await migrate(apiDb);
    const port = await freePort();
    api = await startSidecar(port, { DATABASE_URL, SIDECAR_SCHEMA: API_SCHEMA, SIDECAR_API_TOKEN: TOKEN, SIDECAR_ROLE: 'api', RATE_LIMIT_MAX: '0', LOG_LEVEL: 'info' });
    for (const peer of PEERS) peers.set(peer, await openPeer(peer, DATABASE_URL, SUFFIX));
    const ctx: Context = { peers, api: { port, truncate: async () => void (await apiDb.query(`TRUNCATE ${apiDb.schema}.action_logs, ${apiDb.schema}.actions`)) } };
    // A freshly started process runs its first thousands of calls unoptimised: one unmeasured pass each.
    for (const system of SYSTEMS) await enqueueRate(ctx, system, 'single');
    for (let i = 0; i < ROUNDS; i++) await round(ctx, i);
    out('');
    report(loadBefore);
  } finally {
    await api?.stop();
    for (const client of peers.values()) await client.close().catch(() => undefined);
    for (const peer of PEERS) await dropPeerSchema(peer, DATABASE_URL, SUFFIX).catch(() => undefined);
    await apiDb.query(`DROP SCHEMA IF EXISTS ${apiDb.schema} CASCADE`).catch(() => undefined);
    await apiDb.close();
    await dropBenchSchema();
  }
}

if (process.argv[2] === 'child') {
  await child(JSON.parse(process.argv[3] as string) as WorkerSpec);
  exitOnceWritten();
} else if (path.resolve(process.argv[1] ?? '') === ENTRY) {
  await main().catch((error: unknown) => {
    process.stderr.write(`bench:peers failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
