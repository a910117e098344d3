import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { publishedSchema } from './openapi-operations.ts';
import { PACKAGE } from '../package-info.ts';

/** The document's version is the package's: one number to bump (CHANGELOG.md). */
export const API_VERSION = PACKAGE.version;
export const SERVICE_TITLE = 'WeCoza Sidecar API';

const DESCRIPTION = [
  "Action Scheduler's API over REST, atomic locks and the WeCoza notification pipeline.",
  'Every /v1 route needs `Authorization: Bearer <token>` (the Authorize button). The token is `SIDECAR_API_TOKEN` when it is set ' +
    '(required with PostgreSQL); on the embedded default it is generated on the first start, printed once, and kept in `DATA_DIR/api-token` ' +
    '(`./data/api-token`). Errors always have the shape `{"error": {"code": "...", "message": "..."}}`.',
  'Bodies are strict JSON: nothing is coerced and unknown keys are refused. Rate limits are per token (429 with Retry-After); failed authentications are limited per client address.',
  'No text may contain U+0000 (PostgreSQL cannot store it), lone surrogates and invalid UTF-8 are refused, never rewritten, and a JSON number beyond the double range (1e400) is refused. Ids are at most 2^53 − 1, so every JSON reader holds them exactly. Args come back exactly as they were sent: key order and number literals included.',
].join('\n\n');

interface OpenApiDocument {
  paths?: Record<string, Record<string, Record<string, unknown>>>;
  components?: { schemas?: Record<string, unknown>; [key: string]: unknown };
  [key: string]: unknown;
}

type JsonObject = Record<string, unknown>;

/**
 * A discriminator can select only named schemas: each titled `oneOf` branch under one moves to
 * `components.schemas` and is referenced, with the discriminator's mapping from its `const` value.
 */
function nameDiscriminatedBranches(node: unknown, schemas: Record<string, unknown>): void {
  if (Array.isArray(node)) {
    for (const item of node) nameDiscriminatedBranches(item, schemas);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const object = node as JsonObject;
  const discriminator = object.discriminator as { propertyName: string; mapping?: Record<string, string> } | undefined;
  if (discriminator !== undefined && Array.isArray(object.oneOf)) {
    object.oneOf = object.oneOf.map((branch: JsonObject) => {
      const title = branch.title;
      const value = (branch.properties as Record<string, { const?: unknown; enum?: unknown[] }> | undefined)?.[discriminator.propertyName];
      const tag = value?.const ?? value?.enum?.[0];
      if (typeof title !== 'string' || typeof tag !== 'string') return branch;
      schemas[title] = branch;
      const ref = `#/components/schemas/${title}`;
      discriminator.mapping = { ...discriminator.mapping, [tag]: ref };
      return { $ref: ref };
    });
  }
  for (const value of Object.values(object)) nameDiscriminatedBranches(value, schemas);
}

/** The last pass over the generated document: optional bodies, named discriminator branches. */
function finishDocument(document: OpenApiDocument): OpenApiDocument {
  for (const operations of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      // A route that takes no body at all as well as a JSON one (route config `bodyOptional`).
      if (operation['x-body-optional'] !== true) continue;
      delete operation['x-body-optional'];
      const body = operation.requestBody as { required?: boolean } | undefined;
      if (body !== undefined) body.required = false;
    }
  }
  const schemas: Record<string, unknown> = {};
  nameDiscriminatedBranches(document.paths, schemas);
  if (Object.keys(schemas).length > 0) document.components = { ...document.components, schemas: { ...document.components?.schemas, ...schemas } };
  return document;
}

/**
 * The OpenAPI document is generated from the route schemas (the single source), served as JSON and
 * YAML, and as an interactive page at /docs. `openapi.yaml` at the repository root is this document,
 * committed; a test fails when they drift.
 */
export async function registerOpenApi(app: FastifyInstance, options: { metricsPublic: boolean }): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: SERVICE_TITLE, version: API_VERSION, description: DESCRIPTION, license: { name: 'GPL-2.0-or-later', identifier: 'GPL-2.0-or-later' } },
      servers: [{ url: '/', description: 'The sidecar serving this document' }],
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
      tags: [
        { name: 'actions', description: 'The Action Scheduler functions' },
        { name: 'locks', description: 'Atomic TTL locks' },
        { name: 'notifications', description: 'The WeCoza notification pipeline' },
        { name: 'operations', description: 'Health, readiness, metrics' },
      ],
    },
    transform: ({ schema, url, route }) => {
      const needsToken = url.startsWith('/v1') || (url === '/metrics' && !options.metricsPublic);
      const method = Array.isArray(route.method) ? String(route.method[0]) : String(route.method);
      const published = publishedSchema(method, url, schema as Parameters<typeof publishedSchema>[2]);
      // Open routes say so explicitly (security: []), so no reader assumes a token is needed.
      const bodyOptional = (route.config as { bodyOptional?: boolean } | undefined)?.bodyOptional === true;
      const transformed = { ...published, security: needsToken ? [{ bearerAuth: [] }] : [], ...(bodyOptional ? { 'x-body-optional': true } : {}) };
      return { schema: transformed as unknown as typeof schema, url };
    },
    transformObject: (documentObject) => finishDocument((documentObject as { openapiObject: OpenApiDocument }).openapiObject),
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true, persistAuthorization: true },
    theme: { title: SERVICE_TITLE },
  });
  // A person who opens the service's address in a browser lands on the docs.
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/docs', 302));
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/openapi.yaml', { schema: { hide: true } }, async (_request, reply) => reply.type('application/yaml; charset=utf-8').send(app.swagger({ yaml: true })));
}
