import { appendFileSync } from 'node:fs';
import type { HandlerContext } from '../../server/runner/handlers.ts';
import { exitOnStartFailure, startSidecar, stopOnSignals } from '../../server/start.ts';

/**
 * The sidecar exactly as `server/main.ts` starts it, plus test handlers, for the e2e runner tests that
 * kill, stop and signal real processes. Start it with `startSidecar(env, { entry })` from
 * test/support/sidecar-process.ts. Test-only environment:
 * - TEST_RUN_LOG: a file each handler run appends "<action id> <attempt>" to (the proof of how often
 *   each action ran, in this process);
 * - TEST_WORKER: a name for this process (handlers can behave differently per process);
 * - TEST_HANG=1: `test_hang` never finishes in this process.
 */
const runLog = process.env.TEST_RUN_LOG;
const worker = process.env.TEST_WORKER ?? 'worker';

function recordRun(context: HandlerContext): void {
  if (runLog !== undefined) appendFileSync(runLog, `${context.action.id} ${context.action.attempt}\n`);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

interface SleepArgs {
  ms?: number;
  /** Throw instead of finishing in the process named so. */
  fail_in?: string;
  /** Record a side effect through `fenced()` first. */
  effect?: boolean;
}

try {
  const sidecar = await startSidecar({
    registerHandlers(registry, { db }) {
      registry.register({
        hook: 'test_noop',
        run: async (context) => recordRun(context),
      });
      registry.register({
        hook: 'test_sleep',
        run: async (context) => {
          recordRun(context);
          const args = context.action.args as SleepArgs;
          await sleep(args.ms ?? 0, context.signal);
          if (args.effect === true) {
            await context.fenced((tx) => tx.query(`INSERT INTO ${db.schema}.side_effects (action_id, worker) VALUES ($1, $2)`, [context.action.id, worker]));
          }
          if (args.fail_in === worker) throw new Error(`failed in ${worker}`);
        },
      });
      registry.register({
        hook: 'test_hang',
        run: async (context) => {
          recordRun(context);
          if (process.env.TEST_HANG === '1') await new Promise<never>(() => undefined);
        },
      });
    },
  });
  stopOnSignals(sidecar);
} catch (error) {
  exitOnStartFailure(error);
}
