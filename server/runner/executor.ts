import type { Database } from '../db/port.ts';
import type { SidecarEvents } from '../events.ts';
import type { Capacity } from './capacity.ts';
import { createHandlerContext } from './handler-context.ts';
import type { HandlerContext, HandlerLogger, HandlerRegistry } from './handlers.ts';
import type { ExecutionPool } from './pool.ts';
import { toRunningAction, type ClaimedActionRow } from './rows.ts';
import type { Run, RunRegistry } from './run-registry.ts';
import type { RunnerStatements } from './sql.ts';
import './events.ts';

/**
 * Runs claimed actions: each gets its run in the registry, a slot counted by the capacity, and its
 * handler (a built-in one, else the WordPress dispatch) in the bounded pool. A slot is freed when the
 * handler's promise settles, not when its outcome is decided: a timed-out handler that ignores its
 * signal still counts.
 *
 * The actions executed in one synchronous stretch (the rows of one claim) go to the pool as one task:
 * better-queue's bookkeeping per task (ticket, store, lock, events) was the largest share of the
 * runner's own CPU in bench:profile (a third of it at 500 per claim), and the capacity, not the pool,
 * is what bounds the handlers: the claim loop takes no more than the free slots. Each action of a
 * task still frees its slot the moment its own handler settles.
 */
export interface Executor {
  /** Start one claimed action. */
  execute(row: ClaimedActionRow): Run;
  /** Resolves once no handler runs, or after `ms`, whichever comes first. */
  whenIdle(ms: number): Promise<void>;
}

export interface ExecutorParams {
  db: Database;
  sql: RunnerStatements;
  events: SidecarEvents;
  registry: RunRegistry;
  capacity: Capacity;
  pool: ExecutionPool;
  handlers: HandlerRegistry;
  /** Runs every hook without a built-in handler. */
  dispatch(context: HandlerContext): Promise<void>;
  log: HandlerLogger;
  /** A handler settled and its slot is free. */
  onSlotFreed(): void;
}

export function createExecutor(params: ExecutorParams): Executor {
  const { db, sql, events, registry, capacity, pool, handlers, log } = params;
  const idleWaiters = new Set<() => void>();

  const handlerFor = (hook: string): ((context: HandlerContext) => Promise<void>) => {
    const handler = handlers.get(hook);
    return handler ? (context) => handler.run(context) : params.dispatch;
  };

  /** Run one claimed action's handler; resolves once its slot is free and its outcome recorded. */
  const runOne = async (row: ClaimedActionRow, run: Run): Promise<void> => {
    let failure: { error: unknown } | null = null;
    try {
      const { signal } = run.controller;
      if (signal.aborted) throw signal.reason;
      await handlerFor(row.hook)(createHandlerContext({ db, sql, action: toRunningAction(row), signal, log }));
    } catch (error) {
      failure = { error };
    } finally {
      capacity.finish(row.hook);
    }
    registry.record(run, failure);
    params.onSlotFreed();
    if (capacity.running === 0) for (const resolve of [...idleWaiters]) resolve();
  };

  /** Actions executed since the last microtask: submitted together (see the header). */
  let gathering: Array<{ row: ClaimedActionRow; run: Run }> | null = null;
  const submitGathered = (): void => {
    const batch = gathering ?? [];
    gathering = null;
    if (batch.length === 0) return;
    pool.submit((batch[0] as { row: ClaimedActionRow }).row.claim_token, async () => {
      const settled = await Promise.allSettled(batch.map(({ row, run }) => runOne(row, run)));
      const rejected = settled.find((result) => result.status === 'rejected');
      if (rejected !== undefined) throw rejected.reason;
    });
  };

  const execute = (row: ClaimedActionRow): Run => {
    const run = registry.open(row);
    capacity.start(row.hook);
    events.emit('action:claimed', { id: row.id, hook: row.hook, attempt: row.attempts, latencyMs: Math.max(0, row.started_at.getTime() - row.scheduled_at.getTime()) });
    if (gathering === null) {
      gathering = [];
      queueMicrotask(submitGathered);
    }
    gathering.push({ row, run });
    return run;
  };

  const whenIdle = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (capacity.running === 0) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        idleWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      idleWaiters.add(done);
    });

  return { execute, whenIdle };
}
