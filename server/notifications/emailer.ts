import type { EnqueueResult } from '../actions/store.ts';
import type { Database } from '../db/port.ts';
import type { SidecarEvents } from '../events.ts';
import { PermanentError, SnoozeError, type ActionHandler, type HandlerContext } from '../runner/handlers.ts';
import type { HookDefaults } from '../hook-policies.ts';
import { parseAiSummary, type AiSummaryRecord } from './ai-summary.ts';
import { parseEmailArgs, type EmailArgs } from './args.ts';
import { renderNotificationEmail, type RenderedEmail } from './email-templates.ts';
import './events.ts';
import type { Ledger } from './ledger.ts';
import type { MailSendResult, MailTransport } from './mail-transport.ts';
import { rebuildAliasMap, type JsonValue } from './obfuscation.ts';
import type { DeliveryRow, NotificationRow, SourceRow } from './rows.ts';
import { adoptDeliveriesIn, EMAIL_HOOK, scheduleEmailsIn, type SchedulingDeps } from './scheduling.ts';
import { recipientsFor, type SettingsStore } from './settings.ts';
import type { SmtpHealth } from './smtp-health.ts';
import type { SourceTable } from './source.ts';
import { notificationStatements } from './sql.ts';
import type { DeliveryOutcome, Transitions } from './transitions.ts';

/**
 * `wecoza_send_notification_email {log_id, delivery_id}`: one e-mail to one recipient, recorded in the
 * delivery ledger. The delivery is marked `sending` under this run's claim token (fenced) before any
 * SMTP traffic and `sent` after the server's 250, so a retry of a sent delivery sends nothing; a crash
 * between the 250 and the ledger write can send one more copy, with the same Message-ID.
 *
 * Temporary failures (4xx, connection, timeout, and authentication, which also turns /readyz amber)
 * are retried by the runner; a 5xx to RCPT or DATA fails the delivery at once. Action logs get the
 * SMTP code only; the reply text, which often echoes the address, stays in the ledger.
 */

export const EMAIL_DEFAULTS: HookDefaults = {
  maxAttempts: 5,
  // SMTP timeouts are 10 s to connect and 30 s per socket read; two of those fit comfortably.
  timeoutSeconds: 120,
  concurrency: 4,
  retentionDays: 7,
};

const SOURCE_SNOOZE_SECONDS = 60;

export interface EmailerParams {
  db: Database;
  source: SourceTable;
  ledger: Ledger;
  transitions: Transitions;
  scheduling: SchedulingDeps;
  transport: MailTransport;
  smtpHealth: SmtpHealth;
  events: SidecarEvents;
  /** For `{log_id}` alone: the recipients of the row's operation, and who hears of the jobs it makes. */
  settings: SettingsStore;
  announce(results: readonly EnqueueResult[]): void;
}

function textOf(value: JsonValue | undefined): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return null;
}

function render(row: SourceRow, summary: AiSummaryRecord | null): RenderedEmail {
  const newRow = row.new_row !== null && typeof row.new_row === 'object' && !Array.isArray(row.new_row) ? row.new_row : {};
  return renderNotificationEmail({
    logId: Number(row.log_id),
    operation: row.operation,
    changedAt: row.changed_at,
    classId: row.class_id,
    classCode: textOf(newRow['class_code']),
    classSubject: textOf(newRow['class_subject']),
    summary,
    // Rebuilt here, at send time, from the row: names never travel in job args.
    aliases: rebuildAliasMap({ new_row: row.new_row, diff: row.diff, old_row: row.old_row }),
  });
}

function codeText(code: number | null): string {
  return code === null ? 'no reply code' : `SMTP ${code}`;
}

