import type { Queryable } from '../db/port.ts';
import type { AiSummaryRecord } from './ai-summary.ts';
import { toDeliveryRow, type DeliveryRow, type NotificationRow, type SourceHeadRow } from './rows.ts';
import type { NotificationReason, NotificationState } from './schemas.ts';
import { DELIVERY_COLUMNS, NOTIFICATION_COLUMNS } from './sql.ts';

/**
 * The two state machines of the pipeline and the only module that moves them, with their statements:
 *
 *   notification  pending → enriching → sending → sent | failed | skipped
 *                 (a redrive, or one more delivery, reopens a finished one into enriching or sending)
 *   delivery      queued → sending → sent | failed;  sending → queued (a temporary failure);
 *                 failed → queued (a redrive)
 *
 * Every function runs in the caller's transaction. The e-mail handler calls them inside its fenced
 * transaction (its claim is live); the processor, the redrive and the enrichment in theirs. A write
 * that finishes a delivery also settles its notification, after locking the notification row, so two
 * last deliveries finishing at once see each other.
 */

/** A notification about to be created, in the state its path starts in. */
export interface NewNotification {
  head: SourceHeadRow;
  state: Extract<NotificationState, 'enriching' | 'sending' | 'skipped'>;
  reason: NotificationReason | null;
  /** The skip record of a row whose AI is off, as its snapshot; null otherwise. */
  aiSummary: AiSummaryRecord | null;
}

/** How a send attempt ended, as the ledger records it. */
export type DeliveryOutcome =
  | { kind: 'sent'; code: number | null; response: string }
  | { kind: 'retry'; code: number | null; response: string | null; reason: string }
  | { kind: 'failed'; code: number | null; response: string | null; reason: string };

/** Whether another run's claim token still holds its action; a token whose claim ended never lives again. */
export type ClaimLiveness = (token: string) => Promise<boolean>;

export interface Transitions {
  /** Create notifications; rows that already have one are left alone. Returns the log ids created. */
  createNotifications(tx: Queryable, rows: readonly NewNotification[]): Promise<Set<number>>;
  /** Queued deliveries with their Message-IDs; an existing (log, recipient) pair keeps its row. */
  addDeliveries(tx: Queryable, items: ReadonlyArray<{ logId: number; recipient: string; messageId: string }>): Promise<Array<{ id: number; logId: number }>>;
  /** Lock a notification for a change that depends on its state (FOR UPDATE); null when there is none. */
  lockNotification(tx: Queryable, logId: number): Promise<NotificationRow | null>;
  /**
   * The enrichment is over (success, final failure or skip): pending or enriching → sending, with the
   * record. Returns the queued deliveries to schedule; none when another run finished it first.
   */
  finishEnrichment(tx: Queryable, logId: number, record: AiSummaryRecord): Promise<number[]>;
  /** Keep the snapshot in step with a summary attempt that will be retried (no state change). */
  recordSummarySnapshot(tx: Queryable, logId: number, record: AiSummaryRecord): Promise<void>;
  /** Finished without e-mail: skipped (no_recipient) or failed (source_row_missing). */
  finishNotification(tx: Queryable, logId: number, state: 'failed' | 'skipped', reason: NotificationReason): Promise<void>;
  /** Back to work in `state` (a redrive, or one more delivery for a finished notification). */
  reopenNotification(tx: Queryable, logId: number, state: 'enriching' | 'sending'): Promise<void>;
  /**
   * Record the intent to send under `token`, before any SMTP traffic: a queued delivery, or one left
   * `sending` by a run whose claim is no longer live (its worker died or lost the lease): that is the
   * one window where a copy may repeat, with the same Message-ID. Null when it is not ours to send.
   */
  markDeliverySending(tx: Queryable, id: number, token: string, isLive: ClaimLiveness): Promise<DeliveryRow | null>;
  /**
   * Write the outcome of the attempt that holds `token` (null: whoever holds it) and settle the
   * notification. `written` is false when the delivery was no longer ours to write.
   */
  finishDelivery(tx: Queryable, delivery: { id: number; logId: number }, token: string | null, outcome: DeliveryOutcome): Promise<{ written: boolean; notificationState: NotificationState | null }>;
  /** A redrive: failed deliveries go back to queued, keeping their Message-IDs. */
  requeueFailedDeliveries(tx: Queryable, logId: number): Promise<void>;
}

