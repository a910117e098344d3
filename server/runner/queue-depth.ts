import type { Database } from '../db/port.ts';
import { runnerStatements } from './sql.ts';

/**
 * How deep the queue is: live actions by hook, past-due counts and the oldest due age, from one
 * bounded query over the live rows (and one over the due ones) run at most every `cacheMs` and shared
 * by every reader meanwhile: the /metrics gauges and GET /v1/status read the same snapshot.
 */
export const DEPTH_CACHE_MS = 10_000;
/** The live-row scan stops here; past it the counts are lower bounds and `capped` says so. */
export const LIVE_SCAN_CAP = 100_000;

export interface DepthSnapshot {
  byHook: Array<{ hook: string; pending: number; in_progress: number; past_due: number }>;
  oldestDueAge: number;
  capped: boolean;
  /** When the snapshot was taken (epoch ms, the caller's clock). */
  takenAt: number;
}

export interface QueueDepth {
  snapshot(): Promise<DepthSnapshot>;
}

export function createQueueDepth(params: { db: Database; now?: () => number; cacheMs?: number }): QueueDepth {
  const { db } = params;
  const now = params.now ?? Date.now;
  const cacheMs = params.cacheMs ?? DEPTH_CACHE_MS;
  const sql = runnerStatements(db.schema);
  let snapshot: DepthSnapshot | null = null;
  let refreshing: Promise<DepthSnapshot> | null = null;
  return {
    snapshot() {
      if (snapshot !== null && now() - snapshot.takenAt < cacheMs) return Promise.resolve(snapshot);
      refreshing ??= (async () => {
        try {
          const [live, oldest] = await Promise.all([
            db.query<DepthSnapshot['byHook'][number]>(sql.countLiveActionsByHook, [LIVE_SCAN_CAP]),
            db.query<{ age: number }>(sql.selectOldestDueAge),
          ]);
          const total = live.rows.reduce((sum, row) => sum + row.pending + row.in_progress, 0);
          snapshot = { byHook: live.rows, oldestDueAge: oldest.rows[0]?.age ?? 0, capped: total >= LIVE_SCAN_CAP, takenAt: now() };
          return snapshot;
        } finally {
          refreshing = null;
        }
      })();
      return refreshing;
    },
  };
}
