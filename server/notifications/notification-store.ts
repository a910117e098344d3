import { escapeLike } from '../actions/list-query.ts';
import type { EnqueueResult } from '../actions/store.ts';
import type { Database } from '../db/port.ts';
import { SidecarError, sidecarError } from '../errors.ts';
import { isSummaryFinal, parseAiSummary, recordSummarySkipped } from './ai-summary.ts';
import type { Ledger } from './ledger.ts';
import { toNotificationDetail, toNotificationSummary, type NotificationListRow, type NotificationRow } from './rows.ts';
import { aiAvailability, enrichAction, newDeliveries, scheduleEmailsIn, type SchedulingDeps } from './scheduling.ts';
import { NOTIFICATION_STATES, type NotificationDetail, type NotificationState, type NotificationSummary } from './schemas.ts';
import { recipientsFor, type SettingsStore } from './settings.ts';
import type { SourceTable } from './source.ts';
import { cursorStatements, deliveryStatements, notificationStatements } from './sql.ts';

/** What the routes read and the one thing they change (a redrive), plus the retention step. */

export interface NotificationFilter {
  states: NotificationState[] | null;
  operation: string | null;
  classId: number | null;
  /** A log id, or the start of a class code (any case); null for no search. */
  search: string | null;
  limit: number;
  offset: number;
}

/** What a bulk redrive did with the notifications its filter matched. */
export interface RedriveCounts {
  /** Notifications matching the filter. */
  matched: number;
  /** Taken in this call (at most the limit), oldest first. */
  attempted: number;
  /** Back at work: enriching or sending. */
  redriven: number;
  /** Still nobody to write to for their operation: left skipped (no_recipient). */
  still_skipped: number;
  /** Sent meanwhile, or their source row is gone. */
  not_redrivable: number;
  /** Matched but beyond the limit: call again. */
  remaining: number;
}

export interface NotificationStore {
  detail(logId: number): Promise<NotificationDetail | null>;
  list(filter: NotificationFilter): Promise<{ notifications: NotificationSummary[]; total: number }>;
  /** Run a notification again: new recipients get deliveries, failed deliveries are queued again. */
  redrive(logId: number): Promise<NotificationDetail>;
  /** Redrive, one by one and oldest first, up to `limit` notifications matching a filter. */
  redriveMatching(filter: Omit<NotificationFilter, 'offset'>): Promise<RedriveCounts>;
  /** Delete finished notifications (and their deliveries) older than `days`; returns how many. */
  prune(days: number): Promise<number>;
}

/** `sent,failed` → the states; unknown names are a 400. */
export function parseStates(text: string | undefined): NotificationState[] | null {
  if (text === undefined || text.trim() === '') return null;
  const states = text.split(',').map((part) => part.trim()).filter((part) => part !== '');
  for (const state of states) {
    if (!(NOTIFICATION_STATES as readonly string[]).includes(state)) {
      throw sidecarError('validation_failed', `state "${state}" is not one of ${NOTIFICATION_STATES.join(', ')}.`);
    }
  }
  return states as NotificationState[];
}

/** The filter's statement parameters `$1`–`$5` (see NOTIFICATION_FILTER in sql.ts). */
function filterValues(filter: Omit<NotificationFilter, 'limit' | 'offset'>): unknown[] {
  const search = filter.search?.trim() ?? '';
  if (search === '') return [filter.states, filter.operation, filter.classId, null, null];
  const logId = /^\d{1,15}$/.test(search) ? Number(search) : null;
  return [filter.states, filter.operation, filter.classId, logId, `${escapeLike(search.toLowerCase())}%`];
}

// Retention deletes in batches so one pass never holds many row locks at once.
const PRUNE_BATCH = 1_000;

export interface NotificationStoreParams {
  db: Database;
  source: SourceTable;
  settings: SettingsStore;
  ledger: Ledger;
  scheduling: SchedulingDeps;
  announce(results: readonly EnqueueResult[]): void;
  openaiApiKey: string | null;
  now?: () => Date;
}

