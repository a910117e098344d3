import type { FastifyInstance } from 'fastify';
import { CanonicalTexts, JsonSyntaxError, JsonValueError, parseJsonBody } from '../actions/args-canonical.ts';
import { sidecarError } from '../errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The canonical texts of the JSON body's arrays and objects, recorded by the body parser; null when
     * the request had no JSON body. Routes hand it to normalize.ts to read `args` exactly as sent.
     */
    canonicalTexts: CanonicalTexts | null;
  }
}

/** Invalid UTF-8 is refused, not rewritten to U+FFFD (two different keys must not become one). */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(body: Buffer): string {
  try {
    return UTF8.decode(body);
  } catch {
    throw sidecarError('invalid_json', 'The body is not valid UTF-8.');
  }
}

/**
 * JSON bodies go through our own parser: it refuses duplicate keys and `__proto__`, NUL, lone
 * surrogates and numbers beyond the double range, and records the canonical text of every array and
 * object on the request, which is how `args` keeps its exact numbers, key order and string forms (see
 * actions/args-canonical.ts). An empty body is no body, so routes without a body schema accept a bare
 * `Content-Type: application/json`.
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  app.decorateRequest('canonicalTexts', null);
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    try {
      const text = decodeUtf8(body as Buffer);
      if (text.trim() === '') {
        done(null, undefined);
        return;
      }
      const parsed = parseJsonBody(text);
      request.canonicalTexts = parsed.texts;
      done(null, parsed.value);
    } catch (error) {
      done(toBodyError(error), undefined);
    }
  });
}

function toBodyError(error: unknown): Error {
  if (error instanceof JsonValueError) {
    const where = error.where === '' ? 'body' : `body.${error.where}`;
    return sidecarError('validation_failed', `${where} ${error.reason}.`, { path: where });
  }
  if (error instanceof JsonSyntaxError) return sidecarError('invalid_json', `The body is not valid JSON: ${error.message}.`);
  if (error instanceof Error && 'code' in error) return error;
  return sidecarError('invalid_json', 'The body is not valid JSON: unreadable.');
}
