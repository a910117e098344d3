import { Type, type Static } from 'typebox';
import { INT4_MAX, MAX_ID, MAX_UNIX_SECONDS, Text } from '../schema-types.ts';

/**
 * Route schemas of the actions feature: the only validation, the serializer, and the source of
 * `openapi.yaml`. Bodies are strict (no coercion, unknown keys refused); query strings are coerced.
 */

export const ACTION_STATUSES = ['pending', 'in-progress', 'complete', 'failed', 'canceled'] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

export const SCHEDULE_TYPES = ['async', 'single', 'interval', 'cron'] as const;
export type ScheduleType = (typeof SCHEDULE_TYPES)[number];

export const ORDER_BY = ['date', 'hook', 'group', 'modified', 'action_id', 'none'] as const;
export const DATE_COMPARE = ['!=', '>', '>=', '<', '<=', '='] as const;
export const PARTIAL_ARGS_MATCHING = ['off', 'like', 'json'] as const;
export const LIST_CAP = 10_000;

const strict = { additionalProperties: false } as const;

/** A string enum whose static type is the union of its values (Type.Literal over `.map` loses them). */
export function oneOfStrings<const T extends readonly string[]>(values: T, options: { description?: string } = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

export const Hook = Text({ minLength: 1, maxLength: 191, description: 'Hook name, 1–191 characters.', examples: ['wecoza_process_event'] });
const HookOrAny = Text({ maxLength: 191, description: 'Hook name; empty means any hook.' });
export const Group = Text({ maxLength: 191, description: 'Group slug, 0–191 characters.', examples: ['wecoza-notifications'] });
export const Args = Type.Union([Type.Array(Type.Unknown()), Type.Record(Type.String(), Type.Unknown())], {
  description:
    'A JSON array or object; its canonical text must fit in 8000 UTF-8 bytes. Key order, types and number literals count and come back exactly as sent. ' +
    'No string or key may contain U+0000, and no number may lie beyond the double range (1e400 is refused: JavaScript and PHP would read it as infinity).',
  examples: [{ event_id: 6 }],
});
const ArgsOrAny = Type.Union([Args, Type.Null()], { description: 'null matches any args; [] only actions created without args.' });
const Priority = Type.Integer({ minimum: 0, maximum: 255, description: 'Lower runs first. Default 10.', examples: [10] });
const MaxAttempts = Type.Integer({ minimum: 1, maximum: 100, description: 'Attempts before the action fails; defaults to the hook’s retry policy (1 for unknown hooks).' });
const Timestamp = Type.Integer({ minimum: 0, maximum: MAX_UNIX_SECONDS, description: 'Unix seconds (UTC), up to the end of year 9999.', examples: [1893456000] });

const enqueueCommon = {
  hook: Hook,
  args: Type.Optional(Args),
  group: Type.Optional(Group),
  unique: Type.Optional(Type.Boolean({ description: 'Refuse when a pending or in-progress action has the same hook, args and group.' })),
  priority: Type.Optional(Priority),
  max_attempts: Type.Optional(MaxAttempts),
};

/** WeCoza's own call: its PHP enqueues this hook for every new notification event. */
const EXAMPLE_ENQUEUE = { hook: 'wecoza_process_event', args: { event_id: 6 }, group: 'wecoza-notifications', priority: 10 };
export const AsyncBody = Type.Object(enqueueCommon, { ...strict, examples: [{ ...EXAMPLE_ENQUEUE, unique: true }] });
export const SingleBody = Type.Object({ timestamp: Timestamp, ...enqueueCommon }, { ...strict, examples: [{ timestamp: 1893456000, ...EXAMPLE_ENQUEUE }] });
export const RecurringBody = Type.Object(
  { timestamp: Timestamp, interval_in_seconds: Type.Integer({ minimum: 1, maximum: 315_360_000 }), ...enqueueCommon },
  strict,
);
export const CronBody = Type.Object(
  { timestamp: Timestamp, schedule: Text({ minLength: 1, maxLength: 255, description: 'Cron expression (5 or 6 fields, or @daily…), evaluated in UTC.' }), ...enqueueCommon },
  strict,
);
export type AsyncBody = Static<typeof AsyncBody>;
export type SingleBody = Static<typeof SingleBody>;
export type RecurringBody = Static<typeof RecurringBody>;
export type CronBody = Static<typeof CronBody>;

/**
 * An async batch item may say when it was first enqueued: an action moved from Action Scheduler's
 * tables keeps its place among due work (Action Scheduler dates an async action at its enqueue time).
 * A time in the future is read as now: an async action is never held back.
 */
const EnqueuedAt = Type.Integer({ minimum: 0, maximum: MAX_UNIX_SECONDS, description: 'Batch only: when the async action was first enqueued (unix seconds), for actions moved from Action Scheduler. Default and upper bound: now.' });

export const BatchItem = Type.Unsafe<
  ({ type: 'async'; timestamp?: number } & AsyncBody) | ({ type: 'single' } & SingleBody) | ({ type: 'recurring' } & RecurringBody) | ({ type: 'cron' } & CronBody)
>({
  type: 'object',
  discriminator: { propertyName: 'type' },
  required: ['type'],
  oneOf: [
    // Titled: the published document names each branch in its components, as a discriminator needs.
    Type.Object({ type: Type.Literal('async'), timestamp: Type.Optional(EnqueuedAt), ...AsyncBody.properties }, { ...strict, title: 'BatchItemAsync' }),
    Type.Object({ type: Type.Literal('single'), ...SingleBody.properties }, { ...strict, title: 'BatchItemSingle' }),
    Type.Object({ type: Type.Literal('recurring'), ...RecurringBody.properties }, { ...strict, title: 'BatchItemRecurring' }),
    Type.Object({ type: Type.Literal('cron'), ...CronBody.properties }, { ...strict, title: 'BatchItemCron' }),
  ],
});
export type BatchItem = Static<typeof BatchItem>;
export const BatchBody = Type.Object({ actions: Type.Array(BatchItem, { minItems: 1, maxItems: 1000 }) }, strict);

export const EnqueueCreated = Type.Object({ action_id: Type.Integer({ minimum: 1 }) }, { ...strict, description: 'Created: the new action’s id.' });
export const EnqueueBlocked = Type.Object(
  { action_id: Type.Literal(0), existing_action_id: Type.Integer({ minimum: 1, description: 'The live twin that blocked this unique enqueue.' }) },
  { ...strict, description: 'Not created: a unique action with the same hook, args and group is pending or in progress (Action Scheduler returns 0).' },
);
export const BatchResult = Type.Object({
  action_id: Type.Integer({ minimum: 0 }),
  existing_action_id: Type.Optional(Type.Integer({ minimum: 1 })),
});
export const BatchReply = Type.Object({ results: Type.Array(BatchResult) });

export const MatchBody = Type.Object({ hook: HookOrAny, args: Type.Optional(ArgsOrAny), group: Type.Optional(Group) }, strict);
export type MatchBody = Static<typeof MatchBody>;
const ArgsText = Text({ maxLength: 16_000, description: 'JSON text; absent means any args.' });
export const MatchQuery = Type.Object({
  hook: Text({ maxLength: 191, description: 'Hook name; empty means any hook.' }),
  args: Type.Optional(ArgsText),
  group: Type.Optional(Group),
});
export type MatchQuery = Static<typeof MatchQuery>;
export const UnscheduleReply = Type.Object({ action_id: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]) });
export const UnscheduleAllReply = Type.Object({ canceled: Type.Integer({ minimum: 0 }) });
export const NextReply = Type.Object({
  next: Type.Union([Type.Integer(), Type.Boolean()], {
    description: 'true when a match is in progress or is an async action; the unix time of the earliest pending match; false when none.',
  }),
});
export const HasReply = Type.Object({ scheduled: Type.Boolean() });

