/**
 * The statements of the notification pipeline, named by intent: reads of notifications and deliveries,
 * retention, settings, the cursor and the source table. The writes that move a notification's or a
 * delivery's state live with their one owner, transitions.ts. `s` is the quoted sidecar schema and `t`
 * the quoted source table, both spliced in once at start-up; values travel only as cast `$n`
 * parameters, sets as one array parameter each.
 */

export const NOTIFICATION_COLUMNS = `log_id, class_id, class_code, operation, state, reason, ai_summary, created_at, updated_at, enriched_at, finished_at`;
export const DELIVERY_COLUMNS = `id, log_id, recipient, message_id, state, attempts, claim_token, smtp_code, smtp_response, last_error,
  created_at, updated_at, sent_at`;

/**
 * The list's filter over `n` (notifications): `$1` states, `$2` operation, `$3` class_id, and a search:
 * `$5` a LIKE prefix pattern on the lower-cased class code, `$4` the same text as a log id when it is
 * a whole number. A null parameter does not filter.
 */
const NOTIFICATION_FILTER = `($1::text[] IS NULL OR n.state = ANY($1::text[]))
        AND ($2::text IS NULL OR n.operation = $2::text)
        AND ($3::bigint IS NULL OR n.class_id = $3::bigint)
        AND ($5::text IS NULL OR n.log_id = $4::bigint OR lower(n.class_code) LIKE $5::text)`;

export function notificationStatements(s: string) {
  return {
    selectNotifiedLogIds: `SELECT log_id FROM ${s}.notifications WHERE log_id = ANY($1::bigint[])`,

    selectNotificationByLogId: `SELECT ${NOTIFICATION_COLUMNS} FROM ${s}.notifications WHERE log_id = $1`,

    /**
     * A page of the list, newest first, with each notification's deliveries (address, state, last SMTP
     * code) aggregated in id order.
     */
    listNotifications: `
      SELECT n.log_id, n.class_id, n.class_code, n.operation, n.state, n.reason, n.ai_summary, n.created_at, n.updated_at,
             n.enriched_at, n.finished_at,
             coalesce(d.queued, 0)::integer AS queued, coalesce(d.sending, 0)::integer AS sending,
             coalesce(d.sent, 0)::integer AS sent, coalesce(d.failed, 0)::integer AS failed,
             coalesce(d.recipients, '[]'::json) AS recipients
      FROM ${s}.notifications n
      LEFT JOIN LATERAL (
        SELECT count(*) FILTER (WHERE state = 'queued') AS queued, count(*) FILTER (WHERE state = 'sending') AS sending,
               count(*) FILTER (WHERE state = 'sent') AS sent, count(*) FILTER (WHERE state = 'failed') AS failed,
               json_agg(json_build_object('recipient', recipient, 'state', state, 'smtp_code', smtp_code) ORDER BY id) AS recipients
        FROM ${s}.deliveries WHERE log_id = n.log_id
      ) d ON true
      WHERE ${NOTIFICATION_FILTER}
      ORDER BY n.log_id DESC
      LIMIT $6 OFFSET $7`,

    countNotifications: `SELECT count(*)::integer AS total FROM ${s}.notifications n WHERE ${NOTIFICATION_FILTER}`,

    /** A bulk redrive's notifications: the filter's matches, oldest first, at most `$6`, with the total. */
    selectMatchingLogIds: `
      SELECT n.log_id, count(*) OVER ()::integer AS total FROM ${s}.notifications n
      WHERE ${NOTIFICATION_FILTER}
      ORDER BY n.log_id
      LIMIT $6`,

    /**
     * Retention: finished notifications past the cutoff, oldest first, in bounded batches; their
     * deliveries go with them (ON DELETE CASCADE). Returns the highest log_id deleted, so the cursor
     * floor can rise above it and the look-back window never sees those rows as new again.
     */
    deleteFinishedNotificationsBefore: `
      WITH doomed AS (
        SELECT log_id FROM ${s}.notifications
        WHERE finished_at < now() - make_interval(days => $1::integer)
        ORDER BY finished_at
        LIMIT $2
      ),
      deleted AS (DELETE FROM ${s}.notifications n USING doomed WHERE n.log_id = doomed.log_id RETURNING n.log_id)
      SELECT count(*)::integer AS count, max(log_id) AS max_log_id FROM deleted`,
  };
}

export function deliveryStatements(s: string) {
  return {
    selectDeliveryById: `SELECT ${DELIVERY_COLUMNS} FROM ${s}.deliveries WHERE id = $1`,

    selectDeliveryByRecipient: `
      SELECT ${DELIVERY_COLUMNS} FROM ${s}.deliveries
      WHERE log_id = $1 AND lower(recipient) = lower($2)
      ORDER BY id LIMIT 1`,

    selectDeliveriesByLogId: `SELECT ${DELIVERY_COLUMNS} FROM ${s}.deliveries WHERE log_id = $1 ORDER BY id`,

    /** Deliveries of one notification in the given states, for scheduling their e-mail jobs. */
    selectDeliveryIdsByState: `SELECT id FROM ${s}.deliveries WHERE log_id = $1 AND state = ANY($2::text[]) ORDER BY id`,

  };
}

