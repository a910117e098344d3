import { createActionStore, type ActionStore, type NewAction, type NewSchedule } from '../../server/actions/store.ts';
import { testConfig, type Config } from '../../server/config.ts';
import type { Database } from '../../server/db/port.ts';
import { createEvents, type SidecarEvents } from '../../server/events.ts';
import { createHandlerRegistry, type ActionHandler, type HandlerContext, type HandlerRegistry } from '../../server/runner/handlers.ts';
import { createHookPolicies, type HookPolicies } from '../../server/hook-policies.ts';
import { createRunner, type Runner, type RunnerTimings } from '../../server/runner/runner.ts';

/**
 * A runner on a test database, with handlers given as plain functions, and the polling helpers the
 * runner tests share. Timing-sensitive checks poll with a deadline; none sleeps a fixed time.
 */
export interface TestRunner {
  runner: Runner;
  events: SidecarEvents;
  store: ActionStore;
  policies: HookPolicies;
  handlers: HandlerRegistry;
  config: Config;
  /** Enqueue and announce (wakes the runner); returns the ids. */
  enqueue(items: Array<Partial<NewAction> & { hook: string }>): Promise<number[]>;
  stop(graceMs?: number): Promise<void>;
}

export type TestHandler = (context: HandlerContext) => Promise<void>;

export interface TestRunnerOptions {
  config?: Partial<Config>;
  handlers?: Record<string, TestHandler | Omit<ActionHandler, 'hook'>>;
  timings?: Partial<RunnerTimings>;
  /** Start the claim loop (default true); false for tests that drive runNow/reap/clean themselves. */
  start?: boolean;
}

export function newAction(item: Partial<NewAction> & { hook: string }): NewAction {
  const schedule: NewSchedule = item.schedule ?? { type: 'async' };
  return { group: '', argsText: '[]', priority: 10, unique: false, maxAttempts: 1, ...item, schedule };
}

export async function startTestRunner(db: Database, options: TestRunnerOptions = {}): Promise<TestRunner> {
  const config = testConfig({ runnerConcurrency: 8, ...options.config });
  const events = createEvents((name, error) => {
    throw new Error(`listener of ${name} threw: ${String(error)}`);
  });
  const policies = createHookPolicies(config);
  const handlers = createHandlerRegistry();
  for (const [hook, handler] of Object.entries(options.handlers ?? {})) {
    const registered: ActionHandler = typeof handler === 'function' ? { hook, run: handler } : { hook, ...handler };
    handlers.register(registered);
    if (registered.defaults) policies.declare(hook, registered.defaults);
  }
  const store = createActionStore({ db, events });
  const runner = createRunner({ config, db, events, policies, handlers, timings: { pollFloorMs: 250, ...options.timings } });
  if (options.start !== false) await runner.start();
  return {
    runner,
    events,
    store,
    policies,
    handlers,
    config,
    async enqueue(items) {
      const results = await store.enqueue(items.map(newAction));
      return results.map((result) => result.actionId);
    },
    stop: (graceMs = 5_000) => runner.stop(graceMs),
  };
}

/** Poll `probe` until it returns something other than undefined/false, or fail after `timeoutMs`. */
export async function waitFor<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, options: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${options.what ?? 'a condition'}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 20));
  }
}

export interface ActionState {
  id: number;
  status: string;
  attempts: number;
  max_attempts: number;
  scheduled_at: Date;
  finished_at: Date | null;
  claim_token: string | null;
  claimed_by: string | null;
  lease_expiries: number;
  snoozes: number;
  last_error: string | null;
  series_failures: number;
}

export async function actionState(db: Database, id: number): Promise<ActionState> {
  const { rows } = await db.query<ActionState>(
    `SELECT id, status, attempts, max_attempts, scheduled_at, finished_at, claim_token, claimed_by, lease_expiries, snoozes, last_error, series_failures
     FROM ${db.schema}.actions WHERE id = $1`,
    [id],
  );
  if (rows[0] === undefined) throw new Error(`no action ${id}`);
  return rows[0];
}

export async function logMessages(db: Database, id: number): Promise<string[]> {
  const { rows } = await db.query<{ message: string }>(`SELECT message FROM ${db.schema}.action_logs WHERE action_id = $1 ORDER BY id`, [id]);
  return rows.map((row) => row.message);
}

export async function countByStatus(db: Database, hook?: string): Promise<Record<string, number>> {
  const { rows } = await db.query<{ status: string; n: number }>(
    `SELECT status, count(*)::int AS n FROM ${db.schema}.actions ${hook === undefined ? '' : 'WHERE hook = $1'} GROUP BY status`,
    hook === undefined ? [] : [hook],
  );
  return Object.fromEntries(rows.map((row) => [row.status, row.n]));
}

/** Resolve after `ms`, for handlers that simulate work (never for waiting on the system under test). */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}
