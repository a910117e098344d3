/**
 * Every statement of the actions store, named by intent. `s` is the quoted schema, spliced in once at
 * start-up; values travel only as cast `$n` parameters, sets as one array parameter each.
 * Statements with variants (the filters of has/next/unschedule and the list) are built from a closed
 * set of options in `match.ts` and `list-query.ts`.
 */

/** Columns every read of an action selects, in the order `ActionRow` declares them. */
export const ACTION_COLUMNS = `id, hook, status, args, group_name, priority, is_unique, schedule_type, schedule_interval,
  schedule_cron, scheduled_at, attempts, max_attempts, last_attempt_at, claim_token, last_error`;

/** The digest the uniqueness index is built on; computed the same way on write and on lookup. */
export const ARGS_DIGEST = (param: string): string => `sha256(convert_to(${param}, 'UTF8'))`;

/**
 * Where the rows of an insert come from: `many` binds one array per column; `one` binds one scalar per
 * column, wrapped in one-element arrays. Both are the same statement to the planner, but a prepared
 * statement over `$n::text[]` is estimated at 10 rows without its values, so PostgreSQL keeps re-planning
 * it for every single-row call (a custom plan, ~0.2 ms of planning each time); `ARRAY[$n]` is known to
 * hold one row, so the cached generic plan is chosen after the first five calls.
 */
const INSERT_SOURCES = {
  many: `unnest($1::text[], $2::text[], $3::text[], $4::smallint[], $5::boolean[], $6::text[], $7::integer[],
                    $8::text[], $9::float8[], $10::integer[])`,
  one: `unnest(ARRAY[$1::text], ARRAY[$2::text], ARRAY[$3::text], ARRAY[$4::smallint], ARRAY[$5::boolean],
                    ARRAY[$6::text], ARRAY[$7::integer], ARRAY[$8::text], ARRAY[$9::float8], ARRAY[$10::integer])`,
} as const;

/**
 * Insert actions in one statement, with their "action created" logs. Ids are drawn up front so each
 * input row (by ordinality) knows its id whether or not it was inserted. A unique item is skipped when
 * any live twin exists (the lateral probe, which also sees plain twins) and, for a twin that is being
 * inserted concurrently, by ON CONFLICT on the partial unique index. The probe is a LATERAL ... LIMIT 1
 * rather than NOT EXISTS: PostgreSQL turns an EXISTS under OR/NOT into a hashed subplan that reads every
 * live row of the table once per statement when it guesses the table is small, which made each unique
 * enqueue slower the more pending actions there were; the lateral form is always one index probe per
 * unique item, and none for a plain one (the one-time filter on is_unique).
 */
function insertActionsFrom(s: string, source: string): string {
  return `
      WITH input AS MATERIALIZED (
        SELECT nextval('${s}.actions_id_seq') AS id, t.ord, t.hook, t.group_name, t.args,
               ${ARGS_DIGEST('t.args')} AS args_digest, t.priority, t.is_unique, t.schedule_type,
               t.schedule_interval, t.schedule_cron,
               COALESCE(to_timestamp(t.scheduled_epoch), now()) AS scheduled_at, t.max_attempts
        FROM ${source}
             WITH ORDINALITY AS t(hook, group_name, args, priority, is_unique, schedule_type,
                                  schedule_interval, schedule_cron, scheduled_epoch, max_attempts, ord)
      ),
      inserted AS (
        INSERT INTO ${s}.actions (id, hook, group_name, args, args_digest, priority, is_unique, schedule_type,
                                  schedule_interval, schedule_cron, scheduled_at, max_attempts)
        SELECT i.id, i.hook, i.group_name, i.args, i.args_digest, i.priority, i.is_unique, i.schedule_type,
               i.schedule_interval, i.schedule_cron, i.scheduled_at, i.max_attempts
        FROM input i
        LEFT JOIN LATERAL (
          SELECT true AS found FROM ${s}.actions a
          WHERE i.is_unique AND a.hook = i.hook AND a.group_name = i.group_name AND a.args_digest = i.args_digest
            AND a.status IN ('pending', 'in-progress')
          LIMIT 1) twin ON true
        WHERE twin.found IS NULL
        ORDER BY i.ord
        ON CONFLICT (hook, group_name, args_digest) WHERE is_unique AND status IN ('pending', 'in-progress') DO NOTHING
        RETURNING id
      ),
      logged AS (
        INSERT INTO ${s}.action_logs (action_id, message) SELECT id, 'action created' FROM inserted
      )
      SELECT i.ord::integer AS ord, i.id, (ins.id IS NOT NULL) AS created,
             (extract(epoch FROM i.scheduled_at) * 1000)::float8 AS due_ms
      FROM input i LEFT JOIN inserted ins ON ins.id = i.id
      ORDER BY i.ord`;
}

