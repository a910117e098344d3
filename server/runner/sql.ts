/**
 * Every statement of the runner, named by intent. `s` is the quoted schema, spliced in once at
 * start-up; values travel only as cast `$n` parameters, batches as one array parameter per column.
 * Each state change is one statement per batch, with its log lines written by a data-modifying CTE
 * in the same statement (DESIGN.md §4.6).
 */

/** What a claim returns, in the order `ClaimedActionRow` declares it. */
const CLAIMED_COLUMNS = `id, hook, group_name, args, priority, is_unique, schedule_type, schedule_interval, schedule_cron,
  scheduled_at, attempts, max_attempts, claim_token, snoozes, first_snoozed_at, series_failures, last_attempt_at AS started_at`;

export function runnerStatements(s: string) {
  return {
    /**
     * Claim up to $1 due pending actions in Action Scheduler's order (priority, date, id).
     * `candidates` locks rows with SKIP LOCKED, so concurrent claimers never wait on each other nor
     * take the same row. Hooks at their cap in this process ($3) and paused hooks are skipped before
     * the LIMIT; `chosen` then keeps, per capped hook, only as many as it has room for ($4/$5 list the
     * rooms; an unlisted hook without a handler ($6) gets $7, the dispatch default). Candidates left
     * out stay pending: their row locks end with the statement. When $9 is false (no WP_CALLBACK_URL)
     * only hooks with a handler ($6) are candidates: the others wait, pending, for a callback URL.
     */
    claimDueActions: `
      WITH candidates AS MATERIALIZED (
        SELECT a.id, a.hook, a.priority, a.scheduled_at
        FROM ${s}.actions a
        WHERE a.status = 'pending' AND a.scheduled_at <= now()
          AND a.hook <> ALL ($3::text[])
          AND ($9::boolean OR a.hook = ANY ($6::text[]))
          AND NOT EXISTS (SELECT 1 FROM ${s}.hook_pauses p WHERE p.hook = a.hook AND p.paused_until > now())
        ORDER BY a.priority, a.scheduled_at, a.id
        LIMIT $1
        FOR UPDATE OF a SKIP LOCKED
      ),
      ranked AS (
        SELECT c.id, c.hook, row_number() OVER (PARTITION BY c.hook ORDER BY c.priority, c.scheduled_at, c.id) AS rank
        FROM candidates c
      ),
      chosen AS (
        SELECT r.id
        FROM ranked r
        LEFT JOIN unnest($4::text[], $5::integer[]) AS cap(hook, room) ON cap.hook = r.hook
        WHERE r.rank <= COALESCE(cap.room, CASE WHEN r.hook = ANY ($6::text[]) THEN NULL ELSE $7::integer END, 2147483647)
      ),
      claimed AS (
        UPDATE ${s}.actions a
        SET status = 'in-progress', attempts = a.attempts + 1, claim_token = gen_random_uuid(), claimed_by = $2,
            last_attempt_at = now(), lease_expires_at = now() + make_interval(secs => $8::float8)
        FROM chosen WHERE a.id = chosen.id
        RETURNING a.*
      ),
      logged AS (INSERT INTO ${s}.action_logs (action_id, message) SELECT id, 'action started via Sidecar' FROM claimed)
      SELECT ${CLAIMED_COLUMNS} FROM claimed ORDER BY priority, scheduled_at, id`,

    /**
     * /run: claim one pending action now, whatever its date, cap or pause (an operator asked); not a
     * hook without a handler ($5) while nothing can dispatch it ($4 false).
     */
    claimPendingById: `
      WITH claimed AS (
        UPDATE ${s}.actions a
        SET status = 'in-progress', attempts = a.attempts + 1, claim_token = gen_random_uuid(), claimed_by = $2,
            last_attempt_at = now(), lease_expires_at = now() + make_interval(secs => $3::float8)
        WHERE a.id = $1 AND a.status = 'pending' AND ($4::boolean OR a.hook = ANY ($5::text[]))
        RETURNING a.*
      ),
      logged AS (INSERT INTO ${s}.action_logs (action_id, message) SELECT id, 'action started via Sidecar' FROM claimed)
      SELECT ${CLAIMED_COLUMNS} FROM claimed`,

    /**
     * Write a batch of outcomes. Each input row says what the action becomes: complete or failed
     * (finished now), or pending again (retry, snooze, give back) at now + delay, or at its old date
     * when the delay is null. `refund` is 1 when the run spent no attempt. Fenced: only rows still
     * in progress under the same token change, so a worker that lost its lease writes nothing.
     */
    settleClaimedActions: `
      WITH outcome AS (
        SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::float8[], $5::integer[], $6::boolean[], $7::text[], $8::text[])
          AS o(id, token, status, delay_seconds, refund, snoozed, message, error)
      ),
      settled AS (
        UPDATE ${s}.actions a
        SET status = o.status,
            claim_token = NULL,
            lease_expires_at = NULL,
            attempts = a.attempts - o.refund,
            finished_at = CASE WHEN o.status IN ('complete', 'failed') THEN now() END,
            scheduled_at = CASE WHEN o.status = 'pending' AND o.delay_seconds IS NOT NULL
                                THEN now() + make_interval(secs => o.delay_seconds) ELSE a.scheduled_at END,
            snoozes = a.snoozes + o.snoozed::integer,
            first_snoozed_at = CASE WHEN o.snoozed THEN COALESCE(a.first_snoozed_at, now()) ELSE a.first_snoozed_at END,
            last_error = CASE WHEN o.status = 'complete' THEN NULL ELSE COALESCE(o.error, a.last_error) END
        FROM outcome o
        WHERE a.id = o.id AND a.claim_token = o.token AND a.status = 'in-progress'
        RETURNING a.id
      ),
      logged AS (
        INSERT INTO ${s}.action_logs (action_id, message)
        SELECT o.id, o.message FROM outcome o JOIN settled USING (id)
      )
      SELECT id, extract(epoch FROM now())::float8 AS db_now FROM settled`,

    /** The heartbeat: one statement extends every lease this process still holds. */
    extendLeases: `
      UPDATE ${s}.actions a
      SET lease_expires_at = now() + make_interval(secs => $4::float8)
      FROM unnest($1::bigint[], $2::uuid[]) AS held(id, token)
      WHERE a.id = held.id AND a.claim_token = held.token AND a.status = 'in-progress' AND a.claimed_by = $3
      RETURNING a.id`,

    /**
     * The reaper: expired leases go back to pending without spending an attempt, at most $2 times
     * per action; the next expiry fails the action. The database clock decides what expired.
     */
    reapExpiredLeases: `
      WITH expired AS (
        SELECT id FROM ${s}.actions
        WHERE status = 'in-progress' AND lease_expires_at < now()
        ORDER BY lease_expires_at
        LIMIT $1
        FOR UPDATE SKIP LOCKED
      ),
      reaped AS (
        UPDATE ${s}.actions a
        SET lease_expiries = a.lease_expiries + 1,
            status = CASE WHEN a.lease_expiries + 1 > $2::integer THEN 'failed' ELSE 'pending' END,
            attempts = CASE WHEN a.lease_expiries + 1 > $2::integer THEN a.attempts ELSE a.attempts - 1 END,
            finished_at = CASE WHEN a.lease_expiries + 1 > $2::integer THEN now() END,
            last_error = CASE WHEN a.lease_expiries + 1 > $2::integer THEN 'the lease expired ' || (a.lease_expiries + 1) || ' times' ELSE a.last_error END,
            claim_token = NULL,
            lease_expires_at = NULL
        FROM expired WHERE a.id = expired.id
        RETURNING a.id, a.hook, a.status, a.lease_expiries, a.claimed_by, a.group_name, a.args, a.priority, a.is_unique,
                  a.schedule_type, a.schedule_interval, a.schedule_cron, a.scheduled_at, a.max_attempts, a.series_failures
      ),
      logged AS (
        INSERT INTO ${s}.action_logs (action_id, message)
        SELECT id, CASE WHEN status = 'pending'
          THEN 'action lease expired (worker ' || COALESCE(claimed_by, '?') || ' stopped renewing it); returned to the queue without spending an attempt (expiry ' || lease_expiries || ' of ' || $2::integer || ')'
          ELSE 'action failed via Sidecar: the lease expired ' || lease_expiries || ' times (the workers running it stopped or lost the database)'
        END
        FROM reaped
      )
      SELECT id, hook, status, lease_expiries, group_name, args, priority, is_unique, schedule_type, schedule_interval,
             schedule_cron, scheduled_at, max_attempts, series_failures, extract(epoch FROM now())::float8 AS db_now
      FROM reaped`,

    /** When the next pending action falls due (epoch ms), for the wake-up timer; null when none. */
    selectNextDueAt: `
      SELECT (extract(epoch FROM min(scheduled_at)) * 1000)::float8 AS due_ms, (extract(epoch FROM now()) * 1000)::float8 AS now_ms
      FROM ${s}.actions WHERE status = 'pending'`,

    /** Pause a hook until now + $2 seconds; a longer pause already in place wins. */
    pauseHookUntil: `
      INSERT INTO ${s}.hook_pauses (hook, paused_until, reason)
      VALUES ($1, now() + make_interval(secs => $2::float8), $3)
      ON CONFLICT (hook) DO UPDATE
      SET paused_until = GREATEST(${s}.hook_pauses.paused_until, EXCLUDED.paused_until),
          reason = EXCLUDED.reason, updated_at = now()`,

    /** Carry a series' failure count onto its new instances. */
    setSeriesFailures: `
      UPDATE ${s}.actions a SET series_failures = t.failures
      FROM unnest($1::bigint[], $2::smallint[]) AS t(id, failures)
      WHERE a.id = t.id`,

    /** Extra log lines (a series that stops, a successor blocked by a live twin). */
    insertActionLogs: `
      INSERT INTO ${s}.action_logs (action_id, message)
      SELECT * FROM unnest($1::bigint[], $2::text[])`,

    /** `fenced()`: lock the row and prove the claim is still ours before a handler's writes. */
    lockHeldAction: `
      SELECT id FROM ${s}.actions
      WHERE id = $1 AND claim_token = $2 AND status = 'in-progress'
      FOR UPDATE`,

    /**
     * /retry: a failed action becomes pending now with a fresh attempt budget. A failed instance of a
     * recurring series whose next instance is already live runs once (it becomes a single action):
     * finishing it must not start a second copy of the series. An instance whose series stopped (the
     * 5-failure rule) stays recurring, so a successful retry resumes the series.
     */
    resetFailedAction: `
      WITH target AS (
        SELECT a.id, a.schedule_type IN ('interval', 'cron') AND EXISTS (
                 SELECT 1 FROM ${s}.actions t
                 WHERE t.hook = a.hook AND t.group_name = a.group_name AND t.args_digest = a.args_digest
                   AND t.status IN ('pending', 'in-progress') AND t.schedule_type = a.schedule_type AND t.id <> a.id
               ) AS series_went_on
        FROM ${s}.actions a
        WHERE a.id = $1 AND a.status = 'failed'
        FOR UPDATE
      ),
      reset AS (
        UPDATE ${s}.actions a
        SET status = 'pending', attempts = 0, scheduled_at = now(), finished_at = NULL, lease_expiries = 0,
            snoozes = 0, first_snoozed_at = NULL,
            schedule_type = CASE WHEN t.series_went_on THEN 'single' ELSE a.schedule_type END,
            schedule_interval = CASE WHEN t.series_went_on THEN NULL ELSE a.schedule_interval END,
            schedule_cron = CASE WHEN t.series_went_on THEN NULL ELSE a.schedule_cron END
        FROM target t WHERE a.id = t.id
        RETURNING a.id, a.max_attempts, t.series_went_on
      ),
      logged AS (
        INSERT INTO ${s}.action_logs (action_id, message)
        SELECT id, 'action reset: retry requested via Sidecar (a fresh budget of ' || max_attempts
                   || CASE WHEN max_attempts = 1 THEN ' attempt)' ELSE ' attempts)' END
                   || CASE WHEN series_went_on THEN '; it runs once: its series already has a pending instance' ELSE '' END
        FROM reset
      )
      SELECT id, (extract(epoch FROM now()) * 1000)::float8 AS due_ms FROM reset`,

    selectActionStatus: `SELECT status, hook FROM ${s}.actions WHERE id = $1`,

    /**
     * Due pending actions of hooks without a handler ($1): what waits for WP_CALLBACK_URL. Read through
     * the pending partial index and capped at $2 rows, like the metrics' depth query.
     */
    countDueWithoutHandler: `
      SELECT count(*)::integer AS waiting FROM (
        SELECT 1 FROM ${s}.actions
        WHERE status = 'pending' AND scheduled_at <= now() AND hook <> ALL ($1::text[])
        LIMIT $2
      ) due`,

    /**
     * The cleaner, one retention class at a time: finished actions of status $1 older than $2 seconds,
     * except hooks with their own retention ($3). Logs go with them (ON DELETE CASCADE).
     */
    deleteFinishedByStatus: `
      WITH doomed AS (
        SELECT id FROM ${s}.actions
        WHERE finished_at < now() - make_interval(secs => $2::float8) AND status = $1 AND hook <> ALL ($3::text[])
        ORDER BY finished_at
        LIMIT $4
        FOR UPDATE SKIP LOCKED
      ),
      deleted AS (DELETE FROM ${s}.actions a USING doomed WHERE a.id = doomed.id RETURNING a.id)
      SELECT count(*)::integer AS deleted FROM deleted`,

    /** The cleaner for a hook with its own retention (every finished status alike). */
    deleteFinishedByHook: `
      WITH doomed AS (
        SELECT id FROM ${s}.actions
        WHERE hook = $1 AND finished_at < now() - make_interval(secs => $2::float8)
        ORDER BY finished_at
        LIMIT $3
        FOR UPDATE SKIP LOCKED
      ),
      deleted AS (DELETE FROM ${s}.actions a USING doomed WHERE a.id = doomed.id RETURNING a.id)
      SELECT count(*)::integer AS deleted FROM deleted`,

    /**
     * Gauges for /metrics: live actions per hook and status, read through the live partial index and
     * capped at $1 rows so a huge backlog costs a bounded scan (the answer then says it is capped).
     */
    countLiveActionsByHook: `
      WITH live AS (
        SELECT hook, status, scheduled_at FROM ${s}.actions
        WHERE status IN ('pending', 'in-progress')
        LIMIT $1
      )
      SELECT hook,
             count(*) FILTER (WHERE status = 'pending')::integer AS pending,
             count(*) FILTER (WHERE status = 'in-progress')::integer AS in_progress,
             count(*) FILTER (WHERE status = 'pending' AND scheduled_at <= now())::integer AS past_due
      FROM live GROUP BY hook`,

    /**
     * The embedded database's maintenance (PGlite runs no autovacuum): reclaim what the runner and the
     * cleaner left dead and refresh the planner's statistics. Not in a transaction (VACUUM refuses one).
     */
    vacuumAnalyzeRunnerTables: `VACUUM (ANALYZE) ${s}.actions, ${s}.action_logs, ${s}.hook_pauses`,

    /** Age of the oldest due pending action, in seconds (0 when nothing is due). */
    selectOldestDueAge: `
      SELECT COALESCE(extract(epoch FROM now() - min(scheduled_at)), 0)::float8 AS age
      FROM ${s}.actions WHERE status = 'pending' AND scheduled_at <= now()`,
  };
}

export type RunnerStatements = ReturnType<typeof runnerStatements>;
