import { Type, type Static } from 'typebox';
import { oneOfStrings } from '../actions/schemas.ts';
import { INT4_MAX, MAX_ID, Text } from '../schema-types.ts';

/**
 * Route schemas of the notification pipeline: the only validation, the serializer, and the source
 * of `openapi.yaml`. Bodies are strict (no coercion, unknown keys refused); query strings are coerced.
 */

export const NOTIFICATION_STATES = ['pending', 'enriching', 'sending', 'sent', 'failed', 'skipped'] as const;
export type NotificationState = (typeof NOTIFICATION_STATES)[number];
/** States nothing moves a notification out of, except a redrive. */
export const FINISHED_NOTIFICATION_STATES = ['sent', 'failed', 'skipped'] as const satisfies readonly NotificationState[];

export const DELIVERY_STATES = ['queued', 'sending', 'sent', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** Why a notification is skipped or failed. */
export const NOTIFICATION_REASONS = ['no_recipient', 'delivery_failed', 'source_row_missing'] as const;
export type NotificationReason = (typeof NOTIFICATION_REASONS)[number];

export const DEFAULT_BATCH_LIMIT = 50;
export const MAX_BATCH_LIMIT = 500;
export const MAX_RECIPIENTS_PER_OPERATION = 50;
export const MAX_OPERATIONS = 32;

const strict = { additionalProperties: false } as const;
const Timestamp = Type.String({ format: 'date-time', description: 'ISO 8601, UTC.' });
const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);
const LogId = Type.Integer({ minimum: 1, maximum: MAX_ID, description: 'class_change_logs.log_id' });

export const LogIdParams = Type.Object({ log_id: LogId }, strict);

export const ProcessBody = Type.Object(
  {
    batch_limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_BATCH_LIMIT, description: `Source rows to take in this pass; default ${DEFAULT_BATCH_LIMIT}.` }),
    ),
  },
  strict,
);
export type ProcessBody = Static<typeof ProcessBody>;

export const ProcessReply = Type.Object(
  {
    status: oneOfStrings(['processed', 'locked'] as const, { description: '"locked": another pass holds wecoza_ai_summary_lock; nothing was done.' }),
    scanned: Type.Integer({ description: 'Source rows taken in this pass (late rows found in the look-back window included).' }),
    enrich_scheduled: Type.Integer({ description: 'wecoza_enrich_notification actions created.' }),
    email_scheduled: Type.Integer({ description: 'wecoza_send_notification_email actions created (AI off or not configured).' }),
    skipped: Type.Integer({ description: 'Notifications created as skipped (no recipient for the operation).' }),
    cursor: Type.Integer({ description: 'The highest log_id seen after this pass.' }),
    elapsed_ms: Type.Integer(),
  },
  strict,
);
export type ProcessReply = Static<typeof ProcessReply>;

export const Operation = Type.String({
  pattern: '^[A-Za-z][A-Za-z0-9_]{0,63}$',
  description: 'An operation of the source table (INSERT, UPDATE, …); stored upper-case.',
});
const Recipients = Type.Array(Text({ format: 'email', maxLength: 320 }), {
  maxItems: MAX_RECIPIENTS_PER_OPERATION,
  description: `Up to ${MAX_RECIPIENTS_PER_OPERATION} addresses; an empty list means nobody is notified for this operation.`,
});
/**
 * Operation → addresses. The key rule is `propertyNames` rather than TypeBox's Record (which writes
 * `patternProperties`): the OpenAPI generator turns patternProperties into plain additionalProperties
 * and the published schema lost its key pattern.
 */
const RecipientsMap = Type.Unsafe<Record<string, string[]>>({
  type: 'object',
  propertyNames: Operation,
  additionalProperties: Recipients,
  maxProperties: MAX_OPERATIONS,
  description: 'Operation → addresses. An operation that is absent has no recipients.',
});
const AiSettings = Type.Object(
  {
    enabled: Type.Boolean({ description: 'Summaries are requested only when this is on and OPENAI_API_KEY is set.' }),
    model: Text({ minLength: 1, maxLength: 100, description: 'The OpenAI model, e.g. gpt-4o-mini.' }),
  },
  strict,
);

export const Settings = Type.Object({ recipients: RecipientsMap, ai: AiSettings, updated_at: Timestamp }, strict);
export type Settings = Static<typeof Settings>;

export const SettingsBody = Type.Object(
  {
    recipients: Type.Optional(RecipientsMap),
    ai: Type.Optional(
      Type.Object(
        { enabled: Type.Optional(AiSettings.properties.enabled), model: Type.Optional(AiSettings.properties.model) },
        strict,
      ),
    ),
  },
  { ...strict, description: 'Replaces what is given: the whole recipients map when present, and each ai key that is present.' },
);
export type SettingsBody = Static<typeof SettingsBody>;

export const CursorBody = Type.Object(
  { log_id: Type.Integer({ minimum: 0, maximum: MAX_ID, description: 'The last log_id already notified (WeCoza: wecoza_last_notified_log_id).' }) },
  strict,
);
export const CursorReply = Type.Object(
  {
    source_table: Type.String(),
    log_id: Type.Integer({ description: 'The highest log_id seen; the next pass reads after it.' }),
    floor_log_id: Type.Integer({ description: 'The look-back window for late rows never reaches at or below this.' }),
    updated_at: Timestamp,
  },
  strict,
);
export type CursorReply = Static<typeof CursorReply>;

