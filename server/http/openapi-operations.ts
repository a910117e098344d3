import type { TSchema } from 'typebox';
import { errorReply } from '../error-schema.ts';

/**
 * What every operation of the published OpenAPI document carries besides its route schema: an
 * operationId, a description for each response status, and the error replies the HTTP layer writes
 * for any route (413/415 for a body, 414 for a path parameter, 431 for headers, 408 for a slow
 * request). Applied by the swagger transform, so a route file states only what is its own.
 */

/** Action Scheduler's function names where a route is one; otherwise verb + object. */
const OPERATION_IDS: Record<string, string> = {
  'GET /healthz': 'getLiveness',
  'GET /readyz': 'getReadiness',
  'GET /metrics': 'getMetrics',
  'POST /v1/actions/async': 'as_enqueue_async_action',
  'POST /v1/actions/single': 'as_schedule_single_action',
  'POST /v1/actions/recurring': 'as_schedule_recurring_action',
  'POST /v1/actions/cron': 'as_schedule_cron_action',
  'POST /v1/actions/batch': 'enqueueActionBatch',
  'POST /v1/actions/unschedule': 'as_unschedule_action',
  'POST /v1/actions/unschedule-all': 'as_unschedule_all_actions',
  'GET /v1/actions/next': 'as_next_scheduled_action',
  'POST /v1/actions/next': 'as_next_scheduled_action_by_body',
  'GET /v1/actions/has': 'as_has_scheduled_action',
  'POST /v1/actions/has': 'as_has_scheduled_action_by_body',
  'GET /v1/actions': 'as_get_scheduled_actions',
  'POST /v1/actions/query': 'as_get_scheduled_actions_by_body',
  'GET /v1/actions/:id': 'getAction',
  'GET /v1/actions/:id/logs': 'getActionLogs',
  'POST /v1/actions/:id/cancel': 'cancelAction',
  'POST /v1/actions/:id/run': 'runAction',
  'POST /v1/actions/:id/retry': 'retryAction',
  'POST /v1/actions/fetch': 'fetchActions',
  'GET /v1/actions/counts': 'countActions',
  'POST /v1/locks/:key': 'acquireLock',
  'GET /v1/locks/:key': 'getLock',
  'POST /v1/locks/:key/refresh': 'refreshLock',
  'POST /v1/locks/:key/release': 'releaseLock',
  'POST /v1/notifications/process': 'processNotifications',
  'GET /v1/notifications/settings': 'getNotificationSettings',
  'PUT /v1/notifications/settings': 'putNotificationSettings',
  'GET /v1/notifications/cursor': 'getNotificationCursor',
  'PUT /v1/notifications/cursor': 'putNotificationCursor',
  'GET /v1/notifications': 'listNotifications',
  'GET /v1/notifications/:log_id': 'getNotification',
  'POST /v1/notifications/:log_id/redrive': 'redriveNotification',
  'POST /v1/notifications/redrive': 'redriveNotifications',
  'GET /v1/status': 'getStatus',
};

/** A route not in the table still gets a stable id: `POST /v1/actions/:id/cancel` → `postActionsIdCancel`. */
export function operationIdFor(method: string, url: string): string {
  const known = OPERATION_IDS[`${method} ${url}`];
  if (known !== undefined) return known;
  const words = url
    .replace(/^\/v1\//, '/')
    .split(/[/:_-]+/)
    .filter((word) => word !== '');
  return method.toLowerCase() + words.map((word) => word[0]?.toUpperCase() + word.slice(1)).join('');
}

const SUCCESS_DESCRIPTIONS: Record<string, string> = {
  200: 'Success.',
  201: 'Created.',
  202: 'Accepted: still in progress.',
};

interface RouteSchema {
  body?: unknown;
  params?: unknown;
  response?: Record<string, unknown>;
  [key: string]: unknown;
}

function withDescription(status: string, schema: unknown): unknown {
  if (typeof schema !== 'object' || schema === null) return schema;
  if (typeof (schema as { description?: unknown }).description === 'string') return schema;
  return { ...schema, description: SUCCESS_DESCRIPTIONS[status] ?? `HTTP ${status}.` };
}

/** The route schema as published: response descriptions filled in, the HTTP layer's errors added. */
export function publishedSchema(method: string, url: string, schema: RouteSchema): RouteSchema {
  const response: Record<string, unknown> = {};
  for (const [status, reply] of Object.entries(schema.response ?? {})) response[status] = withDescription(status, reply);
  const add = (status: number, reply: TSchema): void => {
    response[status] ??= reply;
  };
  add(408, errorReply('request_timeout: headers and body did not arrive within REQUEST_TIMEOUT_SECONDS; the connection is closed.'));
  add(431, errorReply('headers_too_large: the request line and headers exceed the server’s limit.'));
  if (schema.body !== undefined) {
    add(413, errorReply('body_too_large: the body is larger than this route accepts (1 MiB unless stated).'));
    add(415, errorReply('unsupported_media_type: send the body as application/json.'));
  }
  if (schema.params !== undefined) add(414, errorReply('uri_too_long: a path parameter is longer than any route accepts.'));
  return { ...schema, operationId: operationIdFor(method, url), response };
}
