import os from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.ts';
import type { Database, ListenHandle } from '../db/port.ts';
import type { SidecarEvents } from '../events.ts';
import { createCapacity, type Capacity } from './capacity.ts';
import { createClaimLoop, type ClaimLoop } from './claim-loop.ts';
import { cleanFinishedActions, type CleanResult } from './cleaner.ts';
import { startEmbeddedMaintenance } from './embedded-maintenance.ts';
import { createExecutor, type Executor } from './executor.ts';
import { SILENT_LOGGER } from './handler-context.ts';
import type { HandlerContext, HandlerLogger, HandlerRegistry } from './handlers.ts';
import type { HookPolicies } from '../hook-policies.ts';
import { reapExpiredLeases, startHeartbeat } from './leases.ts';
import { createMaintenance, type Maintenance } from './maintenance.ts';
import { createPauseGate, type PauseGate } from './pause-gate.ts';
import { createPauseStore } from '../pauses/store.ts';
import '../pauses/events.ts';
import { createExecutionPool, type ExecutionPool } from './pool.ts';
import type { ClaimedActionRow } from './rows.ts';
import { createRunRegistry, type RunRegistry } from './run-registry.ts';
import { createSettler, type Settler } from './settler.ts';
import { runnerStatements, type RunnerStatements } from './sql.ts';
import { DEFAULT_TIMINGS, type RunnerTimings } from './timings.ts';
import { createWakeSignal, listenForWakeups, wakeChannelFor, type WakeSignal } from './wakeups.ts';
import { createWordPressDispatch } from './wordpress-dispatch.ts';

/**
 * The runner: claims due actions, runs them, writes what happened. This module is its lifecycle; the
 * parts are the run registry (run-registry.ts: what runs, and its outcome), the executor
 * (executor.ts), the claim loop (claim-loop.ts), the batched writer (settler.ts), leases (leases.ts)
 * and wake-ups (wakeups.ts). PostgreSQL is the only source of truth: a process that dies with work in
 * its pool loses nothing, its leases expire and the reaper hands the actions to someone else.
 *
 * States: `created` → `running` (start) → `stopping` (stop) → `stopped`; a runner stopped before it
 * started goes through `stopping` too. /run works in `created` and `running` (tests drive it without
 * the loop); start() acts only in `created`, stop() once.
 */
export type { RunnerTimings } from './timings.ts';

export type RunnerState = 'created' | 'running' | 'stopping' | 'stopped';

/** `no_callback`: the action's hook runs in WordPress and WP_CALLBACK_URL is not set. */
export type RunNowResult = 'finished' | 'running' | 'not_found' | 'not_pending' | 'no_callback' | 'stopping';

export interface Runner {
  readonly workerId: string;
  readonly state: RunnerState;
  /** Handlers running now (a timed-out handler counts until it settles). */
  readonly running: number;
  /** The runner pause as this runner last read it: while true, it claims nothing (/run still runs). */
  readonly paused: boolean;
  start(): Promise<void>;
  /** Stop claiming, let handlers finish within `graceMs`, give the rest back, write every outcome. */
  stop(graceMs?: number): Promise<void>;
  /** /run: claim this pending action now, whatever its date, and wait up to `waitMs` for its outcome. */
  runNow(id: number, waitMs?: number): Promise<RunNowResult>;
  /** One reaper pass (also on a timer once started). */
  reap(): Promise<{ requeued: number; failed: number }>;
  /** One cleaner pass (also on a timer once started). */
  clean(): Promise<CleanResult>;
}

export interface RunnerParams {
  config: Config;
  db: Database;
  events: SidecarEvents;
  policies: HookPolicies;
  handlers: HandlerRegistry;
  log?: HandlerLogger;
  workerId?: string;
  timings?: Partial<RunnerTimings>;
}

/** What the runner is made of, for its start and its shutdown. */
interface RunnerParts {
  config: Config;
  db: Database;
  sql: RunnerStatements;
  events: SidecarEvents;
  workerId: string;
  signal: WakeSignal;
  log: HandlerLogger;
  timings: RunnerTimings;
  registry: RunRegistry;
  executor: Executor;
  loop: ClaimLoop;
  maintenance: Maintenance;
  settler: Settler;
  capacity: Capacity;
  pool: ExecutionPool;
  gate: PauseGate;
}

