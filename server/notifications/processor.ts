import os from 'node:os';
import type { EnqueueResult } from '../actions/store.ts';
import type { Database } from '../db/port.ts';
import type { LockStore } from '../locks/store.ts';
import type { CursorStore } from './cursor.ts';
import type { SourceHeadRow } from './rows.ts';
import { aiAvailability, planRows, scheduleRowsIn, type SchedulingDeps } from './scheduling.ts';
import { DEFAULT_BATCH_LIMIT, type ProcessReply } from './schemas.ts';
import type { SettingsStore } from './settings.ts';
import type { SourceTable } from './source.ts';
import { notificationStatements } from './sql.ts';

/**
 * One processor pass (DESIGN §4.4), what WP-Cron's `/process` call and the sidecar's own timer run:
 * under the lock `wecoza_ai_summary_lock`, take up to `batchLimit` source rows — first rows that
 * committed late inside the look-back window, then rows after the cursor in log_id order — and give
 * each a notification with its deliveries and actions, chunk by chunk, one transaction per chunk.
 */

/** WeCoza's lock name and TTL (reference §2.1), now an atomic lock instead of a transient. */
export const PROCESS_LOCK_KEY = 'wecoza_ai_summary_lock';
export const PROCESS_LOCK_TTL_SECONDS = 120;
/** WeCoza's MAX_RUNTIME_SECONDS and MIN_REMAINING_SECONDS: no chunk starts after 85 s. */
export const MAX_RUNTIME_MS = 90_000;
const MIN_REMAINING_MS = 5_000;
/**
 * How far below the cursor a pass looks for rows it has not seen. A log_id is drawn when WeCoza's
 * trigger inserts, but the row becomes visible only when the class save commits, so a slow save can
 * show up below rows already processed. 1,000 ids is far more changes than can commit during one
 * open class save; the window never reaches at or below the cursor's floor (history before the first
 * start, or before an imported cursor).
 */
export const LOOKBACK_IDS = 1_000;
// Rows per transaction: small enough to keep locks short and to check the clock often.
const CHUNK_ROWS = 100;

export interface ProcessOptions {
  batchLimit?: number;
}

export interface Processor {
  run(options?: ProcessOptions): Promise<ProcessReply>;
}

export interface ProcessorParams {
  db: Database;
  source: SourceTable;
  settings: SettingsStore;
  locks: LockStore;
  cursor: CursorStore;
  scheduling: SchedulingDeps;
  announce(results: readonly EnqueueResult[]): void;
  openaiApiKey: string | null;
  now?: () => number;
  /** Shown as the lock owner, so GET /v1/locks/wecoza_ai_summary_lock says who is processing. */
  owner?: string;
}

export function createProcessor(params: ProcessorParams): Processor {
  const { db, source, locks, cursor } = params;
  const now = params.now ?? Date.now;
  const owner = params.owner ?? `wecoza-sidecar ${os.hostname()}:${process.pid}`;
  const notes = notificationStatements(db.schema);

  /** Rows inside the look-back window that still have no notification, oldest first. */
  const findLateRows = async (last: number, floor: number, limit: number): Promise<SourceHeadRow[]> => {
    const window = await source.headsInRange(Math.max(floor, last - LOOKBACK_IDS), last);
    if (window.length === 0) return [];
    const { rows } = await db.query<{ log_id: number }>(notes.selectNotifiedLogIds, [window.map((row) => row.log_id)]);
    const notified = new Set(rows.map((row) => Number(row.log_id)));
    return window.filter((row) => !notified.has(Number(row.log_id))).slice(0, limit);
  };

  return {
    async run(options = {}) {
      const started = now();
      const batchLimit = options.batchLimit ?? DEFAULT_BATCH_LIMIT;
      await source.ensureAvailable();
      const attempt = await locks.acquire(PROCESS_LOCK_KEY, PROCESS_LOCK_TTL_SECONDS, owner);
      if (!attempt.acquired) {
        const current = await cursor.peek();
        return { status: 'locked', scanned: 0, enrich_scheduled: 0, email_scheduled: 0, skipped: 0, cursor: current?.last_log_id ?? 0, elapsed_ms: now() - started };
      }
      const token = attempt.lock.token;
      const reply: ProcessReply = { status: 'processed', scanned: 0, enrich_scheduled: 0, email_scheduled: 0, skipped: 0, cursor: 0, elapsed_ms: 0 };
      try {
        const position = await cursor.ensure();
        const settings = await params.settings.get();
        const ai = aiAvailability(settings, params.openaiApiKey);
        let after = position.last_log_id;
        const late = await findLateRows(after, position.floor_log_id, batchLimit);
        let forwardLeft = batchLimit - late.length;

        for (;;) {
          if (now() - started >= MAX_RUNTIME_MS - MIN_REMAINING_MS) break;
          let chunk: SourceHeadRow[];
          let exhausted = false;
          if (late.length > 0) {
            chunk = late.splice(0, CHUNK_ROWS);
          } else if (forwardLeft > 0) {
            const want = Math.min(CHUNK_ROWS, forwardLeft);
            chunk = await source.headsAfter(after, want);
            forwardLeft -= chunk.length;
            exhausted = chunk.length < want;
          } else {
            break;
          }
          if (chunk.length === 0) break;

          const highest = chunk.reduce((max, row) => Math.max(max, Number(row.log_id)), after);
          const planned = planRows(chunk.map((row) => ({ ...row, log_id: Number(row.log_id) })), settings, ai);
          const outcome = await db.transaction(async (tx) => {
            const scheduled = await scheduleRowsIn(tx, params.scheduling, planned, ai, new Date(now()));
            if (highest > after) await cursor.advanceIn(tx, highest);
            return scheduled;
          });
          params.announce(outcome.results);
          reply.scanned += chunk.length;
          reply.enrich_scheduled += outcome.enrichScheduled;
          reply.email_scheduled += outcome.emailScheduled;
          reply.skipped += outcome.skipped;
          after = highest;

          if (exhausted || (late.length === 0 && forwardLeft <= 0)) break;
          // A pass that outlives the TTL would let a second pass in; stop if the lock was lost.
          if ((await locks.refresh(PROCESS_LOCK_KEY, token, PROCESS_LOCK_TTL_SECONDS)) === null) break;
        }
        reply.cursor = after;
      } finally {
        // A failed release only delays the next pass until the TTL runs out; the pass's own error matters more.
        await locks.release(PROCESS_LOCK_KEY, token).catch(() => false);
      }
      reply.elapsed_ms = now() - started;
      return reply;
    },
  };
}
