import type { FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { sidecarError } from '../errors.ts';

export interface RateLimitOptions {
  max: number;
  windowSeconds: number;
}

/**
 * Per-token rate limit for the context it is registered in. Keyed by token, never by IP: every
 * request from WordPress comes from one address. Runs after authentication (preHandler), so a request
 * with a wrong token is refused without spending anyone's budget.
 */
export async function registerRateLimit(app: FastifyInstance, options: RateLimitOptions): Promise<void> {
  if (options.max <= 0) return;
  await app.register(rateLimit, {
    global: true,
    hook: 'preHandler',
    max: options.max,
    timeWindow: options.windowSeconds * 1000,
    keyGenerator: (request) => request.tokenId ?? 'anonymous',
    errorResponseBuilder: (_request, context) =>
      sidecarError('rate_limited', `More than ${context.max} requests in ${options.windowSeconds} s for this token; retry after ${Math.ceil(context.ttl / 1000)} s.`, {
        retry_after: Math.ceil(context.ttl / 1000),
      }),
  });
}
