import { Type, type Static } from 'typebox';
import { DateInput, Group, Hook } from '../actions/schemas.ts';

/** POST /v1/actions/retry: the bulk retry's filter and answer. */
export const BULK_RETRY_DEFAULT_LIMIT = 1_000;
export const BULK_RETRY_MAX_LIMIT = 10_000;

export const BulkRetryBody = Type.Object(
  {
    hook: Type.Optional(Hook),
    group: Type.Optional(Group),
    status: Type.Optional(Type.Literal('failed', { description: 'Only failed actions can be retried (the default).' })),
    finished_since: Type.Optional({ ...DateInput, description: 'Only actions that failed at or after this time (unix seconds or ISO 8601).' }),
    finished_before: Type.Optional({ ...DateInput, description: 'Only actions that failed before this time (unix seconds or ISO 8601).' }),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: BULK_RETRY_MAX_LIMIT, description: `At most this many, oldest failure first (default ${BULK_RETRY_DEFAULT_LIMIT}).` }),
    ),
  },
  { additionalProperties: false, examples: [{ hook: 'wecoza_send_notification_email', finished_since: '2026-01-01T00:00:00Z' }] },
);
export type BulkRetryBody = Static<typeof BulkRetryBody>;

export const BulkRetryReply = Type.Object({
  retried: Type.Integer({ minimum: 0, description: 'Failed actions made pending again, each with an "action reset" log line.' }),
  blocked: Type.Integer({ minimum: 0, description: 'Failed unique actions that matched but stay failed: a twin is live (or a newer twin was retried).' }),
});
