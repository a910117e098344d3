/**
 * Every statement of the runner, named by intent. `s` is the quoted schema, spliced in once at
 * start-up; values travel only as cast `$n` parameters, batches as one array parameter per column.
 * Each state change is one statement per batch, with its log lines written by a data-modifying CTE
 * in the same statement (DESIGN.md §4.6).
 */

import { heldByPauseLogLines } from '../pauses/sql.ts';

/**
 * What a claim returns, in the order `ClaimedActionRow` declares it: the claim's UPDATE returns these
 * columns only (not `a.*`, which carried every column of every claimed row through the statement).
 */
const CLAIMED_COLUMNS = `a.id, a.hook, a.group_name, a.args, a.priority, a.is_unique, a.schedule_type, a.schedule_interval,
  a.schedule_cron, a.scheduled_at, a.attempts, a.max_attempts, a.claim_token, a.snoozes, a.first_snoozed_at, a.series_failures,
  a.last_attempt_at AS started_at`;

/** The claim, the claim loop's look at what is due, and /run's claim of one action. */
function claimStatements(s: string) {
  return {
    /**
     * Claim up to $1 due pending actions, fairly: each hook gets at most its room, whatever the others'
     * backlogs, and the claim keeps Action Scheduler's order (priority, date, id) within a hook and
     * among everything it takes.
     * - `pairs` walks the distinct (hook, priority) of pending actions through actions_claim_by_hook,
     *   one probe each: a recursive loose index scan, as PostgreSQL 15 has no skip scan.
     * - `rooms` drops hooks at their cap in this process or paused ($3, and hook_pauses), and gives each
     *   pair its hook's room: $4/$5 list capped hooks with room, a hook without a handler ($6) that is
     *   not listed gets $7 (the dispatch cap; null is uncapped), everything else $1. A room of 0 claims
     *   nothing.
     * - `picked` reads each pair's due actions as one index range in date order, at most the room, with
     *   SKIP LOCKED, so concurrent claimers never wait on each other nor take the same row.
     * - `chosen` keeps per hook its room across priorities and the first $1 of all in claim order.
     *   Rows picked but not chosen stay pending: their row locks end with the statement.
     * - `logged` writes "action started" and, for an action a pause held back, a line saying so
     *   (pauses/sql.ts heldByPauseLogLines).
     * The UPDATE finds the chosen rows by `= ANY (ARRAY(...))`: with a join, the generic plan of this
     * prepared statement hashed the whole table (measured: half the drain rate).
     */
    claimDueActions: `
      WITH RECURSIVE pairs AS (
        (SELECT a.hook, a.priority FROM ${s}.actions a WHERE a.status = 'pending' ORDER BY a.hook, a.priority LIMIT 1)
        UNION ALL
        SELECT next.hook, next.priority
        FROM pairs p
        CROSS JOIN LATERAL (
          SELECT a.hook, a.priority FROM ${s}.actions a
          WHERE a.status = 'pending' AND (a.hook, a.priority) > (p.hook, p.priority)
          ORDER BY a.hook, a.priority
          LIMIT 1
        ) next
      ),
      rooms AS (
        SELECT p.hook, p.priority,
               LEAST($1::integer, COALESCE(cap.room, CASE WHEN p.hook = ANY ($6::text[]) THEN $1::integer ELSE COALESCE($7::integer, $1::integer) END)) AS room
        FROM pairs p
        LEFT JOIN unnest($4::text[], $5::integer[]) AS cap(hook, room) ON cap.hook = p.hook
        WHERE p.hook <> ALL ($3::text[])
          AND NOT EXISTS (SELECT 1 FROM ${s}.hook_pauses hp WHERE hp.hook = p.hook AND hp.paused_until > now())
      ),
      picked AS MATERIALIZED (
        SELECT due.id, due.hook, due.priority, due.scheduled_at, r.room
        FROM rooms r
        CROSS JOIN LATERAL (
          SELECT a.id, a.hook, a.priority, a.scheduled_at FROM ${s}.actions a
          WHERE a.hook = r.hook AND a.priority = r.priority AND a.status = 'pending' AND a.scheduled_at <= now()
          ORDER BY a.scheduled_at, a.id
          LIMIT r.room
          FOR UPDATE OF a SKIP LOCKED
        ) due
        WHERE r.room > 0
      ),
      chosen AS (
        SELECT ranked.id
        FROM (
          SELECT pk.id, pk.priority, pk.scheduled_at, pk.room,
                 row_number() OVER (PARTITION BY pk.hook ORDER BY pk.priority, pk.scheduled_at, pk.id) AS rank
          FROM picked pk
        ) ranked
        WHERE ranked.rank <= ranked.room
        ORDER BY ranked.priority, ranked.scheduled_at, ranked.id
        LIMIT $1
      ),
      claimed AS (
        UPDATE ${s}.actions a
        SET status = 'in-progress', attempts = a.attempts + 1, claim_token = gen_random_uuid(), claimed_by = $2,
            last_attempt_at = now(), lease_expires_at = now() + make_interval(secs => $8::float8)
        WHERE a.id = ANY (ARRAY(SELECT id FROM chosen))
        RETURNING ${CLAIMED_COLUMNS}
      ),
      logged AS (
        INSERT INTO ${s}.action_logs (action_id, message)
        ${heldByPauseLogLines(s, 'claimed')}
        UNION ALL
        SELECT id, 'action started via Sidecar' FROM claimed
      )
      SELECT * FROM claimed ORDER BY priority, scheduled_at, id`,

    /**
     * For the claim loop after a claim that took less than it asked: whether pending actions are due now
     * (capped, paused or locked by another claimer: a freed slot should look again), and when the next
     * one falls due (epoch ms; null when none), for the wake-up timer. "Next" means after $1, the
     * database time of the loop's previous look (now() on the first): a due backlog must not hide a
     * retry falling due later, and an action that fell due between the claim and this look must not
     * be missed (it comes back as due in the past: the loop claims again at once).
     * "Due now" is the earliest pending date compared with now(), one probe of actions_status_date:
     * an EXISTS over (pending, due) was planned as a sequential scan that expects an early match and,
     * at a million rows with the pending ones last in the heap, read 900,000 finished rows first
     * (114 ms per look in bench:scale).
     */
    selectDueState: `
      SELECT COALESCE((SELECT min(scheduled_at) FROM ${s}.actions WHERE status = 'pending') <= now(), false) AS due_now,
             (SELECT (extract(epoch FROM min(scheduled_at)) * 1000)::float8 FROM ${s}.actions
              WHERE status = 'pending' AND scheduled_at > COALESCE(to_timestamp($1::float8 / 1000), now())) AS next_due_ms,
             (extract(epoch FROM now()) * 1000)::float8 AS now_ms`,

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
        RETURNING ${CLAIMED_COLUMNS}
      ),
      logged AS (INSERT INTO ${s}.action_logs (action_id, message) SELECT id, 'action started via Sidecar' FROM claimed)
      SELECT * FROM claimed`,

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
  };
}

/** Writing outcomes (the settle batch and what shares its transaction), a handler's fence, /retry's reset. */
function outcomeStatements(s: string) {
  return {
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

    /**
     * settleClaimedActions for a batch that only completes ($1 ids, $2 tokens, $3 the log line): the
     * common case under a backlog, with two arrays to send and unnest instead of eight (bench:profile:
     * the settle was half the database time of a drain). Same fence, same columns written.
     */
    completeClaimedActions: `
      WITH settled AS (
        UPDATE ${s}.actions a
        SET status = 'complete', claim_token = NULL, lease_expires_at = NULL, finished_at = now(), last_error = NULL
        FROM unnest($1::bigint[], $2::uuid[]) AS o(id, token)
        WHERE a.id = o.id AND a.claim_token = o.token AND a.status = 'in-progress'
        RETURNING a.id
      ),
      logged AS (INSERT INTO ${s}.action_logs (action_id, message) SELECT id, $3::text FROM settled)
      SELECT id, extract(epoch FROM now())::float8 AS db_now FROM settled`,

    /**
     * Pause a hook until now + $2 seconds; a longer pause already in place wins, and keeps its reason:
     * an operator's pause (pauses/sql.ts), indefinite or longer, is neither shortened nor relabelled.
     */
    pauseHookUntil: `
      INSERT INTO ${s}.hook_pauses (hook, paused_until, reason)
      VALUES ($1, now() + make_interval(secs => $2::float8), $3)
      ON CONFLICT (hook) DO UPDATE
      SET paused_until = GREATEST(${s}.hook_pauses.paused_until, EXCLUDED.paused_until),
          reason = CASE WHEN ${s}.hook_pauses.paused_until >= EXCLUDED.paused_until THEN ${s}.hook_pauses.reason ELSE EXCLUDED.reason END,
          updated_at = now()`,

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

    /** `fenced()`'s question about another run's claim: does its token still hold an action in progress? */
    selectClaimIsLive: `SELECT EXISTS (SELECT 1 FROM ${s}.actions WHERE status = 'in-progress' AND claim_token = $1::uuid) AS live`,

    /** /retry of one action ($1): see resetFailedActions. */
    resetFailedAction: resetFailedActions(s, 'one'),

    /**
     * POST /v1/actions/retry: up to $5 failed actions of hook $1 and/or group $2 (null: any), finished
     * at or after $3 and before $4 (null: unbounded), oldest first. Rows another retry holds are skipped.
     */
    resetFailedActionsByFilter: resetFailedActions(s, 'filter'),
  };
}

/** Which failed rows a reset takes: one by id, or a filter (see the two statements above). */
function failedTargets(s: string, by: 'one' | 'filter'): string {
  const columns = `a.id, a.hook, a.group_name, a.args_digest, a.schedule_type, a.is_unique, a.max_attempts`;
  if (by === 'one') return `SELECT ${columns} FROM ${s}.actions a WHERE a.id = $1 AND a.status = 'failed' FOR UPDATE`;
  return `
        SELECT ${columns} FROM ${s}.actions a
        WHERE a.status = 'failed' AND ($1::text IS NULL OR a.hook = $1) AND ($2::text IS NULL OR a.group_name = $2)
          AND ($3::timestamptz IS NULL OR a.finished_at >= $3) AND ($4::timestamptz IS NULL OR a.finished_at < $4)
        ORDER BY a.finished_at, a.id
        LIMIT $5
        FOR UPDATE SKIP LOCKED`;
}

/**
 * /retry, for one action or many: the one transition from failed back to pending, now, with a fresh
 * attempt budget and a log line each (Action Scheduler has no such thing: its failed actions stay
 * failed). Two things must not double:
 * - a recurring or cron series: a failed instance whose series already has a live instance, or that
 *   is not the newest instance of its series among those reset together, runs once (it becomes a
 *   single action). An instance whose series stopped (the 5-failure rule) stays recurring, so a
 *   successful retry resumes the series;
 * - a unique action: one whose twin is live, or that is not the newest of its twins reset together,
 *   stays failed (`matched` counts it, `reset` does not). A twin going live concurrently still meets
 *   the partial unique index, which refuses the whole statement (the caller retries or answers 409).
 */
function resetFailedActions(s: string, by: 'one' | 'filter'): string {
  const sameKey = (t: string, l: string): string => `${t}.hook = ${l}.hook AND ${t}.group_name = ${l}.group_name AND ${t}.args_digest = ${l}.args_digest`;
  return `
      WITH locked AS (${failedTargets(s, by)}
      ),
      ranked AS (
        SELECT l.*,
               row_number() OVER (PARTITION BY l.hook, l.group_name, l.args_digest, l.schedule_type ORDER BY l.id DESC) AS series_rank,
               row_number() OVER (PARTITION BY l.hook, l.group_name, l.args_digest, l.is_unique ORDER BY l.id DESC) AS unique_rank
        FROM locked l
      ),
      target AS (
        SELECT r.id, r.max_attempts,
               r.schedule_type IN ('interval', 'cron') AND (r.series_rank > 1 OR EXISTS (
                 SELECT 1 FROM ${s}.actions t
                 WHERE ${sameKey('t', 'r')} AND t.status IN ('pending', 'in-progress') AND t.schedule_type = r.schedule_type AND t.id <> r.id
               )) AS series_went_on
        FROM ranked r
        WHERE NOT (r.is_unique AND (r.unique_rank > 1 OR EXISTS (
                 SELECT 1 FROM ${s}.actions t WHERE ${sameKey('t', 'r')} AND t.is_unique AND t.status IN ('pending', 'in-progress'))))
      ),
      reset AS (
        UPDATE ${s}.actions a
        SET status = 'pending', attempts = 0, scheduled_at = now(), finished_at = NULL, lease_expiries = 0,
            snoozes = 0, first_snoozed_at = NULL,
            schedule_type = CASE WHEN t.series_went_on THEN 'single' ELSE a.schedule_type END,
            schedule_interval = CASE WHEN t.series_went_on THEN NULL ELSE a.schedule_interval END,
            schedule_cron = CASE WHEN t.series_went_on THEN NULL ELSE a.schedule_cron END
        FROM target t WHERE a.id = t.id
        RETURNING a.id, t.max_attempts, t.series_went_on
      ),
      logged AS (
        INSERT INTO ${s}.action_logs (action_id, message)
        SELECT id, 'action reset: ${by === 'one' ? 'retry' : 'bulk retry'} requested via Sidecar (a fresh budget of ' || max_attempts
                   || CASE WHEN max_attempts = 1 THEN ' attempt)' ELSE ' attempts)' END
                   || CASE WHEN series_went_on THEN '; it runs once: its series already has a pending instance' ELSE '' END
        FROM reset
      )
      SELECT (SELECT count(*) FROM locked)::integer AS matched, count(*)::integer AS reset,
             (extract(epoch FROM now()) * 1000)::float8 AS due_ms
      FROM reset`;
}

/** Leases: the heartbeat and the reaper. */
function leaseStatements(s: string) {
  return {
    /**
     * The heartbeat: one statement extends every lease this process still holds. It returns the tokens
     * renewed: one action may be held twice here (a run that lost its claim, and the run of its new claim).
     */
    extendLeases: `
      UPDATE ${s}.actions a
      SET lease_expires_at = now() + make_interval(secs => $4::float8)
      FROM unnest($1::bigint[], $2::uuid[]) AS held(id, token)
      WHERE a.id = held.id AND a.claim_token = held.token AND a.status = 'in-progress' AND a.claimed_by = $3
      RETURNING a.claim_token`,

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
  };
}

/** The cleaner, the embedded database's maintenance and the metrics gauges. */
function upkeepStatements(s: string) {
  return {
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
     * Gauges for /metrics: live actions per hook and status, capped at $1 rows so a huge backlog costs
     * a bounded scan (the answer then says it is capped). One branch per status, so each reads its
     * partial index (pending: actions_claim_by_hook, which holds hook and date; in progress:
     * actions_lease): `status IN (pending, in-progress)` read the whole table (bench:scale, 245 ms at
     * a million rows).
     */
    countLiveActionsByHook: `
      WITH live AS (
        (SELECT hook, 'pending'::text AS status, scheduled_at FROM ${s}.actions WHERE status = 'pending' LIMIT $1)
        UNION ALL
        (SELECT hook, 'in-progress'::text AS status, scheduled_at FROM ${s}.actions WHERE status = 'in-progress' LIMIT $1)
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

export function runnerStatements(s: string) {
  return { ...claimStatements(s), ...outcomeStatements(s), ...leaseStatements(s), ...upkeepStatements(s) };
}

export type RunnerStatements = ReturnType<typeof runnerStatements>;