export function createEmailHandler(params: EmailerParams): ActionHandler {
  const { db, source, ledger, transitions, transport, events } = params;
  const notes = notificationStatements(db.schema);

  /** Write the attempt's outcome under this run's claim (fenced) and settle the notification. */
  const finish = (context: HandlerContext, delivery: DeliveryRow, outcome: DeliveryOutcome) =>
    context.fenced((tx) => transitions.finishDelivery(tx, { id: delivery.id, logId: delivery.log_id }, context.action.claimToken, outcome));

  /** WeCoza's `{log_id, recipient}` shape: find the delivery, or create it (and its notification). */
  const deliveryFor = async (context: HandlerContext, args: EmailArgs, row: SourceRow | null): Promise<DeliveryRow | null> => {
    if ('deliveryId' in args) return ledger.get(args.deliveryId);
    if (!('recipient' in args)) return null;
    const existing = await ledger.findByRecipient(args.logId, args.recipient);
    if (existing !== null || row === null) return existing;
    await context.fenced((tx) => adoptDeliveriesIn(tx, params.scheduling, row, [args.recipient]));
    return ledger.findByRecipient(args.logId, args.recipient);
  };

  /**
   * WeCoza's `{log_id}` alone: one delivery per recipient configured for the row's operation, each
   * sent by its own `{log_id, delivery_id}` job (its own attempts and log lines). A recipient that
   * already has a delivery for the row keeps it, whatever its state: never a second e-mail.
   */
  const fanOut = async (context: HandlerContext, logId: number): Promise<void> => {
    const row = await source.readRow(logId);
    if (row === null) throw new PermanentError(`source row ${logId} does not exist`);
    const recipients = recipientsFor(await params.settings.get(), row.operation);
    // The message names the operation only: the addresses stay in the ledger.
    if (recipients.length === 0) throw new PermanentError(`no recipient is configured for ${row.operation.toUpperCase()}`);
    const known = new Set((await ledger.listFor(logId)).map((delivery) => delivery.recipient.toLowerCase()));
    const fresh = recipients.filter((recipient) => !known.has(recipient.toLowerCase()));
    const results = await context.fenced(async (tx) => {
      if (fresh.length > 0) await adoptDeliveriesIn(tx, params.scheduling, row, fresh);
      return scheduleEmailsIn(tx, params.scheduling, logId, ['queued']);
    });
    params.announce(results);
    context.log.info({ log_id: logId, recipients: recipients.length, new_deliveries: fresh.length, jobs: results.filter((r) => r.actionId > 0).length }, 'one e-mail job per configured recipient');
  };

  const recordOutcome = async (context: HandlerContext, delivery: DeliveryRow, result: MailSendResult): Promise<void> => {
    if (result.accepted) {
      params.smtpHealth.recordSuccess();
      await finish(context, delivery, { kind: 'sent', code: result.code, response: result.response });
      events.emit('notification:emailed', { outcome: 'sent', code: result.code, reason: null });
      return;
    }
    if (result.auth) params.smtpHealth.recordAuthFailure(result.code);
    if (result.kind === 'permanent') {
      await finish(context, delivery, { kind: 'failed', code: result.code, response: result.response, reason: result.reason });
      events.emit('notification:emailed', { outcome: 'failed', code: result.code, reason: result.reason });
      throw new PermanentError(`${codeText(result.code)} (${result.reason}): the delivery failed`);
    }
    const last = context.action.attempt >= context.action.maxAttempts;
    const outcome = last ? 'failed' : 'retry';
    await finish(context, delivery, { kind: outcome, code: result.code, response: result.response, reason: result.reason });
    events.emit('notification:emailed', { outcome, code: result.code, reason: result.reason });
    throw new Error(`${codeText(result.code)} (${result.reason}): temporary failure, attempt ${context.action.attempt} of ${context.action.maxAttempts}`);
  };

  return {
    hook: EMAIL_HOOK,
    defaults: EMAIL_DEFAULTS,

    async run(context) {
      const args = parseEmailArgs(context.action.args);
      if ('everyRecipient' in args) {
        try {
          await source.ensureAvailable();
        } catch {
          throw new SnoozeError(SOURCE_SNOOZE_SECONDS, 'the WeCoza source table is not available', true);
        }
        await fanOut(context, args.logId);
        return;
      }
      const known = 'deliveryId' in args ? await ledger.get(args.deliveryId) : null;
      if (known !== null && known.log_id !== args.logId) throw new PermanentError(`delivery ${known.id} does not belong to log ${args.logId}`);
      if (known?.state === 'sent' || known?.state === 'failed') {
        context.log.info({ log_id: args.logId, delivery_id: known.id, state: known.state }, 'delivery already finished; nothing sent');
        return;
      }
      try {
        await source.ensureAvailable();
      } catch {
        throw new SnoozeError(SOURCE_SNOOZE_SECONDS, 'the WeCoza source table is not available', true);
      }
      const row = await source.readRow(args.logId);
      const delivery = known ?? (await deliveryFor(context, args, row));
      if (delivery === null) throw new PermanentError(`no delivery for log ${args.logId} (${'deliveryId' in args ? `id ${args.deliveryId}` : 'recipient not found'})`);
      if (delivery.state === 'sent' || delivery.state === 'failed') {
        context.log.info({ log_id: args.logId, delivery_id: delivery.id, state: delivery.state }, 'delivery already finished; nothing sent');
        return;
      }
      if (row === null) {
        // Whoever holds it (token null): found before any sending, so no run of ours marked it.
        await context.fenced((tx) => transitions.finishDelivery(tx, { id: delivery.id, logId: delivery.log_id }, null, { kind: 'failed', code: null, response: null, reason: 'source_row_missing' }));
        throw new PermanentError(`source row ${args.logId} does not exist`);
      }

      const claimed = await context.fenced((tx, claims) => transitions.markDeliverySending(tx, delivery.id, context.action.claimToken, (token) => claims.isLive(token)));
      if (claimed === null) {
        context.log.info({ log_id: args.logId, delivery_id: delivery.id }, 'delivery is being sent by another run or is finished; nothing sent');
        return;
      }
      // WeCoza's column is the record of truth; the snapshot covers a source write that did not land.
      const summary =
        parseAiSummary(row.ai_summary) ??
        parseAiSummary((await db.query<NotificationRow>(notes.selectNotificationByLogId, [args.logId])).rows[0]?.ai_summary ?? null);
      const email = render(row, summary);
      const result = await transport.send({ messageId: claimed.message_id, to: claimed.recipient, ...email, signal: context.signal });
      context.log.info({ log_id: args.logId, delivery_id: delivery.id, accepted: result.accepted, code: result.code }, 'smtp attempt');
      await recordOutcome(context, claimed, result);
    },
  };
}
