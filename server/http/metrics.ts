import type { FastifyPluginAsync } from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { Type } from 'typebox';
import { authPlugin } from './auth.ts';
import type { AuthThrottle } from './auth-throttle.ts';
import { errorReply } from '../error-schema.ts';

/**
 * The Prometheus registry of the process. Every feature adds its own metrics to this one registry
 * (the runner's in server/runner/metrics.ts; the notification pipeline its e-mails and AI tokens), so
 * /metrics answers with all of them. A registry per app, not prom-client's global one: tests build many
 * apps in one process and each must start from zero.
 */
export function createMetricsRegistry(options: { processMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  // Process metrics (RSS, CPU, event-loop lag) are read at scrape time; worth it in a real process,
  // noise in tests.
  if (options.processMetrics === true) collectDefaultMetrics({ register: registry });
  return registry;
}

export interface MetricsRouteOptions {
  registry: Registry;
  token: string;
  /** METRICS_PUBLIC=true: no token needed (a scraper on a private network). */
  public: boolean;
  throttle?: AuthThrottle;
}

/** GET /metrics in the Prometheus text format; the bearer token is required unless METRICS_PUBLIC. */
export const metricsRoutes: FastifyPluginAsync<MetricsRouteOptions> = async (app, options) => {
  if (!options.public) await app.register(authPlugin, { token: options.token, ...(options.throttle ? { throttle: options.throttle } : {}) });
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics: runs, failures, retries, snoozes, durations, claim latency, queue depth by hook',
        description: 'Queue-depth gauges come from a bounded query run at most every 10 s, never a full scan per scrape.',
        response: {
          200: { description: 'Prometheus text exposition format 0.0.4.', content: { 'text/plain': { schema: Type.String() } } },
          401: errorReply('Missing or wrong bearer token (unless METRICS_PUBLIC=true).'),
        },
      },
    },
    async (_request, reply) => reply.type(options.registry.contentType).send(await options.registry.metrics()),
  );
};
