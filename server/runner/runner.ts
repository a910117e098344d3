import os from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.ts';
import type { Database, ListenHandle } from '../db/port.ts';
import type { SidecarEvents } from '../events.ts';
import { createCapacity } from './capacity.ts';
import { cleanFinishedActions, type CleanResult } from './cleaner.ts';
import { startEmbeddedMaintenance } from './embedded-maintenance.ts';
import { createHandlerContext, SILENT_LOGGER } from './handler-context.ts';
import { LeaseLostError, type HandlerContext, type HandlerLogger, type HandlerRegistry } from './handlers.ts';
import type { HookPolicies } from './hook-policies.ts';
import { reapExpiredLeases, startHeartbeat } from './leases.ts';
import { decideOutcome, ExecutionTimeoutError, ShutdownError } from './outcomes.ts';
import { createExecutionPool } from './pool.ts';
import { toRunningAction, type ClaimedActionRow } from './rows.ts';
import { createSettler } from './settler.ts';
import { runnerStatements } from './sql.ts';
import { createWakeSignal, listenForWakeups, wakeChannelFor } from './wakeups.ts';
import { DEFAULT_TIMINGS, type RunnerTimings } from './timings.ts';
import { createWordPressDispatch } from './wordpress-dispatch.ts';
import './events.ts';

/**
 * The runner: claims due actions, runs them, writes what happened. The claim loop below is the whole
 * story; each step it calls lives in its own module (claim filters in capacity.ts, outcomes in
 * outcomes.ts, the batched writer in settler.ts, leases in leases.ts, wake-ups in wakeups.ts).
 * PostgreSQL is the only source of truth: a process that dies with work in its pool loses nothing,
 * its leases expire and the reaper hands the actions to someone else.
 */
export type { RunnerTimings } from './timings.ts';

/** `no_callback`: the action's hook runs in WordPress and WP_CALLBACK_URL is not set. */
export type RunNowResult = 'finished' | 'running' | 'not_found' | 'not_pending' | 'no_callback' | 'stopping';