export function createNotificationStore(params: NotificationStoreParams): NotificationStore {
  const { db, source, ledger } = params;
  const notes = notificationStatements(db.schema);
  const deliveries = deliveryStatements(db.schema);
  const cursors = cursorStatements(db.schema);
  const now = params.now ?? (() => new Date());

  const readRow = async (logId: number): Promise<NotificationRow | null> => {
    const { rows } = await db.query<NotificationRow>(notes.selectNotificationByLogId, [logId]);
    return rows[0] === undefined ? null : { ...rows[0], log_id: Number(rows[0].log_id) };
  };

  const store: NotificationStore = {
    async detail(logId) {
      const row = await readRow(logId);
      if (row === null) return null;
      return toNotificationDetail(row, await ledger.listFor(logId));
    },

    async list(filter) {
      const values = filterValues(filter);
      const [page, count] = await Promise.all([
        db.query<NotificationListRow>(notes.listNotifications, [...values, filter.limit, filter.offset]),
        db.query<{ total: number }>(notes.countNotifications, values),
      ]);
      return {
        notifications: page.rows.map((row) => toNotificationSummary({ ...row, log_id: Number(row.log_id), class_id: row.class_id === null ? null : Number(row.class_id) })),
        total: count.rows[0]?.total ?? 0,
      };
    },

    async redrive(logId) {
      await source.ensureAvailable();
      const current = await readRow(logId);
      if (current === null) throw sidecarError('not_found', `No notification for log_id ${logId}.`);
      if (current.state === 'sent') throw sidecarError('not_redrivable', `Notification ${logId} was sent to every recipient; there is nothing to run again.`, { state: current.state });
      const row = await source.readRow(logId);
      if (row === null) throw sidecarError('not_redrivable', `The source row ${logId} no longer exists.`, { state: current.state });
      const settings = await params.settings.get();
      const ai = aiAvailability(settings, params.openaiApiKey);
      const recipients = recipientsFor(settings, row.operation);
      const summary = parseAiSummary(row.ai_summary);

      const { transitions } = params.scheduling;
      const results = await db.transaction(async (tx) => {
        await transitions.lockNotification(tx, logId);
        await transitions.addDeliveries(tx, newDeliveries(logId, recipients, params.scheduling.mailDomain));
        await transitions.requeueFailedDeliveries(tx, logId);
        const open = await tx.query<{ id: number }>(deliveries.selectDeliveryIdsByState, [logId, ['queued', 'sending']]);
        if (open.rows.length === 0) {
          // Still nobody to write to: the notification stays visible as skipped.
          await transitions.finishNotification(tx, logId, 'skipped', 'no_recipient');
          return [];
        }
        if (ai.kind === 'available' && !isSummaryFinal(summary)) {
          await transitions.reopenNotification(tx, logId, 'enriching');
          return params.scheduling.enqueueIn(tx, [enrichAction(logId, params.scheduling.policies)]);
        }
        if (ai.kind === 'skip' && !isSummaryFinal(summary)) {
          const record = recordSummarySkipped(summary, ai.code, now());
          await source.writeSummariesUnlessFinal([{ logId, record }], tx);
          await transitions.recordSummarySnapshot(tx, logId, record);
        }
        await transitions.reopenNotification(tx, logId, 'sending');
        return scheduleEmailsIn(tx, params.scheduling, logId, ['queued', 'sending']);
      });
      params.announce(results);
      return (await store.detail(logId)) as NotificationDetail;
    },

    async redriveMatching(filter) {
      await source.ensureAvailable();
      const { rows } = await db.query<{ log_id: number; total: number }>(notes.selectMatchingLogIds, [...filterValues(filter), filter.limit]);
      const matched = rows[0]?.total ?? 0;
      const counts: RedriveCounts = { matched, attempted: rows.length, redriven: 0, still_skipped: 0, not_redrivable: 0, remaining: matched - rows.length };
      for (const row of rows) {
        try {
          const detail = await store.redrive(Number(row.log_id));
          if (detail.state === 'skipped') counts.still_skipped += 1;
          else counts.redriven += 1;
        } catch (error) {
          // One notification that cannot run again (sent meanwhile, source row deleted, retention) does
          // not stop the others; anything else (the database, the source table) does.
          if (!(error instanceof SidecarError) || (error.code !== 'not_redrivable' && error.code !== 'not_found')) throw error;
          counts.not_redrivable += 1;
        }
      }
      return counts;
    },

    async prune(days) {
      let total = 0;
      for (;;) {
        const { rows } = await db.query<{ count: number; max_log_id: number | null }>(notes.deleteFinishedNotificationsBefore, [Math.ceil(days), PRUNE_BATCH]);
        const count = rows[0]?.count ?? 0;
        const highest = rows[0]?.max_log_id ?? null;
        if (highest !== null) await db.query(cursors.raiseCursorFloors, [Number(highest)]);
        total += count;
        if (count < PRUNE_BATCH) return total;
      }
    },
  };
  return store;
}