const StatusList = Type.Union([oneOfStrings(ACTION_STATUSES), Type.Array(oneOfStrings(ACTION_STATUSES))]);
const DateText = Text({ minLength: 1, maxLength: 64, description: `Unix seconds (0 to ${MAX_UNIX_SECONDS}) or ISO 8601 (years 0000–9999).` });
export const DateInput = Type.Union([Type.Integer({ minimum: 0, maximum: MAX_UNIX_SECONDS }), DateText], { description: 'Unix seconds or ISO 8601.' });
const listKeys = {
  hook: Type.Optional(HookOrAny),
  partial_args_matching: Type.Optional(oneOfStrings(PARTIAL_ARGS_MATCHING)),
  date_compare: Type.Optional(oneOfStrings(DATE_COMPARE)),
  modified_compare: Type.Optional(oneOfStrings(DATE_COMPARE)),
  group: Type.Optional(Group),
  per_page: Type.Optional(Type.Integer({ minimum: -1, maximum: LIST_CAP, description: `-1 (or 0) returns every match, up to ${LIST_CAP}.` })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: INT4_MAX })),
  orderby: Type.Optional(oneOfStrings(ORDER_BY)),
  order: Type.Optional(oneOfStrings(['ASC', 'DESC', 'asc', 'desc'] as const)),
  search: Type.Optional(Text({ maxLength: 191 })),
};
export const ListQuery = Type.Object({
  ...listKeys,
  args: Type.Optional(ArgsText),
  date: Type.Optional(DateText),
  modified: Type.Optional(DateText),
  status: Type.Optional(Text({ maxLength: 200, description: 'Comma-separated statuses.' })),
  claimed: Type.Optional(Text({ maxLength: 64, description: 'true, false, or a claim id.' })),
});
export type ListQuery = Static<typeof ListQuery>;
export const ListBody = Type.Object(
  {
    ...listKeys,
    args: Type.Optional(ArgsOrAny),
    date: Type.Optional(DateInput),
    modified: Type.Optional(DateInput),
    status: Type.Optional(StatusList),
    claimed: Type.Optional(Type.Union([Type.Boolean(), Text({ maxLength: 64 }), Type.Null()])),
  },
  strict,
);
export type ListBody = Static<typeof ListBody>;

