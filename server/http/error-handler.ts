import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { isConnectionError } from '../db/sqlstate.ts';
import { ERROR_DEFINITIONS, isSidecarError, type ErrorCode } from '../errors.ts';

interface ValidationIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params?: Record<string, unknown>;
}

function issuePath(context: string | undefined, issue: ValidationIssue): string {
  const pointer = issue.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const missing = issue.keyword === 'required' ? String(issue.params?.missingProperty ?? '') : '';
  const extra = issue.keyword === 'additionalProperties' ? String(issue.params?.additionalProperty ?? '') : '';
  return [context, pointer, missing || extra].filter((part) => part !== undefined && part !== '').join('.');
}

function describe(issue: ValidationIssue, path: string): string {
  if (issue.keyword === 'additionalProperties') return `${path} is not a known key`;
  if (issue.keyword === 'required') return `${path} is required`;
  return `${path} ${issue.message ?? 'is not valid'}`;
}

/** Validation failures: one clear sentence, plus the list; args that are not array/object get their own code. */
function fromValidation(error: FastifyError): { code: ErrorCode; message: string; details: Array<{ path: string; message: string }> } {
  const issues = (error.validation ?? []) as ValidationIssue[];
  const details = issues.map((issue) => {
    const path = issuePath(error.validationContext, issue);
    return { path, message: describe(issue, path) };
  });
  const argsIssue = issues.find((issue) => /(^|\/)args$/.test(issue.instancePath) && ['type', 'anyOf'].includes(issue.keyword));
  if (argsIssue) {
    const path = issuePath(error.validationContext, argsIssue);
    return { code: 'invalid_args', message: `${path} must be a JSON array or object.`, details };
  }
  return { code: 'validation_failed', message: details[0]?.message ?? error.message, details };
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'validation_failed',
};

/**
 * The one place replies to errors are shaped: `{"error": {"code", "message", ...extra}}`. 4xx carry
 * their message; 5xx are logged whole and answered with the registry's generic text.
 */
export const errorHandlerPlugin = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      if (isSidecarError(error)) {
        if (error.statusCode >= 500) request.log.error({ err: error }, 'request failed');
        return reply.code(error.statusCode).send({ error: { code: error.code, message: error.message, ...error.extra } });
      }
      if (error.validation) {
        const { code, message, details } = fromValidation(error);
        return reply.code(400).send({ error: { code, message, details } });
      }
      const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
      if (mapped) {
        const definition = ERROR_DEFINITIONS[mapped];
        return reply.code(definition.status).send({ error: { code: mapped, message: definition.status === 413 ? definition.message : error.message } });
      }
      if (isConnectionError(error)) {
        request.log.warn({ err: error }, 'database unavailable');
        return reply.code(503).header('retry-after', '5').send({ error: { code: 'database_unavailable', message: ERROR_DEFINITIONS.database_unavailable.message } });
      }
      if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
        return reply.code(error.statusCode).send({ error: { code: 'validation_failed', message: error.message } });
      }
      request.log.error({ err: error, method: request.method, url: request.url }, 'request failed');
      return reply.code(500).send({ error: { code: 'internal_error', message: ERROR_DEFINITIONS.internal_error.message } });
    });

    app.setNotFoundHandler((request, reply) =>
      reply.code(404).send({ error: { code: 'route_not_found', message: `No route ${request.method} ${request.url.split('?')[0]}.` } }),
    );
  },
  { name: 'sidecar-error-handler' },
);
