import type { Database, Queryable } from '../db/port.ts';
import { quoteIdentifier } from '../db/port.ts';
import { isConnectionError, sqlState, SQLSTATE } from '../db/sqlstate.ts';
import { sidecarError } from '../errors.ts';
import type { AiSummaryRecord } from './ai-summary.ts';
import type { SourceHeadRow, SourceRow } from './rows.ts';
import { sourceStatements } from './sql.ts';

/**
 * WeCoza's `class_change_logs` (SOURCE_TABLE), in the sidecar's database or in SOURCE_DATABASE_URL's.
 * The sidecar reads it and writes only `ai_summary`; it never creates or alters it (outside the demo).
 *
 * A missing table must not take the sidecar down (reference §7.1: WeCoza's cron died on 42P01 every
 * hour). Availability is checked at start, re-checked lazily, and flipped to unavailable the moment a
 * query reports the table or a column missing; callers get `source_unavailable` (503).
 */

export const REQUIRED_SOURCE_COLUMNS = ['log_id', 'operation', 'class_id', 'changed_at', 'new_row', 'old_row', 'diff', 'ai_summary'] as const;

// An available table is re-inspected now and then (someone may drop it); a missing one often, so
// the notification routes come back within seconds of the table appearing.
const RECHECK_AVAILABLE_MS = 30_000;
const RECHECK_UNAVAILABLE_MS = 2_000;

export interface SourceStatus {
  available: boolean;
  detail: string;
}

export interface SummaryWrite {
  logId: number;
  record: AiSummaryRecord;
}

export interface SourceTable {
  /** `schema.table` as configured, for messages and the cursor key. */
  readonly name: string;
  /** True when the source lives in the sidecar's own database: its writes can join our transactions. */
  readonly sameDatabase: boolean;
  readonly db: Database;
  /** Cached availability; `force` inspects now. */
  status(force?: boolean): Promise<SourceStatus>;
  /** Throws `source_unavailable` (503) when the table cannot be used. */
  ensureAvailable(): Promise<void>;
  maxLogId(): Promise<number>;
  headsInRange(lowExclusive: number, highInclusive: number): Promise<SourceHeadRow[]>;
  headsAfter(logId: number, limit: number): Promise<SourceHeadRow[]>;
  readRow(logId: number): Promise<SourceRow | null>;
  /**
   * Write `ai_summary`. With `tx` and a source in the sidecar's database the write joins that
   * transaction; otherwise it commits on its own (a rewrite of the same record is harmless).
   */
  writeSummary(write: SummaryWrite, tx?: Queryable): Promise<void>;
  /** Skip records, written only where no finished summary is stored yet. */
  writeSummariesUnlessFinal(writes: readonly SummaryWrite[], tx?: Queryable): Promise<void>;
}

export interface SourceTableParams {
  /** The sidecar's database. */
  db: Database;
  /** A separate database for the source (SOURCE_DATABASE_URL), or null for the sidecar's own. */
  sourceDb: Database | null;
  /** `[schema.]table`, lower-case identifiers (validated by config.ts). */
  table: string;
  now?: () => number;
}

/** `public.class_change_logs` → `"public"."class_change_logs"`; a bare name means `public`. */
export function quoteSourceTable(table: string): string {
  const parts = table.includes('.') ? table.split('.') : ['public', table];
  return parts.map(quoteIdentifier).join('.');
}

function describeInspection(table: string, row: { present: boolean; columns: string[]; can_select: boolean; can_update: boolean } | undefined): SourceStatus {
  if (row === undefined || !row.present) return { available: false, detail: `the source table ${table} does not exist` };
  const missing = REQUIRED_SOURCE_COLUMNS.filter((column) => !row.columns.includes(column));
  if (missing.length > 0) return { available: false, detail: `the source table ${table} lacks column(s) ${missing.join(', ')}` };
  if (!row.can_select) return { available: false, detail: `the sidecar may not read ${table}` };
  if (!row.can_update) return { available: false, detail: `the sidecar may not write ${table}.ai_summary` };
  return { available: true, detail: `${table} is present` };
}

