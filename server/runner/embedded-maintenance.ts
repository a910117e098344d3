import type { Database } from '../db/port.ts';
import type { SidecarEvents } from '../events.ts';
import type { HandlerLogger } from './handlers.ts';
import type { RunnerStatements } from './sql.ts';

/**
 * PGlite is PostgreSQL in one process with no background workers: autovacuum never runs. Without it the
 * runner's tables keep every dead row the claims, settles and the cleaner leave, and the planner keeps the
 * statistics of a near-empty table: measured on 20,000 pending actions, the claim then sorts them all
 * (20 ms a claim, 760 actions/s) instead of reading the claim-order index (4.6 ms, 2,500/s). So the
 * embedded runner vacuums and analyzes its tables itself: every INTERVAL_MS, and soon after a burst of
 * BURST enqueues. A pass over 200,000 actions takes about 0.2 s, during which the one connection waits.
 */
export const EMBEDDED_MAINTENANCE_INTERVAL_MS = 60_000;
const BURST = 1_000;
const BURST_DELAY_MS = 200;

export function startEmbeddedMaintenance(params: { db: Database; sql: RunnerStatements; events: SidecarEvents; log: HandlerLogger; intervalMs?: number }): { stop(): Promise<void> } {
  const { db, sql, events, log } = params;
  let enqueuedSince = 0;
  let running: Promise<void> | null = null;
  let soon: NodeJS.Timeout | null = null;
  let stopped = false;

  const pass = (): void => {
    if (running !== null || stopped) return;
    enqueuedSince = 0;
    running = db
      .query(sql.vacuumAnalyzeRunnerTables)
      .then(() => undefined)
      .catch((error: unknown) => log.warn({ err: error }, 'embedded VACUUM ANALYZE failed; it runs again later'))
      .finally(() => {
        running = null;
      });
  };

  const timer = setInterval(pass, params.intervalMs ?? EMBEDDED_MAINTENANCE_INTERVAL_MS);
  timer.unref();
  const unsubscribe = events.on('actions:enqueued', ({ count }) => {
    enqueuedSince += count;
    if (enqueuedSince < BURST || soon !== null) return;
    soon = setTimeout(() => {
      soon = null;
      pass();
    }, BURST_DELAY_MS);
  });
  pass();

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      if (soon !== null) clearTimeout(soon);
      unsubscribe();
      await running;
    },
  };
}
