import { parseAiSummary, type AiSummaryRecord } from './ai-summary.ts';
import type { JsonValue } from './obfuscation.ts';
import type { Delivery, DeliveryState, NotificationDetail, NotificationReason, NotificationState, NotificationSummary } from './schemas.ts';

/**
 * Glossary of the pipeline:
 * - source row: one row of WeCoza's class_change_logs (log_id, operation, the row images, ai_summary);
 * - notification: the sidecar's record of what it did about one source row (one per log_id);
 * - delivery: one e-mail to one recipient about one notification, with its fixed Message-ID;
 * - cursor: the highest log_id the processor has seen; the floor bounds its look-back window.
 */

/** A row of `notifications`. */
export interface NotificationRow {
  log_id: number;
  class_id: number | null;
  /** Copied from the source row at creation; null for a class without a code (or older rows). */
  class_code: string | null;
  operation: string;
  state: NotificationState;
  reason: NotificationReason | null;
  ai_summary: unknown;
  created_at: Date;
  updated_at: Date;
  enriched_at: Date | null;
  finished_at: Date | null;
}

/** A notification with its delivery counts and deliveries in brief, as the list selects it. */
export interface NotificationListRow extends NotificationRow {
  queued: number;
  sending: number;
  sent: number;
  failed: number;
  recipients: Array<{ recipient: string; state: DeliveryState; smtp_code: number | null }>;
}

/** A row of `deliveries`. */
export interface DeliveryRow {
  id: number;
  log_id: number;
  recipient: string;
  message_id: string;
  state: DeliveryState;
  attempts: number;
  claim_token: string | null;
  smtp_code: number | null;
  smtp_response: string | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
  sent_at: Date | null;
}

/** Ids as numbers: the adapters return int8 as a number, or as its exact text past 2^53. */
export function toDeliveryRow(row: DeliveryRow): DeliveryRow {
  return { ...row, id: Number(row.id), log_id: Number(row.log_id) };
}

/** A row of `notification_settings`. */
export interface SettingsRow {
  recipients: unknown;
  ai_enabled: boolean;
  ai_model: string;
  updated_at: Date;
}

/** A row of `notification_cursor`. */
export interface CursorRow {
  source_table: string;
  last_log_id: number;
  floor_log_id: number;
  updated_at: Date;
}

/** The head of a source row: enough for the processor to decide and schedule. */
export interface SourceHeadRow {
  log_id: number;
  operation: string;
  class_id: number | null;
  class_code: string | null;
}

/** A whole source row, as the handlers read it. `changed_at` is the column's text, unconverted. */
export interface SourceRow extends SourceHeadRow {
  changed_at: string;
  new_row: JsonValue | null;
  old_row: JsonValue | null;
  diff: JsonValue | null;
  ai_summary: unknown;
}

function iso(date: Date | null): string | null {
  return date === null ? null : date.toISOString();
}

function core(row: NotificationRow) {
  return {
    log_id: row.log_id,
    class_id: row.class_id,
    class_code: row.class_code,
    operation: row.operation,
    state: row.state,
    reason: row.reason,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    enriched_at: iso(row.enriched_at),
    finished_at: iso(row.finished_at),
  };
}

export function toNotificationSummary(row: NotificationListRow): NotificationSummary {
  return {
    ...core(row),
    ai_status: parseAiSummary(row.ai_summary)?.status ?? null,
    deliveries: { queued: row.queued, sending: row.sending, sent: row.sent, failed: row.failed },
    recipients: row.recipients.map((item) => ({ recipient: item.recipient, state: item.state, smtp_code: item.smtp_code })),
  };
}

export function toDelivery(row: DeliveryRow): Delivery {
  return {
    id: row.id,
    recipient: row.recipient,
    state: row.state,
    message_id: row.message_id,
    attempts: row.attempts,
    smtp_code: row.smtp_code,
    smtp_response: row.smtp_response,
    last_error: row.last_error,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    sent_at: iso(row.sent_at),
  };
}

export function toNotificationDetail(row: NotificationRow, deliveries: readonly DeliveryRow[]): NotificationDetail {
  const summary: AiSummaryRecord | null = parseAiSummary(row.ai_summary);
  return { ...core(row), ai_summary: summary, deliveries: deliveries.map(toDelivery) };
}
