import type { EnqueueResult } from '../actions/store.ts';
import type { Database } from '../db/port.ts';
import type { SidecarEvents } from '../events.ts';
import { PermanentError, SnoozeError, type ActionHandler, type HandlerContext } from '../runner/handlers.ts';
import type { HookDefaults } from '../hook-policies.ts';
import {
  isSummaryFinal,
  parseAiSummary,
  recordSummaryFailure,
  recordSummarySkipped,
  recordSummarySuccess,
  type AiSummaryRecord,
} from './ai-summary.ts';
import { parseEnrichArgs } from './args.ts';
import './events.ts';
import { obfuscateClassChange } from './obfuscation.ts';
import type { Summarizer } from './openai-summarizer.ts';
import { buildPromptContext, buildSummaryMessages } from './prompts.ts';
import type { NotificationRow, SourceRow } from './rows.ts';
import { aiAvailability, emailAction, ENRICH_HOOK, planRows, scheduleRowsIn, type SchedulingDeps } from './scheduling.ts';
import type { SettingsStore } from './settings.ts';
import type { SourceTable } from './source.ts';
import { notificationStatements } from './sql.ts';

/**
 * `wecoza_enrich_notification {log_id}`: summarise one class change with OpenAI and store WeCoza's
 * record in `class_change_logs.ai_summary`, then enqueue the e-mails in the same (fenced) transaction
 * that finishes the enrichment — whether the summary succeeded, failed for good or was skipped. AI
 * trouble delays e-mail by at most the attempts of this job; it never blocks it.
 */

export const ENRICH_DEFAULTS: HookDefaults = {
  maxAttempts: 3,
  // OpenAI's own timeout is 30 s; the margin covers the database work around the call.
  timeoutSeconds: 90,
  concurrency: 8,
  retentionDays: 7,
};

// When the source table is gone every enrichment would fail the same way: hold the hook back instead
// of spending attempts, and look again in a minute.
const SOURCE_SNOOZE_SECONDS = 60;

export interface EnricherParams {
  db: Database;
  source: SourceTable;
  settings: SettingsStore;
  scheduling: SchedulingDeps;
  announce(results: readonly EnqueueResult[]): void;
  events: SidecarEvents;
  openaiApiKey: string | null;
  summarizerFor(model: string): Summarizer;
  now?: () => Date;
}

