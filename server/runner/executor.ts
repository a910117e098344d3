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

  const execute = (row: ClaimedActionRow): Run => {
    const run = registry.open(row);
    capacity.start(row.hook);
    events.emit('action:claimed', { id: row.id, hook: row.hook, attempt: row.attempts, latencyMs: Math.max(0, row.started_at.getTime() - row.scheduled_at.getTime()) });
    pool.submit(row.claim_token, async () => {
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
    });
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
