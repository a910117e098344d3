import type { Database, Queryable } from '../db/port.ts';
import type { CursorRow } from './rows.ts';
import type { CursorReply } from './schemas.ts';
import type { SourceTable } from './source.ts';
import { cursorStatements } from './sql.ts';

/**
 * The processor's position in the source table. On the first start it is the source's current
 * max(log_id), so history is never e-mailed (NOTIFY_START_LOG_ID overrides it); the WordPress bridge
 * may import WeCoza's `wecoza_last_notified_log_id` through `set`.
 */
export interface CursorStore {
  /** The cursor, created on first use. Needs the source table for its first value. */
  ensure(): Promise<CursorRow>;
  /** The cursor if it exists yet. */
  peek(): Promise<CursorRow | null>;
  /** Move the cursor and the floor to `logId` (an import or a deliberate rewind). */
  set(logId: number): Promise<CursorRow>;
  /** Move forward only, inside the transaction that scheduled the rows up to `logId`. */
  advanceIn(tx: Queryable, logId: number): Promise<void>;
}

export function toCursorReply(row: CursorRow): CursorReply {
  return { source_table: row.source_table, log_id: Number(row.last_log_id), floor_log_id: Number(row.floor_log_id), updated_at: row.updated_at.toISOString() };
}

export function createCursorStore(params: { db: Database; source: SourceTable; startLogId: number | null }): CursorStore {
  const { db, source, startLogId } = params;
  const sql = cursorStatements(db.schema);
  const key = source.name;

  const peek = async (): Promise<CursorRow | null> => {
    const { rows } = await db.query<CursorRow>(sql.selectCursor, [key]);
    const row = rows[0];
    return row === undefined ? null : { ...row, last_log_id: Number(row.last_log_id), floor_log_id: Number(row.floor_log_id) };
  };

  return {
    peek,

    async ensure() {
      const existing = await peek();
      if (existing !== null) return existing;
      const start = startLogId ?? (await source.maxLogId());
      await db.query(sql.insertCursorIfMissing, [key, start]);
      const created = await peek();
      if (created === null) throw new Error('the notification cursor vanished right after it was created');
      return created;
    },

    async set(logId) {
      const { rows } = await db.query<CursorRow>(sql.upsertCursor, [key, logId]);
      const row = rows[0] as CursorRow;
      return { ...row, last_log_id: Number(row.last_log_id), floor_log_id: Number(row.floor_log_id) };
    },

    async advanceIn(tx, logId) {
      await tx.query(sql.advanceCursor, [key, logId]);
    },
  };
}
