/**
 * The two peers of bench/peers.ts behind one small interface: pg-boss and graphile-worker, each in a
 * schema of its own, each at the settings its documentation gives for throughput and latency:
 * - pg-boss: a queue with `notify` and `useListenNotify` on the worker (woken by NOTIFY rather than
 *   its 2 s poll), `batchSize` 500 with `burstWhenBatchFull` (fetch again at once while batches come
 *   back full), `localConcurrency` 4 (workers per process), maintenance and cron off in the bench
 *   processes (they would only add background queries);
 * - graphile-worker: its performance page's preset: `concurrentJobs` 24, `maxPoolSize` 25, a local
 *   queue of 500, completion and failure batching with a 0 ms delay.
 * A job's payload is `{ n }`, the load generator's sequence number: the worker reports when job n
 * started, the parent knows when it was enqueued.
 */
import { Logger, makeWorkerUtils, run, runMigrations, type WorkerUtils } from 'graphile-worker';
import pg from 'pg';
import { PgBoss } from 'pg-boss';

export type PeerName = 'pg-boss' | 'graphile-worker';
export const PEERS: readonly PeerName[] = ['pg-boss', 'graphile-worker'];

const QUEUE = 'bench_noop';

/** BENCH_PGBOSS_BATCH and BENCH_PGBOSS_WORKERS override the two sizes, for tuning sweeps. */
export const PGBOSS_WORK = {
  batchSize: Number(process.env.BENCH_PGBOSS_BATCH ?? 500),
  localConcurrency: Number(process.env.BENCH_PGBOSS_WORKERS ?? 4),
  burstWhenBatchFull: true,
  pollingIntervalSeconds: 0.5,
};
export const GRAPHILE_PRESET = { concurrentJobs: 24, maxPoolSize: 25, localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } as const;

/** The peer as the producing (parent) process sees it. */
export interface PeerClient {
  readonly name: PeerName;
  /** One job per call: pg-boss `send`, graphile `addJob`. */
  send(n: number): Promise<void>;
  /** Many jobs in one call: pg-boss `insert`, graphile `addJobs`. */
  insert(ns: readonly number[]): Promise<void>;
  /** Jobs not finished yet (graphile deletes a finished job; pg-boss keeps it as completed). */
  unfinished(): Promise<number>;
  /** Empty the job table between cells, and refresh its statistics. */
  reset(): Promise<void>;
  /** Refresh the job table's statistics after a prefill, as bench/runner does for the sidecar. */
  analyze(): Promise<void>;
  close(): Promise<void>;
}

/** The peer as a worker (child) process runs it. */
export interface PeerWorker {
  unfinished(): Promise<number>;
  stop(): Promise<void>;
}

const quiet = new Logger(() => (level, message) => {
  if (level === 'error') process.stderr.write(`graphile-worker: ${message}\n`);
});

function schemaName(peer: PeerName, suffix: string): string {
  return `bench_peer_${peer === 'pg-boss' ? 'pgboss' : 'graphile'}_${suffix}`;
}

function unfinishedText(peer: PeerName, schema: string): string {
  return peer === 'pg-boss'
    ? `SELECT count(*)::int AS n FROM "${schema}".job WHERE name = '${QUEUE}' AND state <> 'completed'`
    : `SELECT count(*)::int AS n FROM "${schema}"._private_jobs`;
}

async function countUnfinished(pool: pg.Pool, peer: PeerName, schema: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(unfinishedText(peer, schema));
  return rows[0]?.n ?? 0;
}

function newPgBoss(connectionString: string, schema: string, listen: boolean): PgBoss {
  const boss = new PgBoss({ connectionString, schema, supervise: false, schedule: false, migrate: !listen, useListenNotify: listen });
  boss.on('error', (error: unknown) => process.stderr.write(`pg-boss: ${String(error)}\n`));
  return boss;
}

/**
 * A pg client whose server goes away emits 'error', and an unheard 'error' ends the process; the pool
 * listens for idle clients only, so checked-out ones get their own listener.
 */
