import type { FastifyInstance } from 'fastify';
import { JsonSyntaxError, parseJsonBody } from '../actions/args-canonical.ts';
import { sidecarError } from '../errors.ts';

/**
 * JSON bodies go through our own parser: it refuses duplicate keys and `__proto__`, and remembers the
 * canonical text of every array and object, which is how `args` keeps its exact numbers, key order and
 * string forms (see actions/args-canonical.ts). An empty body is no body, so routes without a body
 * schema accept a bare `Content-Type: application/json`.
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, parseJsonBody(text));
    } catch (error) {
      const detail = error instanceof JsonSyntaxError ? error.message : 'unreadable';
      done(sidecarError('invalid_json', `The body is not valid JSON: ${detail}.`), undefined);
    }
  });
}