export function createSourceTable(params: SourceTableParams): SourceTable {
  const db = params.sourceDb ?? params.db;
  const sameDatabase = params.sourceDb === null;
  const name = params.table.includes('.') ? params.table : `public.${params.table}`;
  const sql = sourceStatements(quoteSourceTable(params.table));
  const now = params.now ?? Date.now;
  let cached: { status: SourceStatus; at: number } | null = null;
  let inflight: Promise<SourceStatus> | null = null;

  const inspect = async (): Promise<SourceStatus> => {
    try {
      const { rows } = await db.query<{ present: boolean; columns: string[]; can_select: boolean; can_update: boolean }>(sql.inspectSourceTable, [name]);
      return describeInspection(name, rows[0]);
    } catch (error) {
      if (isConnectionError(error)) return { available: false, detail: `the source database cannot be reached (${(error as Error).message})` };
      throw error;
    }
  };

  const markUnavailable = (detail: string): void => {
    cached = { status: { available: false, detail }, at: now() };
  };

  /** Run a source query; a missing table or column found here flips the status at once. */
  const guarded = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      const state = sqlState(error);
      if (state === SQLSTATE.UNDEFINED_TABLE || state === SQLSTATE.UNDEFINED_COLUMN) {
        markUnavailable(`the source table ${name} is missing or incomplete (${(error as Error).message})`);
        throw sidecarError('source_unavailable', `The WeCoza source table ${name} is not available.`);
      }
      if (isConnectionError(error)) {
        markUnavailable(`the source database cannot be reached (${(error as Error).message})`);
        throw sidecarError('source_unavailable', `The WeCoza source table ${name} cannot be reached.`);
      }
      throw error;
    }
  };

  const source: SourceTable = {
    name,
    sameDatabase,
    db,

    async status(force = false) {
      const age = cached === null ? Number.POSITIVE_INFINITY : now() - cached.at;
      const fresh = cached !== null && age < (cached.status.available ? RECHECK_AVAILABLE_MS : RECHECK_UNAVAILABLE_MS);
      if (!force && fresh && cached !== null) return cached.status;
      inflight ??= inspect()
        .then((status) => {
          cached = { status, at: now() };
          return status;
        })
        .finally(() => {
          inflight = null;
        });
      return inflight;
    },

    async ensureAvailable() {
      const status = await source.status();
      if (!status.available) throw sidecarError('source_unavailable', `The WeCoza source table is not available: ${status.detail}.`, { source_table: name });
    },

    async maxLogId() {
      const { rows } = await guarded(() => db.query<{ max_log_id: number }>(sql.selectMaxLogId));
      return Number(rows[0]?.max_log_id ?? 0);
    },

    async headsInRange(lowExclusive, highInclusive) {
      if (highInclusive <= lowExclusive) return [];
      const { rows } = await guarded(() => db.query<SourceHeadRow>(sql.selectHeadsInRange, [lowExclusive, highInclusive]));
      return rows;
    },

    async headsAfter(logId, limit) {
      const { rows } = await guarded(() => db.query<SourceHeadRow>(sql.selectHeadsAfter, [logId, limit]));
      return rows;
    },

    async readRow(logId) {
      const { rows } = await guarded(() => db.query<SourceRow>(sql.selectRowByLogId, [logId]));
      return rows[0] ?? null;
    },

    async writeSummary(write, tx) {
      const target = sameDatabase && tx !== undefined ? tx : db;
      await guarded(() => target.query(sql.updateSummaryByLogId, [write.logId, JSON.stringify(write.record)]));
    },

    async writeSummariesUnlessFinal(writes, tx) {
      if (writes.length === 0) return;
      const target = sameDatabase && tx !== undefined ? tx : db;
      await guarded(() =>
        target.query(sql.updateSummariesUnlessFinal, [writes.map((write) => write.logId), writes.map((write) => JSON.stringify(write.record))]),
      );
    },
  };
  return source;
}
