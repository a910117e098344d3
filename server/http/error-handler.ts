import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { isConnectionError, isDataException } from '../db/sqlstate.ts';
import { ERROR_DEFINITIONS, isSidecarError, type ErrorCode, type ErrorExtra } from '../errors.ts';
import { NO_NUL_PATTERN, PATH_SEGMENT_PATTERN } from '../schema-types.ts';

/**
 * The one place error replies are shaped: `{"error": {"code", "message", ...extra}}`, for our own
 * errors, the validator's, Fastify's (bad URLs, over-long parameters, body limits, media types) and
 * the HTTP parser's (431, 408, malformed requests, written on the socket). 4xx carry their message;
 * 5xx are logged whole and answered with the registry's generic text; the 503s a client should expect
 * (the database or the source away, the pipeline off) are logged at warn without a stack.
 */

interface ValidationIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** `body` + `/actions/17/priority` → `body.actions[17].priority`. */
function issuePath(context: string | undefined, issue: ValidationIssue): string {
  const segments = issue.instancePath.split('/').slice(1).map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  const missing = issue.keyword === 'required' ? String(issue.params?.missingProperty ?? '') : '';
  const extra = issue.keyword === 'additionalProperties' ? String(issue.params?.additionalProperty ?? '') : '';
  if (missing || extra) segments.push(missing || extra);
  let path = context ?? '';
  for (const part of segments) path += /^\d+$/.test(part) ? `[${part}]` : path === '' ? part : `.${part}`;
  return path;
}

function describe(issue: ValidationIssue, path: string): string {
  if (issue.keyword === 'additionalProperties') return `${path} is not a known key`;
  if (issue.keyword === 'required') return `${path} is required`;
  if (issue.keyword === 'pattern' && issue.params?.pattern === NO_NUL_PATTERN) return `${path} contains a NUL character (U+0000), which text cannot hold`;
  if (issue.keyword === 'pattern' && issue.params?.pattern === PATH_SEGMENT_PATTERN) {
    return `${path} must not contain a NUL character (U+0000) nor be "." or ".." (URL clients drop such path segments)`;
  }
  return `${path} ${issue.message ?? 'is not valid'}`;
}


interface Shaped {
  status: number;
  code: ErrorCode;
  message: string;
  extra?: ErrorExtra;
}

/** Validation failures: one clear sentence, plus the list; args that are not array/object get their own code. */
function fromValidation(error: FastifyError & { batchIndex?: number }): Shaped {
  const issues = (error.validation ?? []) as ValidationIssue[];
  const details = issues.map((issue) => {
    const path = issuePath(error.validationContext, issue);
    return { path, message: describe(issue, path) };
  });
  const extra: ErrorExtra = { details, ...(error.batchIndex !== undefined ? { index: error.batchIndex } : {}) };
  const argsIssue = issues.find((issue) => /(^|\/)args$/.test(issue.instancePath) && ['type', 'anyOf'].includes(issue.keyword));
  if (argsIssue) {
    const path = issuePath(error.validationContext, argsIssue);
    return { status: 400, code: 'invalid_args', message: `${path} must be a JSON array or object.`, extra };
  }
  return { status: 400, code: 'validation_failed', message: details[0]?.message ?? error.message, extra };
}

/** Fastify's own errors, each answered under one of our codes (the registry's message unless kept). */
const FASTIFY_CODES: Record<string, { code: ErrorCode; keepMessage?: boolean }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'body_too_large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'unsupported_media_type' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'bad_request', keepMessage: true },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'invalid_json', keepMessage: true },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'invalid_json', keepMessage: true },
  FST_ERR_BAD_URL: { code: 'invalid_url' },
  FST_ERR_MAX_PARAM_LENGTH: { code: 'uri_too_long' },
  FST_ERR_ASYNC_CONSTRAINT: { code: 'bad_request' },
};

/** The 503s that say "retry later", not "something is broken here". */
const EXPECTED_UNAVAILABLE = new Set<ErrorCode>(['database_unavailable', 'source_unavailable', 'notifications_disabled', 'not_ready', 'role_not_serving']);

/** The request's path without its query string, which can carry args (never logged). */
export function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

function shape(error: FastifyError, request: FastifyRequest): Shaped {
  const where = { method: request.method, path: pathOf(request.url) };
  if (isSidecarError(error)) {
    if (EXPECTED_UNAVAILABLE.has(error.code)) request.log.warn({ ...where, code: error.code }, error.message);
    else if (error.statusCode >= 500) request.log.error({ ...where, err: error }, 'request failed');
    return { status: error.statusCode, code: error.code, message: error.message, extra: error.extra };
  }
  if (error.validation) return fromValidation(error);
  const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
  if (mapped) {
    const { status, message } = ERROR_DEFINITIONS[mapped.code];
    return { status, code: mapped.code, message: mapped.keepMessage ? error.message : message };
  }
  if (isConnectionError(error)) {
    request.log.warn({ ...where, code: 'database_unavailable', detail: error.message }, 'database unavailable');
    return { status: 503, code: 'database_unavailable', message: ERROR_DEFINITIONS.database_unavailable.message };
  }
  if (isDataException(error)) {
    // A value the schemas let through but a column cannot hold: the client's input, not our fault; the
    // warn line is how a schema that is missing a limit gets noticed.
    request.log.warn({ ...where, sqlstate: error.code, detail: error.message }, 'value refused by the database');
    return { status: 400, code: 'validation_failed', message: 'A value in the request is outside what the database can store.' };
  }
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return { status: error.statusCode, code: error.statusCode === 413 ? 'body_too_large' : error.statusCode === 415 ? 'unsupported_media_type' : 'validation_failed', message: error.message };
  }
  request.log.error({ ...where, err: error }, 'request failed');
  return { status: 500, code: 'internal_error', message: ERROR_DEFINITIONS.internal_error.message };
}

function send(reply: FastifyReply, shaped: Shaped): FastifyReply {
  if (shaped.status === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', '5');
  return reply.code(shaped.status).send({ error: { code: shaped.code, message: shaped.message, ...shaped.extra } });
}

/** Fastify's `frameworkErrors`: router errors (bad percent-encoding, over-long parameters) in our shape. */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void send(reply, shape(error, request));
}

/**
 * Fastify's `clientErrorHandler`: the HTTP parser refused the request before any route ran (431, a
 * malformed request) or the request did not arrive within REQUEST_TIMEOUT_SECONDS (408). The reply is
 * written straight onto the socket, in the one error shape, and the connection is closed.
 */
export function createClientErrorHandler(params: { onTimeout?: () => void } = {}): (this: FastifyInstance, error: Error & { code?: string }, socket: Socket) => void {
  return function clientErrorHandler(this: FastifyInstance, error, socket) {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    let code: ErrorCode = 'bad_request';
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      code = 'request_timeout';
      params.onTimeout?.();
      this.log.warn({ remote: socket.remoteAddress, code }, 'request not received in time; connection closed');
    } else if (error.code === 'HPE_HEADER_OVERFLOW') code = 'headers_too_large';
    const { status, message } = ERROR_DEFINITIONS[code];
    const body = JSON.stringify({ error: { code, message } });
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  };
}

export const errorHandlerPlugin = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((error: FastifyError, request, reply) => send(reply, shape(error, request)));
    app.setNotFoundHandler((request, reply) =>
      reply.code(404).send({ error: { code: 'route_not_found', message: `No route ${request.method} ${pathOf(request.url)}.` } }),
    );
  },
  { name: 'sidecar-error-handler' },
);