function transitionStatements(s: string) {
  return {
    insertNotifications: `
      INSERT INTO ${s}.notifications (log_id, class_id, class_code, operation, state, reason, ai_summary, finished_at)
      SELECT t.log_id, t.class_id, t.class_code, t.operation, t.state, t.reason, t.ai_summary::jsonb,
             CASE WHEN t.state IN ('sent', 'failed', 'skipped') THEN now() END
      FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
           AS t(log_id, class_id, operation, state, reason, ai_summary, class_code)
      ORDER BY t.log_id
      ON CONFLICT (log_id) DO NOTHING
      RETURNING log_id`,

    insertDeliveries: `
      INSERT INTO ${s}.deliveries (log_id, recipient, message_id)
      SELECT t.log_id, t.recipient, t.message_id
      FROM unnest($1::bigint[], $2::text[], $3::text[]) AS t(log_id, recipient, message_id)
      ORDER BY t.log_id, t.recipient
      ON CONFLICT (log_id, recipient) DO NOTHING
      RETURNING id, log_id`,

    lockNotificationByLogId: `SELECT ${NOTIFICATION_COLUMNS} FROM ${s}.notifications WHERE log_id = $1 FOR UPDATE`,

    finishEnrichment: `
      WITH moved AS (
        UPDATE ${s}.notifications
        SET state = 'sending', ai_summary = $2::jsonb, enriched_at = now(), updated_at = now()
        WHERE log_id = $1 AND state IN ('pending', 'enriching')
        RETURNING log_id
      )
      SELECT d.id FROM ${s}.deliveries d JOIN moved ON d.log_id = moved.log_id
      WHERE d.state = 'queued'
      ORDER BY d.id`,

    updateSummarySnapshot: `UPDATE ${s}.notifications SET ai_summary = $2::jsonb, updated_at = now() WHERE log_id = $1`,

    /**
     * Once no delivery is queued or sending: sent when all were sent, failed when one failed. Run
     * after `lockNotificationByLogId` in the same transaction, so its counts see every delivery
     * settled by transactions that committed before ours.
     */
    settleNotificationFromDeliveries: `
      WITH counts AS (
        SELECT count(*) FILTER (WHERE state IN ('queued', 'sending')) AS open,
               count(*) FILTER (WHERE state = 'failed') AS failed,
               count(*) AS total
        FROM ${s}.deliveries WHERE log_id = $1
      )
      UPDATE ${s}.notifications n
      SET state = CASE WHEN c.failed > 0 THEN 'failed' ELSE 'sent' END,
          reason = CASE WHEN c.failed > 0 THEN 'delivery_failed' END,
          finished_at = now(), updated_at = now()
      FROM counts c
      WHERE n.log_id = $1 AND n.state = 'sending' AND c.total > 0 AND c.open = 0
      RETURNING n.state`,

    finishNotification: `
      UPDATE ${s}.notifications
      SET state = $2, reason = $3, finished_at = now(), updated_at = now()
      WHERE log_id = $1`,

    reopenNotification: `
      UPDATE ${s}.notifications
      SET state = $2, reason = NULL, finished_at = NULL, updated_at = now()
      WHERE log_id = $1`,

    /** The common case, in one statement: a queued delivery, or one this very claim marked already. */
    markQueuedDeliverySending: `
      UPDATE ${s}.deliveries
      SET state = 'sending', claim_token = $2, attempts = attempts + 1, updated_at = now()
      WHERE id = $1 AND (state = 'queued' OR (state = 'sending' AND claim_token = $2))
      RETURNING ${DELIVERY_COLUMNS}`,

    lockDeliveryById: `SELECT state, claim_token FROM ${s}.deliveries WHERE id = $1 FOR UPDATE`,

    /** A take-over, after the lock above showed the previous claim dead: fenced by that claim's token. */
    takeOverDeliverySending: `
      UPDATE ${s}.deliveries
      SET state = 'sending', claim_token = $2, attempts = attempts + 1, updated_at = now()
      WHERE id = $1 AND state = 'sending' AND claim_token IS NOT DISTINCT FROM $3::uuid
      RETURNING ${DELIVERY_COLUMNS}`,

    markDeliverySent: `
      UPDATE ${s}.deliveries
      SET state = 'sent', smtp_code = $3, smtp_response = $4, last_error = NULL, sent_at = now(), updated_at = now()
      WHERE id = $1 AND claim_token = $2 AND state = 'sending'
      RETURNING id`,

    /** A temporary failure: back to queued with the reply, for the next attempt. */
    markDeliveryRetrying: `
      UPDATE ${s}.deliveries
      SET state = 'queued', claim_token = NULL, smtp_code = $3, smtp_response = $4, last_error = $5, updated_at = now()
      WHERE id = $1 AND claim_token = $2 AND state = 'sending'
      RETURNING id`,

    /** Failed for good; `$2` null means "whoever holds it" (a missing source row, found before sending). */
    markDeliveryFailed: `
      UPDATE ${s}.deliveries
      SET state = 'failed', claim_token = NULL, smtp_code = $3, smtp_response = $4, last_error = $5, updated_at = now()
      WHERE id = $1 AND state IN ('queued', 'sending') AND ($2::uuid IS NULL OR claim_token = $2::uuid)
      RETURNING id`,

    requeueFailedDeliveries: `
      UPDATE ${s}.deliveries SET state = 'queued', claim_token = NULL, updated_at = now()
      WHERE log_id = $1 AND state = 'failed'`,
  };
}

