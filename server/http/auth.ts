import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { sidecarError } from '../errors.ts';
import type { AuthThrottle } from './auth-throttle.ts';
import { pathOf } from './error-handler.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** A short digest of the bearer token that authenticated this request: the rate-limit key. */
    tokenId: string | null;
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Constant-time comparison: both sides are hashed first, so neither length nor content leaks by timing. */
export function createTokenCheck(token: string): (candidate: string | undefined) => boolean {
  const expected = digest(token);
  return (candidate) => candidate !== undefined && timingSafeEqual(digest(candidate), expected);
}

export function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

export interface AuthOptions {
  token: string;
  /** Shared by every authenticated context, so failures count per address across all of them. */
  throttle?: AuthThrottle;
}

/**
 * Bearer-token authentication for every route of the context it is registered in (it lifts its hook
 * to that context on purpose; open routes live in a sibling context).
 */
export const authPlugin = fp<AuthOptions>(
  async (app: FastifyInstance, options) => {
    const { token } = options;
    const check = createTokenCheck(token);
    const { throttle } = options;
    const tokenId = digest(token).toString('hex').slice(0, 16);
    if (!app.hasRequestDecorator('tokenId')) app.decorateRequest('tokenId', null);
    app.addHook('onRequest', async (request, reply) => {
      if (!check(bearerOf(request))) {
        // Logged without the token: a wrong one may be a real one with a typo.
        request.log.warn({ remote: request.ip, method: request.method, path: pathOf(request.url) }, 'authentication failed');
        const waitSeconds = throttle?.recordFailure(request.ip) ?? 0;
        if (waitSeconds > 0) {
          reply.header('retry-after', String(waitSeconds));
          throw sidecarError('auth_throttled', `Too many failed authentications from this address; retry after ${waitSeconds} s.`, { retry_after: waitSeconds });
        }
        reply.header('www-authenticate', 'Bearer realm="wecoza-sidecar"');
        throw sidecarError('unauthorized');
      }
      request.tokenId = tokenId;
    });
  },
  { name: 'sidecar-auth' },
);
