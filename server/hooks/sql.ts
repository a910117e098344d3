/**
 * GET /v1/hooks in one statement: per hook, its pending and due actions (the pending claim index,
 * read alone), those in progress (the lease index), failures of the last 24 hours (009's failed
 * index, read alone), and its pause; beside them the runner pause. The hooks listed are those with
 * any of these, and $1 (hooks with a policy of their own, listed even when idle). With no hook at
 * all the statement still answers one row, hook null, for the runner pause. `s` is the quoted schema.
 */
const untilMs = (column: string): string => `CASE WHEN isfinite(${column}) THEN (extract(epoch FROM ${column}) * 1000)::float8 END`;

export function hookStatements(s: string) {
  return {
    selectHookOverview: `
      WITH pending AS (
        SELECT hook, count(*)::integer AS pending, (count(*) FILTER (WHERE scheduled_at <= now()))::integer AS due
        FROM ${s}.actions WHERE status = 'pending' GROUP BY hook
      ),
      running AS (
        SELECT hook, count(*)::integer AS in_progress FROM ${s}.actions WHERE status = 'in-progress' GROUP BY hook
      ),
      failed AS (
        SELECT hook, count(*)::integer AS failed_24h
        FROM ${s}.actions WHERE status = 'failed' AND finished_at > now() - interval '24 hours' GROUP BY hook
      ),
      paused AS (
        SELECT hook, ${untilMs('paused_until')} AS until_ms, reason FROM ${s}.hook_pauses WHERE paused_until > now()
      ),
      hooks AS (
        SELECT hook FROM pending UNION SELECT hook FROM running UNION SELECT hook FROM failed
        UNION SELECT hook FROM paused UNION SELECT unnest($1::text[])
      ),
      listed AS (
        SELECT h.hook, COALESCE(p.pending, 0) AS pending, COALESCE(p.due, 0) AS due, COALESCE(r.in_progress, 0) AS in_progress,
               COALESCE(f.failed_24h, 0) AS failed_24h, pa.hook IS NOT NULL AS paused, pa.until_ms AS paused_until_ms, pa.reason AS pause_reason
        FROM hooks h
        LEFT JOIN pending p ON p.hook = h.hook
        LEFT JOIN running r ON r.hook = h.hook
        LEFT JOIN failed f ON f.hook = h.hook
        LEFT JOIN paused pa ON pa.hook = h.hook
      )
      SELECT rp.paused_until IS NOT NULL AS runner_paused, ${untilMs('rp.paused_until')} AS runner_paused_until_ms, rp.reason AS runner_pause_reason, l.*
      FROM (SELECT 1) AS one
      LEFT JOIN ${s}.runner_pause rp ON rp.paused_until > now()
      LEFT JOIN listed l ON true
      ORDER BY l.hook`,
  };
}

export interface HookOverviewRow {
  runner_paused: boolean;
  runner_paused_until_ms: number | null;
  runner_pause_reason: string | null;
  /** Null on the one row answered when no hook is listed. */
  hook: string | null;
  pending: number;
  due: number;
  in_progress: number;
  failed_24h: number;
  paused: boolean;
  paused_until_ms: number | null;
  pause_reason: string | null;
}
