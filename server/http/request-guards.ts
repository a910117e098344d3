import type { FastifyInstance } from 'fastify';
import { sidecarError } from '../errors.ts';

/**
 * True when every `name=value` of a query string percent-decodes to UTF-8. The router checks the path
 * (FST_ERR_BAD_URL), but the query-string parser turns a bad sequence into U+FFFD or keeps it raw, so
 * `hook=%ff` and `hook=%ef%bf%bd` would both become the same hook.
 */
export function isWellEncodedQuery(query: string): boolean {
  for (const part of query.split('&')) {
    try {
      decodeURIComponent(part.replace(/\+/g, ' '));
    } catch {
      return false;
    }
  }
  return true;
}

/** Refuse, before anything else runs, a query string that is not percent-encoded UTF-8. */
export function registerQueryEncodingCheck(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    const start = request.url.indexOf('?');
    if (start !== -1 && !isWellEncodedQuery(request.url.slice(start + 1))) {
      throw sidecarError('invalid_url', 'The query string is not valid percent-encoded UTF-8.');
    }
  });
}