/** What start() sets up and the shutdown takes down. */
interface Background {
  loop: Promise<void>;
  listen: ListenHandle | null;
  unsubscribe(): void;
  heartbeat: { stop(): void };
  embedded: { stop(): Promise<void> } | null;
}

/** Wake-ups (in-process events, LISTEN), the heartbeat, maintenance timers, then the claim loop. */
async function startBackground(parts: RunnerParts, runner: Pick<Runner, 'reap' | 'clean'>): Promise<Background> {
  const { config, db, sql, events, workerId, signal, log, timings, registry, maintenance, gate } = parts;
  const unsubscribers = [
    events.on('actions:enqueued', ({ earliestDueAt }) => signal.wake(earliestDueAt)),
    // A pause changed here: the gate reads the runner pause again; a hook's resume may free due work.
    events.on('pause:changed', (change) => (change.scope === 'runner' ? void gate.refresh() : signal.wake())),
  ];
  const unsubscribe = (): void => unsubscribers.forEach((off) => off());
  // RUNNER_PAUSED=true: this start writes the pause (every process sharing the database honours it).
  if (config.runnerPaused) await createPauseStore({ db, events }).pauseRunner(null, 'RUNNER_PAUSED=true at start');
  await gate.refresh();
  gate.start();
  let listen: ListenHandle | null = null;
  if (db.kind === 'postgres' && !config.pollOnly) {
    try {
      listen = await listenForWakeups({ db, channel: wakeChannelFor(db.schema), senderId: workerId, signal, onPauseChanged: () => void gate.refresh() });
    } catch (error) {
      log.warn({ err: error }, 'LISTEN failed; this worker finds new actions by polling');
    }
  }
  const heartbeat = startHeartbeat({ db, sql, workerId, leaseSeconds: config.leaseSeconds, held: () => registry.heldClaims(), onLost: (ids) => registry.loseClaims(ids), log });
  const embedded = db.kind === 'pglite' ? startEmbeddedMaintenance({ db, sql, events, log }) : null;
  maintenance.every(timings.reaperIntervalMs, 'reaper', () => runner.reap(), 0);
  maintenance.every(timings.cleanerIntervalMs, 'cleaner', () => runner.clean(), Math.min(timings.cleanerIntervalMs, 5_000));
  return { loop: parts.loop.run(), listen, unsubscribe, heartbeat, embedded };
}

/** Stop claiming; let handlers finish within the grace period; abort, then give back, the rest. */
async function shutDown(parts: RunnerParts, background: Background | null, graceMs: number): Promise<void> {
  const { log, timings, registry, executor, capacity } = parts;
  parts.loop.stop();
  parts.gate.stop();
  background?.unsubscribe();
  const maintenanceDone = parts.maintenance.stop();
  await background?.listen?.close().catch(() => undefined);
  await background?.loop;
  await executor.whenIdle(graceMs);
  if (capacity.running > 0) {
    log.warn({ running: capacity.running }, 'handlers still running after the grace period: aborting them and giving their actions back');
    registry.abortForShutdown();
    await executor.whenIdle(timings.abortSettleMs);
  }
  registry.giveBackUnrecorded();
  await parts.settler.drain();
  await Promise.allSettled([maintenanceDone, background?.embedded?.stop()]);
  background?.heartbeat.stop();
  await parts.pool.destroy();
}

