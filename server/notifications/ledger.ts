import type { Database, Queryable } from '../db/port.ts';
import type { DeliveryRow, NotificationRow } from './rows.ts';
import type { NotificationState } from './schemas.ts';
import { deliveryStatements, notificationStatements } from './sql.ts';

/**
 * The delivery ledger: what the e-mail handler reads and writes. Every write that finishes a
 * delivery also settles its notification (sent when all were sent, failed when all finished and one
 * failed), after locking the notification row so two deliveries finishing at once see each other.
 */

/** How a send attempt ended, as the ledger records it. */
export type DeliveryOutcome =
  | { kind: 'sent'; code: number | null; response: string }
  | { kind: 'retry'; code: number | null; response: string | null; reason: string }
  | { kind: 'failed'; code: number | null; response: string | null; reason: string };

export interface Ledger {
  get(id: number): Promise<DeliveryRow | null>;
  findByRecipient(logId: number, recipient: string): Promise<DeliveryRow | null>;
  listFor(logId: number): Promise<DeliveryRow[]>;
  /** Record the intent to send under `token`; null when the delivery is no longer queued or sending. */
  markSending(tx: Queryable, id: number, token: string): Promise<DeliveryRow | null>;
  /**
   * Write the outcome of the attempt that holds `token` (null: whoever holds it) and settle the
   * notification. Returns false when the delivery was no longer ours to write.
   */
  finish(tx: Queryable, delivery: { id: number; logId: number }, token: string | null, outcome: DeliveryOutcome): Promise<{ written: boolean; notificationState: NotificationState | null }>;
}

export function toDeliveryRow(row: DeliveryRow): DeliveryRow {
  return { ...row, id: Number(row.id), log_id: Number(row.log_id) };
}

export function createLedger(db: Database): Ledger {
  const sql = deliveryStatements(db.schema);
  const notes = notificationStatements(db.schema);

  return {
    async get(id) {
      const { rows } = await db.query<DeliveryRow>(sql.selectDeliveryById, [id]);
      return rows[0] === undefined ? null : toDeliveryRow(rows[0]);
    },

    async findByRecipient(logId, recipient) {
      const { rows } = await db.query<DeliveryRow>(sql.selectDeliveryByRecipient, [logId, recipient]);
      return rows[0] === undefined ? null : toDeliveryRow(rows[0]);
    },

    async listFor(logId) {
      const { rows } = await db.query<DeliveryRow>(sql.selectDeliveriesByLogId, [logId]);
      return rows.map(toDeliveryRow);
    },

    async markSending(tx, id, token) {
      const { rows } = await tx.query<DeliveryRow>(sql.markDeliverySending, [id, token]);
      return rows[0] === undefined ? null : toDeliveryRow(rows[0]);
    },

    async finish(tx, delivery, token, outcome) {
      const locked = await tx.query<NotificationRow>(notes.lockNotificationByLogId, [delivery.logId]);
      let written: { rowCount: number };
      switch (outcome.kind) {
        case 'sent':
          written = await tx.query(sql.markDeliverySent, [delivery.id, token, outcome.code, outcome.response]);
          break;
        case 'retry':
          written = await tx.query(sql.markDeliveryRetrying, [delivery.id, token, outcome.code, outcome.response, outcome.reason]);
          break;
        case 'failed':
          written = await tx.query(sql.markDeliveryFailed, [delivery.id, token, outcome.code, outcome.response, outcome.reason]);
          break;
      }
      if (written.rowCount === 0 || outcome.kind === 'retry') {
        return { written: written.rowCount > 0, notificationState: locked.rows[0]?.state ?? null };
      }
      const settled = await tx.query<{ state: NotificationState }>(notes.settleNotificationFromDeliveries, [delivery.logId]);
      return { written: true, notificationState: settled.rows[0]?.state ?? locked.rows[0]?.state ?? null };
    },
  };
}