export interface Runner {
  readonly workerId: string;
  /** Handlers running now (a timed-out handler counts until it settles). */
  readonly running: number;
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

/** One run in this process, from claim until its handler settles and its outcome is written. */
interface Run {
  row: ClaimedActionRow;
  controller: AbortController;
  startedMs: number;
  timeout: NodeJS.Timeout | null;
  /** The first outcome wins: the timeout's, the handler's, a lost lease's or the shutdown's. */
  recorded: boolean;
  abortedForShutdown: boolean;
  written: Promise<boolean>;
  markWritten(written: boolean): void;
}

function defaultWorkerId(): string {
  return `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

export function createRunner(params: RunnerParams): Runner {
  const { config, db, events, policies, handlers } = params;
  const log = params.log ?? SILENT_LOGGER;
  const timings: RunnerTimings = {
    ...DEFAULT_TIMINGS,
    // The reaper runs as often as a heartbeat, at most every 10 s, so a dead worker's actions wait at
    // most about a lease and a third.
    reaperIntervalMs: Math.min(10_000, (config.leaseSeconds * 1000) / 3),
    ...params.timings,
  };
  const workerId = params.workerId ?? defaultWorkerId();
  const sql = runnerStatements(db.schema);
  const signal = createWakeSignal();
  const settler = createSettler({ db, sql, events, log, flushIntervalMs: timings.flushIntervalMs, maxBatch: timings.settleBatch });
  const pool = createExecutionPool(config.runnerConcurrency, (error) => log.error({ err: error }, 'runner task failed unexpectedly'));
  // Without a callback URL nothing can run a hook that has no handler: such actions are not claimed
  // (a missing setting must not fail work); /readyz warns and /metrics counts them meanwhile.
  const dispatch =
    config.wpCallbackUrl !== null && config.wpCallbackSecret !== null
      ? createWordPressDispatch({ url: config.wpCallbackUrl, secret: config.wpCallbackSecret })
      : null;
  const capacity = createCapacity({
    concurrency: config.runnerConcurrency,
    caps: () => policies.concurrencyCaps(),
    isHandled: (hook) => handlers.get(hook) !== undefined,
    handledHooks: () => handlers.hooks(),
    dispatchCap: config.wpCallbackUrl !== null ? timings.dispatchConcurrency : null,
  });

  /** Runs whose outcome is not written yet, by claim token: what the heartbeat renews. */
  const held = new Map<string, Run>();
  let stopping = false;
  let stopped: Promise<void> | null = null;
  let started = false;
  /** Set when the last claim suggests more due work than it took: a freed slot should claim again. */
  let dueWorkLeft = false;
  let loopDone: Promise<void> = Promise.resolve();
  let heartbeat: ReturnType<typeof startHeartbeat> | null = null;
  let embeddedMaintenance: ReturnType<typeof startEmbeddedMaintenance> | null = null;
  let listenHandle: ListenHandle | null = null;
  let unsubscribe: (() => void) | null = null;
  const timers: NodeJS.Timeout[] = [];
  const maintenance = new Set<Promise<unknown>>();
  let handlersIdle: (() => void) | null = null;

  const handlerFor = (hook: string): ((context: HandlerContext) => Promise<void>) => {
    const handler = handlers.get(hook);
    if (handler) return (context) => handler.run(context);
    // Unreachable through the claims, which take such hooks only with a dispatch; kept as a guard.
    return dispatch ?? ((context) => Promise.reject(new Error(`hook ${context.action.hook} has no handler and WP_CALLBACK_URL is not set`)));
  };

  /** Decide and queue the outcome of a run; only the first call per run counts. */
  const record = (run: Run, failure: { error: unknown } | null): void => {
    if (run.recorded) return;
    run.recorded = true;
    if (run.timeout !== null) clearTimeout(run.timeout);
    let error = failure?.error;
    if (failure !== null && run.abortedForShutdown) error = new ShutdownError();
    if (failure !== null && error === undefined) error = new Error('the handler threw without a reason');
    const outcome = decideOutcome({ row: run.row, policy: policies.policyFor(run.row.hook), error, nowMs: Date.now() });
    const durationMs = Date.now() - run.startedMs;
    if (outcome.kind === 'snooze' && outcome.pauseHook) capacity.pause(run.row.hook, Date.now() + outcome.delaySeconds * 1000);
    if (outcome.kind === 'lost') {
      held.delete(run.row.claim_token);
      events.emit('action:lease-lost', { id: run.row.id, hook: run.row.hook });
      run.markWritten(false);
      return;
    }
    settler.add({
      row: run.row,
      outcome,
      durationMs,
      done: (written) => {
        held.delete(run.row.claim_token);
        log.info({ action_id: run.row.id, hook: run.row.hook, attempt: run.row.attempts, outcome: written ? outcome.kind : 'lost', ms: durationMs }, 'action run');
        run.markWritten(written);
      },
    });
  };

  /** Start one claimed action: its own AbortController and timeout, then a slot in the pool. */
  const execute = (row: ClaimedActionRow): Run => {
    const policy = policies.policyFor(row.hook);
    const controller = new AbortController();
    let markWritten: (written: boolean) => void = () => undefined;
    const written = new Promise<boolean>((resolve) => (markWritten = resolve));
    const run: Run = { row, controller, startedMs: Date.now(), timeout: null, recorded: false, abortedForShutdown: false, written, markWritten };
    held.set(row.claim_token, run);
    capacity.start(row.hook);
    events.emit('action:claimed', { id: row.id, hook: row.hook, attempt: row.attempts, latencyMs: Math.max(0, row.started_at.getTime() - row.scheduled_at.getTime()) });

    // The timeout records the failure at once; the slot stays taken until the handler really stops.
    run.timeout = setTimeout(() => {
      const error = new ExecutionTimeoutError(policy.timeoutSeconds);
      controller.abort(error);
      record(run, { error });
    }, policy.timeoutSeconds * 1000);

    pool.submit(row.claim_token, async () => {
      let failure: { error: unknown } | null = null;
      try {
        if (controller.signal.aborted) throw controller.signal.reason;
        const action = toRunningAction(row);
        await handlerFor(row.hook)(createHandlerContext({ db, sql, action, signal: controller.signal, log }));
      } catch (error) {
        failure = { error };
      } finally {
        capacity.finish(row.hook);
      }
      record(run, failure);
      if (dueWorkLeft) signal.wake();
      if (capacity.running === 0) handlersIdle?.();
    });
    return run;
  };

  /** Claim up to the free capacity; returns how many were claimed and the limit asked for. */
  const claimDue = async (limit: number): Promise<number> => {
    const filters = capacity.filters();
    const { rows } = await db.query<ClaimedActionRow>(
      sql.claimDueActions,
      [limit, workerId, filters.fullHooks, filters.capHooks, filters.capRooms, filters.handledHooks, filters.dispatchRoom, config.leaseSeconds, dispatch !== null],
      { prepare: true },
    );
    for (const row of rows) execute(row);
    return rows.length;
  };

  /** After a claim that took less than it could: arm the timer for the next due action. */
  const armNextDue = async (): Promise<void> => {
    const { rows } = await db.query<{ due_ms: number | null; now_ms: number }>(sql.selectNextDueAt, [], { prepare: true });
    const row = rows[0];
    if (row === undefined || row.due_ms === null) {
      dueWorkLeft = false;
      return;
    }
    const inMs = row.due_ms - row.now_ms;
    // Due already but not taken: capped, paused, or locked by another worker's claim right now.
    dueWorkLeft = inMs <= 0;
    if (inMs > 0) signal.wake(Date.now() + inMs);
  };

  /** The claim loop. */
  const loop = async (): Promise<void> => {
    let errors = 0;
    // Under a backlog the pool is nearly full when a claim returns; claiming the one or two slots that
    // freed meanwhile would spend a round trip (and a commit) per action. So a busy loop waits up to
    // claimGatherMs for half a batch of free slots. An idle pool claims at once: no latency is added.
    const enough = Math.max(1, Math.min(config.runnerBatchSize, Math.ceil(config.runnerConcurrency / 2)));
    let gatherSince = 0;
    while (!stopping) {
      const free = capacity.free();
      if (free === 0) {
        await signal.wait(timings.pollFloorMs);
        continue;
      }
      if (free < enough && dueWorkLeft) {
        gatherSince ||= Date.now();
        const left = timings.claimGatherMs - (Date.now() - gatherSince);
        if (left > 0) {
          await signal.wait(left);
          continue;
        }
      }
      gatherSince = 0;
      const limit = Math.min(config.runnerBatchSize, free);
      try {
        const claimed = await claimDue(limit);
        errors = 0;
        if (claimed === limit) {
          dueWorkLeft = true;
          continue;
        }
        await armNextDue();
      } catch (error) {
        errors++;
        log.error({ err: error }, 'claiming actions failed; retrying');
        // Backing off on the signal, not a bare timer: stop() must not wait for it.
        await signal.wait(Math.min(5_000, 100 * 2 ** Math.min(errors, 6)));
        continue;
      }
      await signal.wait(timings.pollFloorMs);
    }
  };

  /** Run a maintenance task without overlapping itself; stop() waits for the one in flight. */
  const every = (ms: number, name: string, task: () => Promise<unknown>, firstAfterMs = ms): void => {
    let busy = false;
    const tick = (): void => {
      if (busy || stopping) return;
      busy = true;
      const promise = task()
        .catch((error: unknown) => log.error({ err: error }, `${name} failed; it runs again later`))
        .finally(() => {
          busy = false;
          maintenance.delete(promise);
        });
      maintenance.add(promise);
    };
    const first = setTimeout(tick, firstAfterMs);
    const interval = setInterval(tick, ms);
    first.unref();
    interval.unref();
    timers.push(first, interval);
  };

  const waitForHandlers = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (capacity.running === 0) return resolve();
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        handlersIdle = null;
        resolve();
      }
      handlersIdle = done;
    });

  const runner: Runner = {
    workerId,
    get running() {
      return capacity.running;
    },

    async start() {
      if (started) return;
      started = true;
      unsubscribe = events.on('actions:enqueued', ({ earliestDueAt }) => signal.wake(earliestDueAt));
      if (db.kind === 'postgres' && !config.pollOnly) {
        try {
          listenHandle = await listenForWakeups({ db, channel: wakeChannelFor(db.schema), senderId: workerId, signal });
        } catch (error) {
          log.warn({ err: error }, 'LISTEN failed; this worker finds new actions by polling');
        }
      }
      heartbeat = startHeartbeat({
        db,
        sql,
        workerId,
        leaseSeconds: config.leaseSeconds,
        held: () => [...held.values()].map((run) => ({ id: run.row.id, token: run.row.claim_token })),
        onLost: (ids) => {
          const lost = new Set(ids);
          for (const run of held.values()) {
            if (!lost.has(run.row.id) || run.recorded) continue;
            const error = new LeaseLostError(run.row.id);
            run.controller.abort(error);
            record(run, { error });
          }
        },
        log,
      });
      if (db.kind === 'pglite') embeddedMaintenance = startEmbeddedMaintenance({ db, sql, events, log });
      every(timings.reaperIntervalMs, 'reaper', () => runner.reap(), 0);
      every(timings.cleanerIntervalMs, 'cleaner', () => runner.clean(), Math.min(timings.cleanerIntervalMs, 5_000));
      loopDone = loop();
    },

    stop(graceMs = config.shutdownGraceSeconds * 1000) {
      stopped ??= (async () => {
        stopping = true;
        signal.close();
        unsubscribe?.();
        for (const timer of timers) clearTimeout(timer);
        await listenHandle?.close().catch(() => undefined);
        await loopDone;
        await waitForHandlers(graceMs);
        if (capacity.running > 0) {
          log.warn({ running: capacity.running }, 'handlers still running after the grace period: aborting them and giving their actions back');
          for (const run of held.values()) {
            if (run.recorded) continue;
            run.abortedForShutdown = true;
            run.controller.abort(new ShutdownError());
          }
          await waitForHandlers(timings.abortSettleMs);
        }
        for (const run of held.values()) record(run, { error: new ShutdownError() });
        await settler.drain();
        await Promise.allSettled([...maintenance, embeddedMaintenance?.stop()]);
        heartbeat?.stop();
        await pool.destroy();
      })();
      return stopped;
    },

    async runNow(id, waitMs = timings.runNowWaitMs) {
      if (stopping) return 'stopping';
      const { rows } = await db.query<ClaimedActionRow>(sql.claimPendingById, [id, workerId, config.leaseSeconds, dispatch !== null, handlers.hooks()]);
      const row = rows[0];
      if (row === undefined) {
        const found = (await db.query<{ status: string; hook: string }>(sql.selectActionStatus, [id])).rows[0];
        if (found === undefined) return 'not_found';
        return found.status === 'pending' ? 'no_callback' : 'not_pending';
      }
      const run = execute(row);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), waitMs)));
      const finished = await Promise.race([run.written.then(() => true), timedOut]);
      clearTimeout(timer);
      return finished ? 'finished' : 'running';
    },

    reap: () => reapExpiredLeases({ db, sql, events }),

    clean: () =>
      cleanFinishedActions({
        db,
        sql,
        events,
        config,
        retentionOverrides: () => policies.retentionOverrides(),
        shouldStop: () => stopping,
      }),
  };
  return runner;
}
