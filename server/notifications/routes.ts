import type { FastifyBaseLogger, FastifyInstance, FastifyPluginAsync, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { sidecarError } from '../errors.ts';
import { commonErrors, errorReply } from '../error-schema.ts';
import { toCursorReply, type CursorStore } from './cursor.ts';
import { parseStates, type NotificationStore } from './notification-store.ts';
import type { Processor } from './processor.ts';
import {
  CursorBody,
  CursorReply,
  ListQuery,
  ListReply,
  DEFAULT_REDRIVE_LIMIT,
  LogIdParams,
  NotificationDetail,
  ProcessBody,
  ProcessReply,
  REDRIVABLE_STATES,
  RedriveBody,
  RedriveReply,
  Settings,
  SettingsBody,
} from './schemas.ts';
import { toSettingsReply, type SettingsStore } from './settings.ts';
import type { SourceTable } from './source.ts';

export interface NotificationRoutesOptions {
  enabled: boolean;
  processor: Processor;
  settings: SettingsStore;
  cursor: CursorStore;
  notifications: NotificationStore;
  source: SourceTable;
}

const TAG = ['notifications'];
const unavailable = errorReply('The WeCoza source table is missing or unreachable (source_unavailable), the database is down, or notifications are switched off.');
const errors = { ...commonErrors(), 503: unavailable };

/**
 * The notification pipeline under /v1/notifications. Routes that touch WeCoza's table (process,
 * cursor, redrive) answer 503 `source_unavailable` while it is missing; settings and the
 * notification list read only the sidecar's tables and keep working, so recipients can still be
 * synced and past notifications inspected.
 */
export const notificationRoutes: FastifyPluginAsync<NotificationRoutesOptions> = async (app, options) => {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  if (!options.enabled) {
    app.addHook('preHandler', async () => {
      throw sidecarError('notifications_disabled');
    });
  }

  // Registered in this order, which is the order of the published document.
  processAndSettingsRoutes(api, options);
  notificationListRoutes(api, options);
};

type TypedApi = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

/** POST /process, the settings and the cursor: what WP-Cron and the bridge's sync call. */
function processAndSettingsRoutes(api: TypedApi, options: NotificationRoutesOptions): void {
  const { processor, settings, cursor, source } = options;
  api.post(
    '/process',
    {
      schema: {
        tags: TAG,
        summary: 'One processor pass: what WP-Cron calls every minute',
        description: [
          'Takes the lock wecoza_ai_summary_lock (120 s); another pass in progress answers status "locked".',
          'Reads up to batch_limit source rows in log_id order after the cursor, plus rows that committed late in a look-back window below it,',
          'and gives each one notification, its deliveries and its actions (wecoza_enrich_notification, or the e-mails directly when AI is off).',
          'Stops early at 90 s. The sidecar also runs this on its own every NOTIFY_PROCESS_INTERVAL seconds.',
        ].join(' '),
        body: ProcessBody,
        response: { 200: ProcessReply, ...errors },
      },
      // `curl -X POST …/process` with no body at all means "no options", like `{}`; published as an
      // optional request body.
      config: { bodyOptional: true },
      preValidation: async (request) => {
        // Only an absent body; a JSON `null` is a body, and not an object.
        if (request.body === undefined) request.body = {};
      },
    },
    async (request) => processor.run({ batchLimit: request.body.batch_limit }),
  );

  api.get(
    '/settings',
    { schema: { tags: TAG, summary: 'Recipients per operation and the AI switch', response: { 200: Settings, ...errors } } },
    async () => toSettingsReply(await settings.get()),
  );

  api.put(
    '/settings',
    {
      schema: {
        tags: TAG,
        summary: 'Replace the recipients and/or the AI settings',
        description: 'Seeded once from NOTIFY_RECIPIENTS_INSERT/UPDATE and AI_ENABLED; from then on the stored settings win. Operation names are stored upper-case; addresses are de-duplicated.',
        body: SettingsBody,
        response: { 200: Settings, ...errors },
      },
    },
    async (request) => toSettingsReply(await settings.update(request.body)),
  );

  api.get(
    '/cursor',
    {
      schema: {
        tags: TAG,
        summary: 'The processor cursor (the highest log_id seen)',
        description: "Created on first use at the source's max(log_id), or NOTIFY_START_LOG_ID: history is never e-mailed.",
        response: { 200: CursorReply, ...errors },
      },
    },
    async () => {
      await source.ensureAvailable();
      return toCursorReply(await cursor.ensure());
    },
  );

  api.put(
    '/cursor',
    {
      schema: {
        tags: TAG,
        summary: "Set the cursor (the bridge imports WeCoza's wecoza_last_notified_log_id)",
        description: 'Rows after log_id are notified by the next pass; the look-back window for late rows never reaches at or below it.',
        body: CursorBody,
        response: { 200: CursorReply, ...errors },
      },
    },
    async (request) => {
      await source.ensureAvailable();
      return toCursorReply(await cursor.set(request.body.log_id));
    },
  );
}

/** The list, one notification, and the redrives: what the admin pages call. */
function notificationListRoutes(api: TypedApi, options: NotificationRoutesOptions): void {
  const { notifications } = options;
  api.get(
    '/',
    {
      schema: {
        tags: TAG,
        summary: 'List notifications, newest first',
        querystring: ListQuery,
        response: { 200: ListReply, ...errors },
      },
    },
    async (request) =>
      notifications.list({
        states: parseStates(request.query.state),
        operation: request.query.operation?.toUpperCase() ?? null,
        classId: request.query.class_id ?? null,
        search: request.query.search ?? null,
        limit: request.query.limit ?? 50,
        offset: request.query.offset ?? 0,
      }),
  );

  api.post(
    '/redrive',
    {
      schema: {
        tags: TAG,
        summary: 'Redrive every skipped and/or failed notification matching a filter, answering counts',
        description: [
          'The list filters (state, operation, class_id, search) pick skipped and failed notifications; each is redriven as POST /v1/notifications/{log_id}/redrive does,',
          `one by one, oldest first, up to limit (default ${DEFAULT_REDRIVE_LIMIT}) per call; remaining says how many are left for another call.`,
          'A notification sent meanwhile or whose source row is gone counts as not_redrivable and does not stop the others.',
        ].join(' '),
        body: RedriveBody,
        response: { 200: RedriveReply, ...errors },
      },
    },
    async (request) =>
      notifications.redriveMatching({
        states: request.body.state ?? [...REDRIVABLE_STATES],
        operation: request.body.operation?.toUpperCase() ?? null,
        classId: request.body.class_id ?? null,
        search: request.body.search ?? null,
        limit: request.body.limit ?? DEFAULT_REDRIVE_LIMIT,
      }),
  );

  api.get(
    '/:log_id',
    {
      schema: {
        tags: TAG,
        summary: 'One notification: state, AI summary, deliveries with their SMTP replies',
        params: LogIdParams,
        response: { 200: NotificationDetail, 404: errorReply('No notification for this log_id.'), ...errors },
      },
    },
    async (request) => {
      const detail = await notifications.detail(request.params.log_id);
      if (detail === null) throw sidecarError('not_found', `No notification for log_id ${request.params.log_id}.`);
      return detail;
    },
  );

  api.post(
    '/:log_id/redrive',
    {
      schema: {
        tags: TAG,
        summary: 'Run a notification again (after a settings change, say)',
        description: [
          'Recipients now configured for its operation that have no delivery yet get one; failed deliveries are queued again with their Message-ID;',
          'the summary is requested if it is missing and AI is on. A notification still without recipients stays skipped (no_recipient).',
          'Anything already in flight is not doubled: its actions are unique. A sent notification answers 409.',
        ].join(' '),
        params: LogIdParams,
        response: { 200: NotificationDetail, 404: errorReply('No notification for this log_id.'), 409: errorReply('Already sent, or its source row is gone (not_redrivable).'), ...errors },
      },
    },
    async (request) => notifications.redrive(request.params.log_id),
  );
}