export function actionStatements(s: string) {
  return {
    /** Many actions: `$1`…`$10` are arrays, one element per action. */
    insertActions: insertActionsFrom(s, INSERT_SOURCES.many),

    /** One action: the same statement with `$1`…`$10` as scalars (see INSERT_SOURCES). */
    insertOneAction: insertActionsFrom(s, INSERT_SOURCES.one),

    /**
     * For blocked unique items: the live twin that blocked each (a unique twin first, else the oldest).
     * One index probe per item (LATERAL ... LIMIT 1): as a plain join, several items on a table whose
     * statistics were older than its growth made a hash join over every live row.
     */
    findLiveTwins: `
      SELECT t.ord::integer AS ord, twin.id
      FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS t(hook, group_name, args, ord)
      CROSS JOIN LATERAL (
        SELECT a.id FROM ${s}.actions a
        WHERE a.hook = t.hook AND a.group_name = t.group_name AND a.args_digest = ${ARGS_DIGEST('t.args')}
          AND a.args = t.args AND a.status IN ('pending', 'in-progress')
        ORDER BY a.is_unique DESC, a.id
        LIMIT 1) twin
      ORDER BY t.ord`,

    selectActionById: `SELECT ${ACTION_COLUMNS} FROM ${s}.actions WHERE id = $1`,

    selectLogsByActionId: `SELECT id, message, created_at FROM ${s}.action_logs WHERE action_id = $1 ORDER BY id`,

    selectActionsByIds: `SELECT ${ACTION_COLUMNS} FROM ${s}.actions WHERE id = ANY($1::bigint[])`,

    selectLogsByActionIds: `SELECT action_id, id, message, created_at FROM ${s}.action_logs WHERE action_id = ANY($1::bigint[]) ORDER BY action_id, id`,

    /** Per status, and the pending ones already due ("past-due" on Action Scheduler's screen). */
    countActionsByStatus: `
      SELECT status, count(*)::integer AS n,
             count(*) FILTER (WHERE status = 'pending' AND scheduled_at <= now())::integer AS past_due
      FROM ${s}.actions GROUP BY status`,

    /** Cancel one pending action by id, with its log line. */
    cancelPendingById: `
      WITH canceled AS (
        UPDATE ${s}.actions SET status = 'canceled', finished_at = now()
        WHERE id = $1 AND status = 'pending'
        RETURNING id
      ),
      logged AS (INSERT INTO ${s}.action_logs (action_id, message) SELECT id, 'action canceled' FROM canceled)
      SELECT id FROM canceled`,
  };
}

/** The filter-dependent statements; `where` comes from `match.ts` (conditions over `$n` only). */
export function matchStatements(s: string, where: string) {
  return {
    hasLiveMatch: `SELECT EXISTS (SELECT 1 FROM ${s}.actions WHERE status IN ('pending', 'in-progress') AND ${where}) AS found`,

    /** In-progress first (Action Scheduler answers true for a running match), then the earliest pending. */
    selectNextLiveMatch: `
      SELECT status, schedule_type, floor(extract(epoch FROM scheduled_at))::bigint AS timestamp
      FROM ${s}.actions
      WHERE status IN ('pending', 'in-progress') AND ${where}
      ORDER BY (status = 'in-progress') DESC, scheduled_at, id
      LIMIT 1`,

    /**
     * Cancel the earliest pending match. SKIP LOCKED: a row being claimed right now is about to run, so
     * the next candidate is the one to cancel, as a later call would find anyway.
     */
    cancelEarliestPendingMatch: `
      WITH target AS (
        SELECT id FROM ${s}.actions
        WHERE status = 'pending' AND ${where}
        ORDER BY scheduled_at, id
        LIMIT 1
        FOR UPDATE SKIP LOCKED
      ),
      canceled AS (
        UPDATE ${s}.actions a SET status = 'canceled', finished_at = now()
        FROM target WHERE a.id = target.id
        RETURNING a.id
      ),
      logged AS (INSERT INTO ${s}.action_logs (action_id, message) SELECT id, 'action canceled' FROM canceled)
      SELECT id FROM canceled`,

    cancelAllPendingMatches: `
      WITH canceled AS (
        UPDATE ${s}.actions SET status = 'canceled', finished_at = now()
        WHERE status = 'pending' AND ${where}
        RETURNING id
      ),
      logged AS (INSERT INTO ${s}.action_logs (action_id, message) SELECT id, 'action canceled' FROM canceled)
      SELECT count(*)::integer AS canceled FROM canceled`,
  };
}