function defaultWorkerId(): string {
  return `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

function timingsFor(config: Config, overrides: Partial<RunnerTimings> | undefined): RunnerTimings {
  return {
    ...DEFAULT_TIMINGS,
    // The reaper runs as often as a heartbeat, at most every 10 s, so a dead worker's actions wait at
    // most about a lease and a third.
    reaperIntervalMs: Math.min(10_000, (config.leaseSeconds * 1000) / 3),
    ...overrides,
  };
}

/** Unreachable through the claims, which take hooks without a handler only while a dispatch exists; kept as a guard. */
function refuseWithoutCallback(context: HandlerContext): Promise<void> {
  return Promise.reject(new Error(`hook ${context.action.hook} has no handler and WP_CALLBACK_URL is not set`));
}

export function createRunner(params: RunnerParams): Runner {
  const { config, db, events, policies, handlers } = params;
  const log = params.log ?? SILENT_LOGGER;
  const timings = timingsFor(config, params.timings);
  const workerId = params.workerId ?? defaultWorkerId();
  const sql = runnerStatements(db.schema);
  const signal = createWakeSignal();
  // Without a callback URL nothing can run a hook that has no handler: such actions are not claimed
  // (a dispatch room of 0; a missing setting must not fail work); /readyz warns and /metrics counts them.
  const dispatch =
    config.wpCallbackUrl !== null && config.wpCallbackSecret !== null
      ? createWordPressDispatch({ url: config.wpCallbackUrl, secret: config.wpCallbackSecret })
      : null;
  const capacity = createCapacity({
    concurrency: config.runnerConcurrency,
    caps: () => policies.concurrencyCaps(),
    isHandled: (hook) => handlers.get(hook) !== undefined,
    handledHooks: () => handlers.hooks(),
    dispatchCap: dispatch !== null ? timings.dispatchConcurrency : 0,
  });
  const settler = createSettler({ db, sql, events, log, flushIntervalMs: timings.flushIntervalMs, maxBatch: timings.settleBatch });
  const registry = createRunRegistry({ events, policies, capacity, settler, log });
  const pool = createExecutionPool(config.runnerConcurrency, (error) => log.error({ err: error }, 'runner task failed unexpectedly'));
  const executor = createExecutor({ db, sql, events, registry, capacity, pool, handlers, dispatch: dispatch ?? refuseWithoutCallback, log, onSlotFreed: () => loop.slotFreed() });
  const execute = (row: ClaimedActionRow): void => void executor.execute(row);
  const gate = createPauseGate({ db, signal, pollMs: timings.pollFloorMs, log });
  const loop = createClaimLoop({
    db, sql, workerId, leaseSeconds: config.leaseSeconds, batchSize: config.runnerBatchSize, concurrency: config.runnerConcurrency,
    capacity, signal, timings, execute, log, paused: gate.paused,
  });
  const maintenance = createMaintenance({ log });

  let state: RunnerState = 'created';
  let stopped: Promise<void> | null = null;
  /** Set by start(); a stop() that comes while start() is still setting up waits for it. */
  let background: Promise<Background> | null = null;
  const parts: RunnerParts = { config, db, sql, events, workerId, signal, log, timings, registry, executor, loop, maintenance, settler, capacity, pool, gate };

  const runner: Runner = {
    workerId,
    get state() {
      return state;
    },
    get running() {
      return capacity.running;
    },
    get paused() {
      return gate.paused();
    },
    async start() {
      if (state !== 'created') return;
      state = 'running';
      background = startBackground(parts, runner);
      await background;
    },

    stop(graceMs = config.shutdownGraceSeconds * 1000) {
      stopped ??= (async () => {
        state = 'stopping';
        await shutDown(parts, await (background?.catch(() => null) ?? null), graceMs);
        state = 'stopped';
      })();
      return stopped;
    },

    async runNow(id, waitMs = timings.runNowWaitMs) {
      if (state === 'stopping' || state === 'stopped') return 'stopping';
      const { rows } = await db.query<ClaimedActionRow>(sql.claimPendingById, [id, workerId, config.leaseSeconds, dispatch !== null, handlers.hooks()]);
      const row = rows[0];
      if (row === undefined) {
        const found = (await db.query<{ status: string; hook: string }>(sql.selectActionStatus, [id])).rows[0];
        if (found === undefined) return 'not_found';
        return found.status === 'pending' ? 'no_callback' : 'not_pending';
      }
      const run = executor.execute(row);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), waitMs)));
      const finished = await Promise.race([run.written.then(() => true), timedOut]);
      clearTimeout(timer);
      return finished ? 'finished' : 'running';
    },

    reap: () => reapExpiredLeases({ db, sql, events }),

    clean: () =>
      cleanFinishedActions({ db, sql, events, config, retentionOverrides: () => policies.retentionOverrides(), shouldStop: () => state === 'stopping' || state === 'stopped' }),
  };
  return runner;
}