function listenForErrors(pool: pg.Pool): pg.Pool {
  const report = (error: Error): void => void process.stderr.write(`peer pool connection error: ${error.message}\n`);
  pool.on('error', report);
  pool.on('connect', (client) => client.on('error', report));
  return pool;
}

/** Create the peer's schema (its own migrations) and a producer over it. */
export async function openPeer(peer: PeerName, connectionString: string, suffix: string): Promise<PeerClient & { schema: string }> {
  const schema = schemaName(peer, suffix);
  const pool = listenForErrors(new pg.Pool({ connectionString, max: 2 }));
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  const table = peer === 'pg-boss' ? `"${schema}".job` : `"${schema}"._private_jobs`;
  const analyze = async (): Promise<void> => void (await pool.query(`VACUUM ANALYZE ${table}`));
  const reset = async (): Promise<void> => {
    await pool.query(peer === 'pg-boss' ? `TRUNCATE ${table}` : `DELETE FROM ${table}`);
    await analyze();
  };
  const unfinished = (): Promise<number> => countUnfinished(pool, peer, schema);
  if (peer === 'pg-boss') {
    const boss = newPgBoss(connectionString, schema, false);
    await boss.start();
    await boss.createQueue(QUEUE, { notify: true });
    return {
      name: peer,
      schema,
      send: async (n) => void (await boss.send(QUEUE, { n })),
      insert: async (ns) => void (await boss.insert(QUEUE, ns.map((n) => ({ data: { n } })))),
      unfinished,
      reset,
      analyze,
      async close() {
        await boss.stop({ graceful: false });
        await pool.end();
      },
    };
  }
  await runMigrations({ connectionString, schema, logger: quiet });
  const utils: WorkerUtils = await makeWorkerUtils({ connectionString, schema, logger: quiet });
  return {
    name: peer,
    schema,
    send: async (n) => void (await utils.addJob(QUEUE, { n })),
    insert: async (ns) => void (await utils.addJobs(ns.map((n) => ({ identifier: QUEUE, payload: { n } })))),
    unfinished,
    reset,
    analyze,
    async close() {
      await utils.release();
      await pool.end();
    },
  };
}

export async function dropPeerSchema(peer: PeerName, connectionString: string, suffix: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  client.on('error', (error) => process.stderr.write(`peer client connection error: ${error.message}\n`));
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schemaName(peer, suffix)}" CASCADE`);
  await client.end();
}

/** Start the peer's worker over an existing schema; `onStart(n)` is its no-op job. */
export async function startPeerWorker(peer: PeerName, connectionString: string, suffix: string, onStart: (n: number) => void): Promise<PeerWorker> {
  const schema = schemaName(peer, suffix);
  const pool = listenForErrors(new pg.Pool({ connectionString, max: 1 }));
  const unfinished = (): Promise<number> => countUnfinished(pool, peer, schema);
  if (peer === 'pg-boss') {
    const boss = newPgBoss(connectionString, schema, true);
    await boss.start();
    await boss.work<{ n: number }>(QUEUE, PGBOSS_WORK, async (jobs) => {
      for (const job of jobs) onStart(job.data.n);
    });
    return {
      unfinished,
      async stop() {
        await boss.stop({ graceful: true, timeout: 5_000 });
        await pool.end();
      },
    };
  }
  const runner = await run({
    connectionString,
    schema,
    logger: quiet,
    noHandleSignals: true,
    concurrency: GRAPHILE_PRESET.concurrentJobs,
    maxPoolSize: GRAPHILE_PRESET.maxPoolSize,
    taskList: { [QUEUE]: async (payload) => onStart((payload as { n: number }).n) },
    preset: { worker: { localQueue: GRAPHILE_PRESET.localQueue, completeJobBatchDelay: GRAPHILE_PRESET.completeJobBatchDelay, failJobBatchDelay: GRAPHILE_PRESET.failJobBatchDelay } },
  });
  return {
    unfinished,
    async stop() {
      await runner.stop();
      await pool.end();
    },
  };
}