export const Schedule = Type.Object({
  type: oneOfStrings(SCHEDULE_TYPES),
  timestamp: Type.Optional(Type.Integer()),
  interval: Type.Optional(Type.Integer()),
  cron: Type.Optional(Type.String()),
});

export const Action = Type.Object({
  id: Type.Integer(),
  hook: Type.String(),
  status: oneOfStrings(ACTION_STATUSES),
  args: Type.Unknown({ description: 'The args as stored (canonical JSON).' }),
  group: Type.String(),
  priority: Type.Integer(),
  unique: Type.Boolean(),
  schedule: Schedule,
  scheduled_date_gmt: Type.String({ format: 'date-time' }),
  scheduled_timestamp: Type.Integer(),
  attempts: Type.Integer(),
  max_attempts: Type.Integer(),
  last_attempt_gmt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  claim_id: Type.Union([Type.String(), Type.Null()]),
  last_error: Type.Union([Type.String(), Type.Null()]),
});
export type Action = Static<typeof Action>;

export const ListReply = Type.Object({ actions: Type.Array(Action), total: Type.Integer({ minimum: 0 }) });
export const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: MAX_ID, description: 'The action id (at most 2^53 − 1, so every JSON reader holds it exactly).' }) });
export const ActionLog = Type.Object({ id: Type.Integer(), message: Type.String(), date_gmt: Type.String({ format: 'date-time' }) });
export const LogsReply = Type.Object({ logs: Type.Array(ActionLog) });

/** `POST /v1/actions/fetch`: the rows of one admin list-table page (and their logs) in one call. */
export const FETCH_MAX_IDS = 100;
export const FetchBody = Type.Object(
  {
    ids: Type.Array(Type.Integer({ minimum: 1, maximum: MAX_ID }), { minItems: 1, maxItems: FETCH_MAX_IDS, description: `Up to ${FETCH_MAX_IDS} action ids; repeats are answered once.` }),
    logs: Type.Optional(Type.Boolean({ description: 'Include each action’s log lines, oldest first. Default false.' })),
  },
  strict,
);
export type FetchBody = Static<typeof FetchBody>;
export const ActionWithLogs = Type.Object({ ...Action.properties, logs: Type.Optional(Type.Array(ActionLog)) });
export const FetchReply = Type.Object({
  actions: Type.Array(ActionWithLogs, { description: 'The actions found, in the order of `ids`.' }),
  missing: Type.Array(Type.Integer(), { description: 'Ids with no action (never created, or removed by retention).' }),
});

/** `GET /v1/actions/counts`: the status line of Action Scheduler's admin screen. */
export const CountsReply = Type.Object({
  counts: Type.Object(Object.fromEntries(ACTION_STATUSES.map((status) => [status, Type.Integer({ minimum: 0 })])) as Record<ActionStatus, ReturnType<typeof Type.Integer>>, {
    description: 'Actions per status; every status is present.',
  }),
  past_due: Type.Integer({ minimum: 0, description: 'Pending actions whose date has passed (Action Scheduler’s "Past-due").' }),
});
