import type { Database } from '../db/port.ts';
import { toDeliveryRow, type DeliveryRow } from './rows.ts';
import { deliveryStatements } from './sql.ts';

/**
 * The delivery ledger, read: one row per (notification, recipient) with its address, fixed
 * Message-ID, state and SMTP reply. Its writes are state transitions and live in transitions.ts.
 */
export interface Ledger {
  get(id: number): Promise<DeliveryRow | null>;
  findByRecipient(logId: number, recipient: string): Promise<DeliveryRow | null>;
  listFor(logId: number): Promise<DeliveryRow[]>;
}

export function createLedger(db: Database): Ledger {
  const sql = deliveryStatements(db.schema);
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
  };
}