export function createEnrichHandler(params: EnricherParams): ActionHandler {
  const { db, source, events } = params;
  const now = params.now ?? (() => new Date());
  const notes = notificationStatements(db.schema);
  const { transitions } = params.scheduling;

  const readNotification = async (logId: number): Promise<NotificationRow | null> => {
    const { rows } = await db.query<NotificationRow>(notes.selectNotificationByLogId, [logId]);
    return rows[0] ?? null;
  };

  /** An enrichment enqueued by someone else (WeCoza's PHP through the bridge): schedule the row as the processor would. */
  const adoptRow = async (context: HandlerContext, row: SourceRow): Promise<NotificationRow | null> => {
    const settings = await params.settings.get();
    const ai = aiAvailability(settings, params.openaiApiKey);
    const head = { log_id: Number(row.log_id), operation: row.operation, class_id: row.class_id, class_code: row.class_code };
    const scheduled = await context.fenced((tx) => scheduleRowsIn(tx, params.scheduling, planRows([head], settings, ai), ai, now()));
    params.announce(scheduled.results);
    return readNotification(head.log_id);
  };

  /** Store the final record and let the e-mails go, in one transaction fenced by our claim. */
  const finish = async (context: HandlerContext, logId: number, record: AiSummaryRecord): Promise<void> => {
    const results = await context.fenced(async (tx) => {
      await source.writeSummary({ logId, record }, tx);
      const queued = await transitions.finishEnrichment(tx, logId, record);
      if (queued.length === 0) return [];
      return params.scheduling.enqueueIn(tx, queued.map((deliveryId) => emailAction(logId, deliveryId, params.scheduling.policies)));
    });
    params.announce(results);
  };

  return {
    hook: ENRICH_HOOK,
    defaults: ENRICH_DEFAULTS,

    async run(context) {
      const { action } = context;
      const logId = parseEnrichArgs(action.args);
      try {
        await source.ensureAvailable();
      } catch {
        throw new SnoozeError(SOURCE_SNOOZE_SECONDS, 'the WeCoza source table is not available', true);
      }
      const [row, found] = await Promise.all([source.readRow(logId), readNotification(logId)]);
      let notification = found;
      if (row === null) {
        if (notification !== null) await context.fenced((tx) => transitions.finishNotification(tx, logId, 'failed', 'source_row_missing'));
        throw new PermanentError(`source row ${logId} does not exist`);
      }
      notification ??= await adoptRow(context, row);
      if (notification === null || (notification.state !== 'pending' && notification.state !== 'enriching')) {
        context.log.info({ log_id: logId, state: notification?.state ?? null }, 'nothing to enrich');
        return;
      }

      const previous = parseAiSummary(row.ai_summary);
      if (isSummaryFinal(previous) && previous !== null) {
        // Stored by an earlier run that lost its lease after writing, or by WeCoza itself: reuse it.
        await finish(context, logId, previous);
        return;
      }
      const settings = await params.settings.get();
      const ai = aiAvailability(settings, params.openaiApiKey);
      if (ai.kind === 'skip') {
        await finish(context, logId, recordSummarySkipped(previous, ai.code, now()));
        events.emit('notification:summarized', { outcome: 'skipped', model: null, tokens: 0, elapsedMs: null, code: ai.code });
        return;
      }

      const obfuscated = obfuscateClassChange({ new_row: row.new_row, diff: row.diff, old_row: row.old_row });
      const messages = buildSummaryMessages(buildPromptContext(row, obfuscated));
      const result = await params.summarizerFor(ai.model).summarize(messages, { signal: context.signal });

      switch (result.kind) {
        case 'success': {
          const record = recordSummarySuccess(previous, { summary: result.summary, model: result.model, tokensUsed: result.tokens, processingTimeMs: result.elapsedMs, now: now() });
          await finish(context, logId, record);
          events.emit('notification:summarized', { outcome: 'success', model: result.model, tokens: result.tokens, elapsedMs: result.elapsedMs, code: null });
          return;
        }
        case 'snooze':
          // OpenAI asks everyone to slow down: no attempt spent, the record stays pending, the hook pauses.
          events.emit('notification:summarized', { outcome: 'snoozed', model: ai.model, tokens: 0, elapsedMs: result.elapsedMs, code: null });
          throw new SnoozeError(result.retryAfterSeconds, 'OpenAI rate limit (429): retrying after Retry-After', true);
        case 'terminal': {
          const record = recordSummaryFailure(previous, { code: result.code, message: result.message, model: ai.model, processingTimeMs: result.elapsedMs, final: true });
          await finish(context, logId, record);
          events.emit('notification:summarized', { outcome: 'failed', model: ai.model, tokens: 0, elapsedMs: result.elapsedMs, code: result.code });
          context.log.warn({ log_id: logId, code: result.code }, 'summary failed for good; e-mails go without it');
          return;
        }
        case 'retry': {
          const final = action.attempt >= action.maxAttempts;
          const record = recordSummaryFailure(previous, { code: result.code, message: result.message, model: ai.model, processingTimeMs: result.elapsedMs, final });
          if (final) {
            await finish(context, logId, record);
            events.emit('notification:summarized', { outcome: 'failed', model: ai.model, tokens: 0, elapsedMs: result.elapsedMs, code: result.code });
            context.log.warn({ log_id: logId, code: result.code }, 'summary failed on the last attempt; e-mails go without it');
            return;
          }
          await context.fenced(async (tx) => {
            await source.writeSummary({ logId, record }, tx);
            await transitions.recordSummarySnapshot(tx, logId, record);
          });
          events.emit('notification:summarized', { outcome: 'retry', model: ai.model, tokens: 0, elapsedMs: result.elapsedMs, code: result.code });
          // Only the code: a provider message is not ours to copy into action logs.
          throw new Error(`OpenAI request failed (${result.code}), attempt ${action.attempt} of ${action.maxAttempts}`);
        }
        case 'aborted':
          throw new Error(`summary request aborted: ${result.reason}`);
      }
    },
  };
}