const DeliveryCounts = Type.Object(
  { queued: Type.Integer(), sending: Type.Integer(), sent: Type.Integer(), failed: Type.Integer() },
  strict,
);

const notificationCore = {
  log_id: Type.Integer(),
  class_id: Type.Union([Type.Integer(), Type.Null()]),
  class_code: Type.Union([Type.String(), Type.Null()], { description: "The source row's class_code (new image, else old), copied when the notification was created." }),
  operation: Type.String(),
  state: oneOfStrings(NOTIFICATION_STATES),
  reason: Type.Union([oneOfStrings(NOTIFICATION_REASONS), Type.Null()]),
  created_at: Timestamp,
  updated_at: Timestamp,
  enriched_at: NullableTimestamp,
  finished_at: NullableTimestamp,
};

export const NotificationSummary = Type.Object(
  {
    ...notificationCore,
    ai_status: Type.Union([oneOfStrings(['pending', 'success', 'failed'] as const), Type.Null()]),
    deliveries: DeliveryCounts,
    recipients: Type.Array(
      Type.Object(
        { recipient: Type.String(), state: oneOfStrings(DELIVERY_STATES), smtp_code: Type.Union([Type.Integer(), Type.Null()]) },
        strict,
      ),
      { description: 'Each delivery in brief, in creation order: its address, state and last SMTP reply code.' },
    ),
  },
  strict,
);
export type NotificationSummary = Static<typeof NotificationSummary>;

const AiSummaryRecordSchema = Type.Object(
  {
    summary: Type.Union([Type.String(), Type.Null()]),
    status: oneOfStrings(['pending', 'success', 'failed'] as const),
    error_code: Type.Union([Type.String(), Type.Null()]),
    error_message: Type.Union([Type.String(), Type.Null()]),
    attempts: Type.Integer(),
    viewed: Type.Boolean(),
    viewed_at: Type.Union([Type.String(), Type.Null()]),
    generated_at: Type.Union([Type.String(), Type.Null()]),
    model: Type.Union([Type.String(), Type.Null()]),
    tokens_used: Type.Integer(),
    processing_time_ms: Type.Integer(),
  },
  { ...strict, description: "WeCoza's ai_summary record, as written to class_change_logs." },
);

export const Delivery = Type.Object(
  {
    id: Type.Integer(),
    recipient: Type.String(),
    state: oneOfStrings(DELIVERY_STATES),
    message_id: Type.String(),
    attempts: Type.Integer(),
    smtp_code: Type.Union([Type.Integer(), Type.Null()]),
    smtp_response: Type.Union([Type.String(), Type.Null()]),
    last_error: Type.Union([Type.String(), Type.Null()]),
    created_at: Timestamp,
    updated_at: Timestamp,
    sent_at: NullableTimestamp,
  },
  strict,
);
export type Delivery = Static<typeof Delivery>;

export const NotificationDetail = Type.Object(
  { ...notificationCore, ai_summary: Type.Union([AiSummaryRecordSchema, Type.Null()]), deliveries: Type.Array(Delivery) },
  strict,
);
export type NotificationDetail = Static<typeof NotificationDetail>;

const Search = Text({
  minLength: 1,
  maxLength: 191,
  description: 'A log id (whole number: that notification) or the start of a class code (any case).',
});

export const ListQuery = Type.Object(
  {
    state: Type.Optional(Text({ maxLength: 200, description: `Comma-separated states (${NOTIFICATION_STATES.join(', ')}).` })),
    operation: Type.Optional(Operation),
    class_id: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_ID })),
    search: Type.Optional(Search),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: INT4_MAX, default: 0 })),
  },
  strict,
);
export type ListQuery = Static<typeof ListQuery>;

export const ListReply = Type.Object({ notifications: Type.Array(NotificationSummary), total: Type.Integer() }, strict);

/** The states a bulk redrive may take: what a redrive can do anything about. */
export const REDRIVABLE_STATES = ['skipped', 'failed'] as const satisfies readonly NotificationState[];
export const DEFAULT_REDRIVE_LIMIT = 500;
export const MAX_REDRIVE_LIMIT = 1_000;

export const RedriveBody = Type.Object(
  {
    state: Type.Optional(
      Type.Array(oneOfStrings(REDRIVABLE_STATES), { minItems: 1, uniqueItems: true, description: 'Default both: skipped and failed.' }),
    ),
    operation: Type.Optional(Operation),
    class_id: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_ID })),
    search: Type.Optional(Search),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_REDRIVE_LIMIT, description: `Notifications to take in this call, oldest first; default ${DEFAULT_REDRIVE_LIMIT}.` }),
    ),
  },
  { ...strict, description: "The list's filters (GET /v1/notifications), restricted to skipped and failed notifications." },
);
export type RedriveBody = Static<typeof RedriveBody>;

export const RedriveReply = Type.Object(
  {
    matched: Type.Integer({ description: 'Notifications matching the filter.' }),
    attempted: Type.Integer({ description: 'Taken in this call (at most limit), oldest first.' }),
    redriven: Type.Integer({ description: 'Back at work (enriching or sending).' }),
    still_skipped: Type.Integer({ description: 'Still without recipients for their operation: left skipped (no_recipient).' }),
    not_redrivable: Type.Integer({ description: 'Sent meanwhile, or their source row is gone.' }),
    remaining: Type.Integer({ description: 'Matched but beyond limit: call again.' }),
  },
  strict,
);
