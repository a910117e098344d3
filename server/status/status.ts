import type { Database } from '../db/port.ts';
import type { Readiness } from '../http/readiness.ts';
import type { QueueDepth } from '../runner/queue-depth.ts';
import type { NotificationsStatus, StatusReply } from './schemas.ts';
import { statusStatements } from './sql.ts';

/**
 * The status summary behind GET /v1/status: the readiness checks, the queue depth (the snapshot the
 * /metrics gauges read, not a second count) and the pipeline's state from one statement. Built at most
 * every STATUS_CACHE_MS and shared meanwhile: a status panel on every WordPress admin page must not
 * turn page views into database load.
 */
export const STATUS_CACHE_MS = 5_000;

interface PipelineRow {
  cursor_log_id: string | number | null;
  cursor_updated_at: Date | null;
  pass_started_at: Date | null;
  pass_expires_at: Date | null;
  passes: string | number | null;
  pass_running: boolean | null;
  sent_24h: number;
  failed_24h: number;
  ai_paused: boolean;
  /** Null while paused indefinitely (an operator's pause ends at 'infinity'). */
  ai_paused_until: Date | null;
}

export interface StatusReporter {
  status(): Promise<StatusReply>;
}

export interface StatusReporterParams {
  db: Database;
  readiness: Readiness;
  depth: QueueDepth;
  notificationsEnabled: boolean;
  /** The source table's qualified name: the cursor's key. */
  sourceTable: string;
  processLockKey: string;
  enrichHook: string;
  now?: () => number;
  cacheMs?: number;
}

function toPipeline(row: PipelineRow | undefined, params: StatusReporterParams): NotificationsStatus {
  const started = row?.pass_started_at ?? null;
  const running = row?.pass_running === true;
  return {
    enabled: params.notificationsEnabled,
    source_table: params.sourceTable,
    cursor: row?.cursor_log_id == null || row.cursor_updated_at === null ? null : { log_id: Number(row.cursor_log_id), updated_at: row.cursor_updated_at.toISOString() },
    last_pass:
      started === null
        ? null
        : {
            started_at: started.toISOString(),
            // A released lock's expiry is its release time (the lock store sets it to now()).
            finished_at: running || row?.pass_expires_at == null ? null : row.pass_expires_at.toISOString(),
            running,
            passes: Number(row?.passes ?? 0),
          },
    emails_last_24h: { sent: row?.sent_24h ?? 0, failed: row?.failed_24h ?? 0 },
    ai_paused: row?.ai_paused === true,
    ai_paused_until: row?.ai_paused_until?.toISOString() ?? null,
  };
}

export function createStatusReporter(params: StatusReporterParams): StatusReporter {
  const { db, readiness, depth } = params;
  const now = params.now ?? Date.now;
  const cacheMs = params.cacheMs ?? STATUS_CACHE_MS;
  const sql = statusStatements(db.schema);
  let cached: { at: number; reply: StatusReply } | null = null;
  let building: Promise<StatusReply> | null = null;

  const build = async (): Promise<StatusReply> => {
    const [ready, numbers] = await Promise.all([
      readiness.evaluate(),
      // Any failure here is the database's, and readiness already says so: the panel still gets the checks.
      Promise.all([depth.snapshot(), db.query<PipelineRow>(sql.selectPipelineStatus, [params.sourceTable, params.processLockKey, params.enrichHook])]).catch(() => null),
    ]);
    const reply: StatusReply = { generated_at: new Date(now()).toISOString(), readiness: ready, actions: null, notifications: null };
    if (numbers !== null) {
      const [snapshot, pipeline] = numbers;
      const sum = (key: 'pending' | 'in_progress' | 'past_due'): number => snapshot.byHook.reduce((total, row) => total + row[key], 0);
      reply.actions = {
        pending: sum('pending'),
        in_progress: sum('in_progress'),
        past_due: sum('past_due'),
        oldest_due_age_seconds: snapshot.oldestDueAge,
        capped: snapshot.capped,
        as_of: new Date(snapshot.takenAt).toISOString(),
      };
      reply.notifications = toPipeline(pipeline.rows[0], params);
    }
    return reply;
  };

  return {
    status() {
      if (cached !== null && now() - cached.at < cacheMs) return Promise.resolve(cached.reply);
      building ??= build()
        .then((reply) => {
          cached = { at: now(), reply };
          return reply;
        })
        .finally(() => {
          building = null;
        });
      return building;
    },
  };
}
