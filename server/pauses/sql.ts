/**
 * Every statement of the pauses (migration 009 has the model): operator pauses of one hook or of the
 * whole runner, their resume, and the reads the runner, /metrics and GET /v1/hooks make. `s` is the
 * quoted schema. An indefinite pause ends at 'infinity'; times leave as epoch milliseconds (null when
 * indefinite), so both drivers hand back the same numbers and no reader meets an infinite date.
 */

/** The reason an operator's pause carries; any other reason is the runner's own (a remote's 429). */
export const OPERATOR_REASON = 'operator';

const untilMs = (column: string): string => `CASE WHEN isfinite(${column}) THEN (extract(epoch FROM ${column}) * 1000)::float8 END`;

export function pauseStatements(s: string) {
  return {
    /**
     * An operator pauses a hook until $2 (null: indefinitely); nothing happens when $2 is not in the
     * future (the route answers 400). An operator may lengthen or shorten an operator pause; against
     * the runner's own pause the later end wins, and its reason with it.
     */
    pauseHook: `
      INSERT INTO ${s}.hook_pauses AS hp (hook, paused_until, reason)
      SELECT $1::text, COALESCE($2::timestamptz, 'infinity'), '${OPERATOR_REASON}'
      WHERE COALESCE($2::timestamptz, 'infinity') > now()
      ON CONFLICT (hook) DO UPDATE
      SET paused_until = CASE WHEN hp.reason = '${OPERATOR_REASON}' OR hp.paused_until <= now() THEN EXCLUDED.paused_until
                              ELSE GREATEST(hp.paused_until, EXCLUDED.paused_until) END,
          reason = CASE WHEN hp.reason <> '${OPERATOR_REASON}' AND hp.paused_until > EXCLUDED.paused_until THEN hp.reason
                        ELSE EXCLUDED.reason END,
          updated_at = now()
      RETURNING hook, ${untilMs('paused_until')} AS until_ms, reason`,

    /** End a hook's pause now, whoever set it. The row stays: its end tells held actions why they waited. */
    resumeHook: `
      UPDATE ${s}.hook_pauses SET paused_until = now(), updated_at = now()
      WHERE hook = $1 AND paused_until > now()
      RETURNING hook`,

    /** Pause every claim until $1 (null: indefinitely); nothing happens when $1 is not in the future. */
    pauseRunner: `
      INSERT INTO ${s}.runner_pause AS rp (singleton, paused_until, reason)
      SELECT true, COALESCE($1::timestamptz, 'infinity'), $2::text
      WHERE COALESCE($1::timestamptz, 'infinity') > now()
      ON CONFLICT (singleton) DO UPDATE
      SET paused_until = EXCLUDED.paused_until, reason = EXCLUDED.reason, updated_at = now()
      RETURNING ${untilMs('paused_until')} AS until_ms, reason`,

    resumeRunner: `
      UPDATE ${s}.runner_pause SET paused_until = now(), updated_at = now()
      WHERE paused_until > now()
      RETURNING singleton`,

    /**
     * The runner pause as the claim loop needs it: whether it holds, and for how long from now by the
     * database clock (null when indefinite), so the process's own clock never decides.
     */
    selectRunnerPause: `
      SELECT ${untilMs('paused_until')} AS until_ms,
             CASE WHEN isfinite(paused_until) THEN (extract(epoch FROM paused_until - now()) * 1000)::float8 END AS remaining_ms,
             reason
      FROM ${s}.runner_pause WHERE paused_until > now()`,

    /** Hooks paused now (a small table: one row per hook ever paused). */
    selectHookPauses: `
      SELECT hook, ${untilMs('paused_until')} AS until_ms, reason
      FROM ${s}.hook_pauses WHERE paused_until > now()
      ORDER BY hook`,
  };
}

export type PauseStatements = ReturnType<typeof pauseStatements>;

/**
 * Log lines for claimed actions that a pause held back, spliced into the claim's log CTE (`claimed`
 * names the CTE of the claimed rows, which carries hook and scheduled_at): an action due before a
 * hook's pause or the runner pause ended, claimed after it ended. Written at claim time, so pausing
 * and resuming write nothing per action. A join of the claimed rows (one batch) with two small tables.
 */
export function heldByPauseLogLines(s: string, claimed: string): string {
  const ended = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;
  return `
        SELECT c.id, 'action claimed after hook pause (' ||
                     CASE WHEN hp.reason = '${OPERATOR_REASON}' THEN 'paused by an operator' ELSE 'paused by the runner: ' || hp.reason END ||
                     '; ended ' || ${ended('hp.paused_until')} || ')'
        FROM ${claimed} c JOIN ${s}.hook_pauses hp ON hp.hook = c.hook
        WHERE c.scheduled_at < hp.paused_until AND hp.paused_until <= now()
        UNION ALL
        SELECT c.id, 'action claimed after runner pause (ended ' || ${ended('rp.paused_until')} || ')'
        FROM ${claimed} c CROSS JOIN ${s}.runner_pause rp
        WHERE c.scheduled_at < rp.paused_until AND rp.paused_until <= now()`;
}
