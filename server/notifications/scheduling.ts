import { randomUUID } from 'node:crypto';
import { canonicalize } from '../actions/args-canonical.ts';
import type { EnqueueResult, NewAction } from '../actions/store.ts';
import type { Queryable } from '../db/port.ts';
import type { HookPolicies } from '../hook-policies.ts';
import { recordSummarySkipped, type AiSummaryRecord, type SummarySkipCode } from './ai-summary.ts';
import type { SourceHeadRow } from './rows.ts';
import { FINISHED_NOTIFICATION_STATES, type NotificationState } from './schemas.ts';
import { recipientsFor, type NotificationSettings } from './settings.ts';
import type { SourceTable } from './source.ts';
import { deliveryStatements } from './sql.ts';
import type { NewNotification, Transitions } from './transitions.ts';

/**
 * Turning source rows into notifications, deliveries and actions, in the caller's transaction. The
 * processor, the redrive route and the handlers' find-or-create paths all go through here, so a row
 * is scheduled the same way whoever finds it first; the notifications primary key and the unique
 * actions make a second finder a no-op.
 */

export const ENRICH_HOOK = 'wecoza_enrich_notification';
export const EMAIL_HOOK = 'wecoza_send_notification_email';
export const NOTIFICATION_GROUP = 'wecoza-notifications';

/** Whether a summary can be requested now; when not, the skip code WeCoza's record carries. */
export type AiAvailability = { kind: 'available'; model: string } | { kind: 'skip'; code: SummarySkipCode };

export function aiAvailability(settings: NotificationSettings, apiKey: string | null): AiAvailability {
  if (!settings.ai.enabled) return { kind: 'skip', code: 'feature_disabled' };
  if (apiKey === null || apiKey.trim() === '') return { kind: 'skip', code: 'config_missing' };
  return { kind: 'available', model: settings.ai.model };
}

/** The enrichment job of one source row; its args carry the log id only. */
export function enrichAction(logId: number, policies: HookPolicies): NewAction {
  return {
    hook: ENRICH_HOOK,
    group: NOTIFICATION_GROUP,
    argsText: canonicalize({ log_id: logId }),
    priority: 10,
    unique: true,
    schedule: { type: 'async' },
    maxAttempts: policies.policyFor(ENRICH_HOOK).maxAttempts,
  };
}

/** The e-mail job of one delivery: ids only, never the address (it lives in the ledger). */
export function emailAction(logId: number, deliveryId: number, policies: HookPolicies): NewAction {
  return {
    hook: EMAIL_HOOK,
    group: NOTIFICATION_GROUP,
    argsText: canonicalize({ log_id: logId, delivery_id: deliveryId }),
    priority: 10,
    unique: true,
    schedule: { type: 'async' },
    maxAttempts: policies.policyFor(EMAIL_HOOK).maxAttempts,
  };
}

/** The domain of MAIL_FROM (`Name <a@b.example>` → `b.example`), for Message-IDs. */
export function mailDomainOf(mailFrom: string): string {
  const match = /@([A-Za-z0-9.-]+)>?\s*$/.exec(mailFrom.trim());
  return match?.[1] ?? 'wecoza-sidecar.localhost';
}

/**
 * Fixed when the delivery is created: every attempt carries it, so a copy repeated after a crash
 * is recognisable as the same message. Random, not derived from the address (no personal data).
 */
export function newMessageId(logId: number, domain: string): string {
  return `<wecoza.${logId}.${randomUUID()}@${domain}>`;
}

export interface PlannedRow {
  head: SourceHeadRow;
  recipients: string[];
  path: 'enrich' | 'direct' | 'skip';
}

export function planRows(heads: readonly SourceHeadRow[], settings: NotificationSettings, ai: AiAvailability): PlannedRow[] {
  return heads.map((head) => {
    const recipients = recipientsFor(settings, head.operation);
    if (recipients.length === 0) return { head, recipients, path: 'skip' };
    return { head, recipients, path: ai.kind === 'available' ? 'enrich' : 'direct' };
  });
}

const STATE_OF_PATH: Record<PlannedRow['path'], NewNotification['state']> = { enrich: 'enriching', direct: 'sending', skip: 'skipped' };

export interface SchedulingDeps {
  schema: string;
  source: SourceTable;
  policies: HookPolicies;
  mailDomain: string;
  transitions: Transitions;
  enqueueIn(tx: Queryable, items: readonly NewAction[]): Promise<EnqueueResult[]>;
}

