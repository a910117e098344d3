/**
 * The status route's own statement: everything about the pipeline in one round trip, each part a
 * primary-key or index lookup (the cursor and the lock by key, the pause by hook, the e-mail counts a
 * range over the partial index of finished deliveries). `s` is the quoted sidecar schema.
 */
export function statusStatements(s: string) {
  return {
    /** `$1` the source table's name, `$2` the processor's lock key, `$3` the enrichment hook. */
    selectPipelineStatus: `
      SELECT c.last_log_id AS cursor_log_id, c.updated_at AS cursor_updated_at,
             l.acquired_at AS pass_started_at, l.expires_at AS pass_expires_at, l.fence AS passes,
             (l.token IS NOT NULL AND l.expires_at > now()) AS pass_running,
             e.sent AS sent_24h, e.failed AS failed_24h,
             p.paused_until IS NOT NULL AS ai_paused,
             CASE WHEN isfinite(p.paused_until) THEN p.paused_until END AS ai_paused_until
      FROM (SELECT 1) AS one
      LEFT JOIN ${s}.notification_cursor c ON c.source_table = $1
      LEFT JOIN ${s}.locks l ON l.key = $2
      LEFT JOIN ${s}.hook_pauses p ON p.hook = $3 AND p.paused_until > now()
      CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE state = 'sent')::integer AS sent, count(*) FILTER (WHERE state = 'failed')::integer AS failed
        FROM ${s}.deliveries
        WHERE state IN ('sent', 'failed') AND updated_at > now() - interval '24 hours'
      ) e`,
  };
}
