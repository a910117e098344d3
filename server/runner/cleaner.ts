import type { Config } from '../config.ts';
import type { Database } from '../db/port.ts';
import type { SidecarEvents } from '../events.ts';
import type { RunnerStatements } from './sql.ts';
import './events.ts';

/**
 * Retention (DESIGN.md §4.1): finished actions are deleted, with their logs (ON DELETE CASCADE), once
 * they have been finished longer than their retention: complete and canceled 31 days, failed 90, and a
 * hook's own retention for every status when one is configured or declared. Unlike Action Scheduler's
 * 20-per-run cleaner, a pass deletes in batches until it has caught up or spent its time budget, so it
 * keeps up with thousands of completions a second (test/integration/runner/cleaner.retention.test.ts
 * prints the rate).
 */
export const CLEAN_BATCH = 2_000;
/** A pass stops after this long even if more is due; the next pass continues. */
export const CLEAN_BUDGET_MS = 10_000;

const DAY_SECONDS = 86_400;

export interface CleanerParams {
  db: Database;
  sql: RunnerStatements;
  events: SidecarEvents;
  config: Pick<Config, 'retentionCompleteDays' | 'retentionCanceledDays' | 'retentionFailedDays'>;
  retentionOverrides(): Map<string, number>;
  batchSize?: number;
  budgetMs?: number;
  /** Checked between batches: shutdown does not wait for a long pass. */
  shouldStop?: () => boolean;
}

export interface CleanResult {
  deleted: number;
  ms: number;
  /** False when the budget ran out before everything due was deleted. */
  caughtUp: boolean;
}

/** One cleaner pass. Several processes may run it at once: SKIP LOCKED keeps them apart. */
export async function cleanFinishedActions(params: CleanerParams): Promise<CleanResult> {
  const { db, sql, config } = params;
  const batch = params.batchSize ?? CLEAN_BATCH;
  const budget = params.budgetMs ?? CLEAN_BUDGET_MS;
  const started = Date.now();
  const overrides = params.retentionOverrides();
  const overriddenHooks = [...overrides.keys()];

  const passes: Array<() => Promise<number>> = [
    ...(
      [
        ['complete', config.retentionCompleteDays],
        ['canceled', config.retentionCanceledDays],
        ['failed', config.retentionFailedDays],
      ] as const
    ).map(([status, days]) => async () => {
      const { rows } = await db.query<{ deleted: number }>(sql.deleteFinishedByStatus, [status, days * DAY_SECONDS, overriddenHooks, batch]);
      return rows[0]?.deleted ?? 0;
    }),
    ...[...overrides].map(([hook, days]) => async () => {
      const { rows } = await db.query<{ deleted: number }>(sql.deleteFinishedByHook, [hook, days * DAY_SECONDS, batch]);
      return rows[0]?.deleted ?? 0;
    }),
  ];

  let deleted = 0;
  let caughtUp = true;
  for (const pass of passes) {
    for (;;) {
      const count = await pass();
      deleted += count;
      if (count < batch) break;
      if (Date.now() - started > budget || params.shouldStop?.() === true) {
        caughtUp = false;
        break;
      }
    }
    if (!caughtUp) break;
  }
  const ms = Date.now() - started;
  if (deleted > 0) params.events.emit('actions:deleted', { count: deleted, ms });
  return { deleted, ms, caughtUp };
}
