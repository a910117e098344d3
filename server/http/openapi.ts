import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

export const API_VERSION = '1.0.0';

const DESCRIPTION = [
  "Action Scheduler's API over REST, atomic locks and the WeCoza notification pipeline.",
  'Every /v1 route needs `Authorization: Bearer <token>`. Errors always have the shape `{"error": {"code": "...", "message": "..."}}`.',
  'Bodies are strict JSON: nothing is coerced and unknown keys are refused. Rate limits are per token (429 with Retry-After).',
].join('\n\n');

/**
 * The OpenAPI document is generated from the route schemas (the single source), served as JSON and
 * YAML, and as an interactive page at /docs. `openapi.yaml` at the repository root is this document,
 * committed; a test fails when they drift.
 */
export async function registerOpenApi(app: FastifyInstance, options: { metricsPublic: boolean }): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'WeCoza Sidecar', version: API_VERSION, description: DESCRIPTION },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
      tags: [
        { name: 'actions', description: 'The Action Scheduler functions' },
        { name: 'locks', description: 'Atomic TTL locks' },
        { name: 'notifications', description: 'The WeCoza notification pipeline' },
        { name: 'operations', description: 'Health, readiness, metrics' },
      ],
    },
    transform: ({ schema, url }) => {
      const needsToken = url.startsWith('/v1') || (url === '/metrics' && !options.metricsPublic);
      const transformed = needsToken ? { ...schema, security: [{ bearerAuth: [] }] } : schema;
      return { schema: transformed as typeof schema, url };
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/openapi.yaml', { schema: { hide: true } }, async (_request, reply) => reply.type('application/yaml; charset=utf-8').send(app.swagger({ yaml: true })));
}