export function settingsStatements(s: string) {
  return {
    /** The first start (of any process) seeds from the environment; later starts change nothing. */
    seedSettings: `
      INSERT INTO ${s}.notification_settings (id, recipients, ai_enabled, ai_model)
      VALUES (true, $1::jsonb, $2, $3)
      ON CONFLICT (id) DO NOTHING`,

    selectSettings: `SELECT recipients, ai_enabled, ai_model, updated_at FROM ${s}.notification_settings WHERE id`,

    /** Null parameters keep the stored value. */
    updateSettings: `
      UPDATE ${s}.notification_settings
      SET recipients = coalesce($1::jsonb, recipients), ai_enabled = coalesce($2::boolean, ai_enabled),
          ai_model = coalesce($3::text, ai_model), updated_at = now()
      WHERE id
      RETURNING recipients, ai_enabled, ai_model, updated_at`,
  };
}

export function cursorStatements(s: string) {
  return {
    selectCursor: `SELECT source_table, last_log_id, floor_log_id, updated_at FROM ${s}.notification_cursor WHERE source_table = $1`,

    /** The first value wins: two processes starting at once agree on one starting point. */
    insertCursorIfMissing: `
      INSERT INTO ${s}.notification_cursor (source_table, last_log_id, floor_log_id) VALUES ($1, $2, $2)
      ON CONFLICT (source_table) DO NOTHING`,

    /** Never backwards: a slow pass must not undo a faster one. */
    advanceCursor: `
      UPDATE ${s}.notification_cursor SET last_log_id = greatest(last_log_id, $2), updated_at = now()
      WHERE source_table = $1 AND last_log_id < $2`,

    /** An import (PUT /cursor): both the cursor and the floor move, either way. */
    upsertCursor: `
      INSERT INTO ${s}.notification_cursor (source_table, last_log_id, floor_log_id) VALUES ($1, $2, $2)
      ON CONFLICT (source_table) DO UPDATE SET last_log_id = $2, floor_log_id = $2, updated_at = now()
      RETURNING source_table, last_log_id, floor_log_id, updated_at`,

    /** After retention deleted notifications up to `$1`: the look-back window must not reach them. */
    raiseCursorFloors: `
      UPDATE ${s}.notification_cursor SET floor_log_id = least(last_log_id, $1), updated_at = now()
      WHERE floor_log_id < least(last_log_id, $1)`,
  };
}

/**
 * The class a source row is about: its new image's class_code, else the old one's (a delete), cut to
 * what notifications.class_code holds. Text only: a number or object there is not a code.
 */
const SOURCE_CLASS_CODE = `left(coalesce(new_row ->> 'class_code', old_row ->> 'class_code'), 191) AS class_code`;

/** Statements on WeCoza's table. It is read, and only its ai_summary column is ever written. */
export function sourceStatements(t: string) {
  return {
    /** Existence, columns and privileges in one round trip; `$1` is the unquoted [schema.]table name. */
    inspectSourceTable: `
      SELECT c.oid IS NOT NULL AS present,
             coalesce((SELECT array_agg(a.attname::text) FROM pg_attribute a
                       WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '{}') AS columns,
             CASE WHEN c.oid IS NULL THEN false ELSE has_table_privilege(c.oid, 'SELECT') END AS can_select,
             -- has_column_privilege raises for a missing column, hence the guard.
             CASE WHEN c.oid IS NULL OR NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                                                   AND a.attname = 'ai_summary' AND NOT a.attisdropped)
                  THEN false ELSE has_column_privilege(c.oid, 'ai_summary', 'UPDATE') END AS can_update
      FROM (SELECT to_regclass($1::text) AS oid) c`,

    selectMaxLogId: `SELECT coalesce(max(log_id), 0)::bigint AS max_log_id FROM ${t}`,

    /** The look-back window: heads of rows in (low, high]. */
    selectHeadsInRange: `
      SELECT log_id, operation, class_id, ${SOURCE_CLASS_CODE} FROM ${t}
      WHERE log_id > $1 AND log_id <= $2
      ORDER BY log_id`,

    selectHeadsAfter: `
      SELECT log_id, operation, class_id, ${SOURCE_CLASS_CODE} FROM ${t}
      WHERE log_id > $1
      ORDER BY log_id
      LIMIT $2`,

    /** changed_at is WeCoza's timestamp without time zone: passed on as its text, never reinterpreted. */
    selectRowByLogId: `
      SELECT log_id, class_id, ${SOURCE_CLASS_CODE}, operation, changed_at::text AS changed_at, new_row, old_row, diff, ai_summary
      FROM ${t} WHERE log_id = $1`,

    updateSummaryByLogId: `UPDATE ${t} SET ai_summary = $2::jsonb WHERE log_id = $1`,

    /** Skip records never replace a finished summary (WeCoza's, or an earlier pass's). */
    updateSummariesUnlessFinal: `
      UPDATE ${t} AS src SET ai_summary = u.record::jsonb
      FROM unnest($1::bigint[], $2::text[]) AS u(log_id, record)
      WHERE src.log_id = u.log_id
        AND (src.ai_summary IS NULL OR coalesce(src.ai_summary ->> 'status', 'pending') NOT IN ('success', 'failed'))`,
  };
}
