/**
 * The one registry of error codes. Every error the REST API answers with is defined here, with the
 * status it travels under and the message a client sees; routes throw `sidecarError(code, …)` and the
 * error handler in `server/http/error-handler.ts` shapes the reply as
 * `{"error": {"code", "message", ...extra}}`.
 */
export const ERROR_DEFINITIONS = {
  validation_failed: { status: 400, message: 'The request does not match the schema.' },
  invalid_json: { status: 400, message: 'The body is not valid JSON.' },
  invalid_args: { status: 400, message: 'args must be a JSON array or object.' },
  args_too_long: { status: 400, message: 'The canonical JSON text of args is longer than 8000 bytes.' },
  invalid_cron: { status: 400, message: 'The cron expression is not valid.' },
  invalid_date: { status: 400, message: 'The date is neither unix seconds nor ISO 8601.' },
  invalid_settings: { status: 400, message: 'The settings are not valid.' },
  invalid_url: { status: 400, message: 'The URL is not valid percent-encoded UTF-8.' },
  bad_request: { status: 400, message: 'The request is not valid HTTP.' },
  unauthorized: { status: 401, message: 'A valid bearer token is required.' },
  not_found: { status: 404, message: 'Not found.' },
  route_not_found: { status: 404, message: 'No route matches this method and path.' },
  request_timeout: { status: 408, message: 'The request did not arrive in time; the connection was closed.' },
  not_pending: { status: 409, message: 'The action is not pending.' },
  not_failed: { status: 409, message: 'Only a failed action can be retried.' },
  callback_not_configured: { status: 409, message: 'This hook runs in WordPress and WP_CALLBACK_URL is not set; the action waits, pending, until it is.' },
  retry_blocked: { status: 409, message: 'A live action with the same hook, args and group exists; this unique action cannot be pending twice.' },
  lock_held: { status: 409, message: 'The lock is held by another owner.' },
  lock_lost: { status: 409, message: 'The lock is not held with this token (expired, released or taken).' },
  not_redrivable: { status: 409, message: 'This notification cannot be run again.' },
  body_too_large: { status: 413, message: 'The body is larger than this route accepts.' },
  uri_too_long: { status: 414, message: 'A path parameter is longer than any route accepts.' },
  unsupported_media_type: { status: 415, message: 'Send the body as application/json.' },
  rate_limited: { status: 429, message: 'Too many requests for this token; retry later.' },
  auth_throttled: { status: 429, message: 'Too many failed authentications from this address; retry later.' },
  headers_too_large: { status: 431, message: 'The request line and headers are larger than the server accepts.' },
  internal_error: { status: 500, message: 'Something went wrong inside the sidecar.' },
  not_ready: { status: 503, message: 'The sidecar is not ready.' },
  database_unavailable: { status: 503, message: 'The database is unavailable; retry later.' },
  source_unavailable: { status: 503, message: 'The WeCoza source table is not available.' },
  notifications_disabled: { status: 503, message: 'The notification pipeline is switched off (NOTIFICATIONS_ENABLED=false).' },
  too_many_connections: { status: 503, message: 'This client address holds too many open connections; close some and retry.' },
  role_not_serving: { status: 503, message: 'This process does not run actions (SIDECAR_ROLE=api).' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_DEFINITIONS;

/** Extra fields that travel beside code and message (for example `owner` on `lock_held`). */
export type ErrorExtra = Record<string, unknown>;

export class SidecarError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly extra: ErrorExtra;

  constructor(code: ErrorCode, message?: string, extra: ErrorExtra = {}, options?: { cause?: unknown }) {
    super(message ?? ERROR_DEFINITIONS[code].message, options);
    this.name = 'SidecarError';
    this.code = code;
    this.statusCode = ERROR_DEFINITIONS[code].status;
    this.extra = extra;
  }
}

/** Build a registered error; the message defaults to the registry's. */
export function sidecarError(code: ErrorCode, message?: string, extra?: ErrorExtra): SidecarError {
  return new SidecarError(code, message, extra);
}

export function isSidecarError(value: unknown): value is SidecarError {
  return value instanceof SidecarError;
}

/** Caught values are `unknown`; wrap non-errors so `cause` chains and messages stay usable. */
export function coerceError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === 'string' ? value : JSON.stringify(value) ?? String(value), { cause: value });
}