export interface ScheduledRows {
  /** log_ids that got a new notification in this transaction. */
  created: number[];
  enrichScheduled: number;
  emailScheduled: number;
  skipped: number;
  /** For `announce` after commit. */
  results: EnqueueResult[];
}

/** New deliveries of one notification, each with its Message-ID fixed now. */
export function newDeliveries(logId: number, recipients: readonly string[], mailDomain: string): Array<{ logId: number; recipient: string; messageId: string }> {
  return recipients.map((recipient) => ({ logId, recipient, messageId: newMessageId(logId, mailDomain) }));
}

/**
 * Create notifications (rows that already have one are left alone), their deliveries, the skip
 * records of rows whose AI is off, and the actions, in `tx`. Announce `results` after commit.
 */
export async function scheduleRowsIn(tx: Queryable, deps: SchedulingDeps, planned: readonly PlannedRow[], ai: AiAvailability, now: Date): Promise<ScheduledRows> {
  const empty: ScheduledRows = { created: [], enrichScheduled: 0, emailScheduled: 0, skipped: 0, results: [] };
  if (planned.length === 0) return empty;
  const skipRecord: AiSummaryRecord | null = ai.kind === 'skip' ? recordSummarySkipped(null, ai.code, now) : null;

  const created = await deps.transitions.createNotifications(
    tx,
    planned.map((row) => ({
      head: row.head,
      state: STATE_OF_PATH[row.path],
      reason: row.path === 'skip' ? 'no_recipient' : null,
      aiSummary: row.path === 'direct' ? skipRecord : null,
    })),
  );
  const fresh = planned.filter((row) => created.has(row.head.log_id));
  const sending = fresh.filter((row) => row.path !== 'skip');
  const deliveries = await deps.transitions.addDeliveries(tx, sending.flatMap((row) => newDeliveries(row.head.log_id, row.recipients, deps.mailDomain)));

  const direct = fresh.filter((row) => row.path === 'direct');
  if (skipRecord !== null && direct.length > 0) {
    await deps.source.writeSummariesUnlessFinal(direct.map((row) => ({ logId: row.head.log_id, record: skipRecord })), tx);
  }

  const directIds = new Set(direct.map((row) => row.head.log_id));
  const enrichItems = fresh.filter((row) => row.path === 'enrich').map((row) => enrichAction(row.head.log_id, deps.policies));
  const emailItems = deliveries.filter((delivery) => directIds.has(delivery.logId)).map((delivery) => emailAction(delivery.logId, delivery.id, deps.policies));
  const results = await deps.enqueueIn(tx, [...enrichItems, ...emailItems]);
  const createdCount = (from: number, to: number): number => results.slice(from, to).filter((result) => result.actionId > 0).length;

  return {
    created: [...created],
    enrichScheduled: createdCount(0, enrichItems.length),
    emailScheduled: createdCount(enrichItems.length, results.length),
    skipped: fresh.filter((row) => row.path === 'skip').length,
    results,
  };
}

/**
 * Deliveries asked for by someone else (WeCoza's PHP enqueues `{log_id, recipient}`): the
 * notification, in `sending`, and the deliveries are created when missing; a finished notification
 * that gets a new delivery is reopened, so it settles again once that one is done.
 */
export async function adoptDeliveriesIn(tx: Queryable, deps: SchedulingDeps, head: SourceHeadRow, recipients: readonly string[]): Promise<void> {
  await deps.transitions.createNotifications(tx, [{ head, state: 'sending', reason: null, aiSummary: null }]);
  await deps.transitions.addDeliveries(tx, newDeliveries(head.log_id, recipients, deps.mailDomain));
  const locked = await deps.transitions.lockNotification(tx, head.log_id);
  if (locked !== null && isFinished(locked.state)) await deps.transitions.reopenNotification(tx, head.log_id, 'sending');
}

function isFinished(state: NotificationState): boolean {
  return (FINISHED_NOTIFICATION_STATES as readonly NotificationState[]).includes(state);
}

/**
 * E-mail jobs for the deliveries of one notification in `states` (queued after an enrichment;
 * queued and sending for a redrive). Unique actions: a delivery whose job is live is not doubled.
 */
export async function scheduleEmailsIn(tx: Queryable, deps: SchedulingDeps, logId: number, states: readonly ('queued' | 'sending')[]): Promise<EnqueueResult[]> {
  const { rows } = await tx.query<{ id: number }>(deliveryStatements(deps.schema).selectDeliveryIdsByState, [logId, states]);
  if (rows.length === 0) return [];
  return deps.enqueueIn(tx, rows.map((row) => emailAction(logId, Number(row.id), deps.policies)));
}