export function createTransitions(schema: string): Transitions {
  const sql = transitionStatements(schema);

  const finishDelivery: Transitions['finishDelivery'] = async (tx, delivery, token, outcome) => {
    const locked = await tx.query<NotificationRow>(sql.lockNotificationByLogId, [delivery.logId]);
    const { code, response } = outcome;
    const written =
      outcome.kind === 'sent'
        ? await tx.query(sql.markDeliverySent, [delivery.id, token, code, response])
        : await tx.query(outcome.kind === 'retry' ? sql.markDeliveryRetrying : sql.markDeliveryFailed, [delivery.id, token, code, response, outcome.reason]);
    if (written.rowCount === 0 || outcome.kind === 'retry') {
      return { written: written.rowCount > 0, notificationState: locked.rows[0]?.state ?? null };
    }
    const settled = await tx.query<{ state: NotificationState }>(sql.settleNotificationFromDeliveries, [delivery.logId]);
    return { written: true, notificationState: settled.rows[0]?.state ?? locked.rows[0]?.state ?? null };
  };

  return {
    async createNotifications(tx, rows) {
      if (rows.length === 0) return new Set();
      const inserted = await tx.query<{ log_id: number }>(sql.insertNotifications, [
        rows.map((row) => row.head.log_id),
        rows.map((row) => row.head.class_id),
        rows.map((row) => row.head.operation),
        rows.map((row) => row.state),
        rows.map((row) => row.reason),
        rows.map((row) => (row.aiSummary === null ? null : JSON.stringify(row.aiSummary))),
        rows.map((row) => row.head.class_code),
      ]);
      return new Set(inserted.rows.map((row) => Number(row.log_id)));
    },

    async addDeliveries(tx, items) {
      if (items.length === 0) return [];
      const { rows } = await tx.query<{ id: number; log_id: number }>(sql.insertDeliveries, [
        items.map((item) => item.logId),
        items.map((item) => item.recipient),
        items.map((item) => item.messageId),
      ]);
      return rows.map((row) => ({ id: Number(row.id), logId: Number(row.log_id) }));
    },

    async lockNotification(tx, logId) {
      const { rows } = await tx.query<NotificationRow>(sql.lockNotificationByLogId, [logId]);
      return rows[0] ?? null;
    },

    async finishEnrichment(tx, logId, record) {
      const { rows } = await tx.query<{ id: number }>(sql.finishEnrichment, [logId, JSON.stringify(record)]);
      return rows.map((row) => Number(row.id));
    },

    async recordSummarySnapshot(tx, logId, record) {
      await tx.query(sql.updateSummarySnapshot, [logId, JSON.stringify(record)]);
    },

    async finishNotification(tx, logId, state, reason) {
      await tx.query(sql.finishNotification, [logId, state, reason]);
    },

    async reopenNotification(tx, logId, state) {
      await tx.query(sql.reopenNotification, [logId, state]);
    },

    async markDeliverySending(tx, id, token, isLive) {
      const queued = await tx.query<DeliveryRow>(sql.markQueuedDeliverySending, [id, token]);
      if (queued.rows[0] !== undefined) return toDeliveryRow(queued.rows[0]);
      // Left `sending` by another run: taken over only once that run's claim is no longer live.
      const { rows } = await tx.query<{ state: string; claim_token: string | null }>(sql.lockDeliveryById, [id]);
      const current = rows[0];
      if (current === undefined || current.state !== 'sending') return null;
      if (current.claim_token !== null && (await isLive(current.claim_token))) return null;
      const taken = await tx.query<DeliveryRow>(sql.takeOverDeliverySending, [id, token, current.claim_token]);
      return taken.rows[0] === undefined ? null : toDeliveryRow(taken.rows[0]);
    },

    finishDelivery,

    async requeueFailedDeliveries(tx, logId) {
      await tx.query(sql.requeueFailedDeliveries, [logId]);
    },
  };
}
