import { Type, type Static } from 'typebox';

/**
 * GET /v1/status: what the WordPress status panel shows, in one cheap call. Cached for
 * STATUS_CACHE_MS, so a panel on every admin page load costs the database at most one round of
 * queries per few seconds whatever the traffic.
 */

const strict = { additionalProperties: false } as const;
const Timestamp = Type.String({ format: 'date-time', description: 'ISO 8601, UTC.' });

const Check = Type.Object(
  {
    status: Type.Union([Type.Literal('ok'), Type.Literal('warn'), Type.Literal('fail')]),
    detail: Type.Optional(Type.String()),
  },
  strict,
);

const Actions = Type.Object(
  {
    pending: Type.Integer({ description: 'Pending actions, due or not.' }),
    in_progress: Type.Integer(),
    past_due: Type.Integer({ description: 'Pending actions whose time has come.' }),
    oldest_due_age_seconds: Type.Number({ description: 'How long the oldest due pending action has waited; 0 when none is due.' }),
    capped: Type.Boolean({ description: 'More live actions than the counting scan reads (100,000): the counts are lower bounds.' }),
    as_of: Timestamp,
  },
  { ...strict, description: 'The same snapshot as the /metrics depth gauges (refreshed at most every 10 s).' },
);

const LastPass = Type.Object(
  {
    started_at: Timestamp,
    finished_at: Type.Union([Timestamp, Type.Null()], { description: 'Null while the pass holds the lock.' }),
    running: Type.Boolean(),
    passes: Type.Integer({ description: 'Passes started since the sidecar first ran (the lock fence).' }),
  },
  strict,
);

const Notifications = Type.Object(
  {
    enabled: Type.Boolean({ description: 'NOTIFICATIONS_ENABLED.' }),
    source_table: Type.String(),
    cursor: Type.Union([Type.Object({ log_id: Type.Integer(), updated_at: Timestamp }, strict), Type.Null()], {
      description: 'The highest log_id the processor has seen; null before the first pass.',
    }),
    last_pass: Type.Union([LastPass, Type.Null()], { description: 'The latest processor pass (the wecoza_ai_summary_lock); null before the first.' }),
    emails_last_24h: Type.Object({ sent: Type.Integer(), failed: Type.Integer() }, { ...strict, description: 'Deliveries that ended sent or failed in the last 24 h.' }),
    ai_paused: Type.Boolean({ description: 'True while the enrichment hook is paused (OpenAI asked to slow down, or an operator paused it).' }),
    ai_paused_until: Type.Union([Timestamp, Type.Null()], { description: 'When the enrichment hook’s pause ends; null when not paused or paused indefinitely.' }),
  },
  strict,
);

export const StatusReply = Type.Object(
  {
    generated_at: Timestamp,
    readiness: Type.Object(
      {
        status: Type.Union([Type.Literal('ready'), Type.Literal('degraded'), Type.Literal('not_ready')]),
        checks: Type.Record(Type.String(), Check),
      },
      { ...strict, description: "The /readyz checks (database, migrations, source_table, smtp, ai) as they were when this was generated." },
    ),
    actions: Type.Union([Actions, Type.Null()], { description: 'Null when the database could not be read (see readiness).' }),
    notifications: Type.Union([Notifications, Type.Null()], { description: 'Null when the database could not be read (see readiness).' }),
  },
  strict,
);
export type StatusReply = Static<typeof StatusReply>;
export type NotificationsStatus = Static<typeof Notifications>;
