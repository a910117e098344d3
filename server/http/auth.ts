import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { sidecarError } from '../errors.ts';

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
}

/**
 * Bearer-token authentication for every route of the context it is registered in (it lifts its hook
 * to that context on purpose; open routes live in a sibling context).
 */
export const authPlugin = fp<AuthOptions>(
  async (app: FastifyInstance, { token }) => {
    const check = createTokenCheck(token);
    const tokenId = digest(token).toString('hex').slice(0, 16);
    if (!app.hasRequestDecorator('tokenId')) app.decorateRequest('tokenId', null);
    app.addHook('onRequest', async (request, reply) => {
      if (!check(bearerOf(request))) {
        reply.header('www-authenticate', 'Bearer realm="wecoza-sidecar"');
        throw sidecarError('unauthorized');
      }
      request.tokenId = tokenId;
    });
  },
  { name: 'sidecar-auth' },
);
