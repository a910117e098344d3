import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsImport from 'ajv-formats';
import fc from 'fast-check';
import { buildTestApp, TEST_TOKEN, type TestApp } from '../../support/app.ts';
import { describeEachDatabase, rowCounts, type DatabaseContext } from '../../support/databases.ts';
import { createTestSource } from '../../support/notifications.ts';
import { arbitraryFor, resolve, type Schema, type SchemaContext } from '../../support/schema-arbitraries.ts';

/**
 * Requests generated from the served OpenAPI document, as an outside client would make them. Valid
 * ones never get a 5xx and always get a reply that validates against the documented response schema
 * for its status; invalid ones (one rule broken) get a 4xx in the error shape and write nothing.
 */

// ajv-formats is CommonJS; under ESM its default export arrives wrapped.
const addFormats = ((addFormatsImport as unknown as { default?: typeof addFormatsImport }).default ?? addFormatsImport) as unknown as (ajv: Ajv) => Ajv;

interface Operation {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  pathParams: Array<{ name: string; schema: Schema }>;
  queryParams: Array<{ name: string; schema: Schema; required: boolean }>;
  body: { schema: Schema; required: boolean } | null;
  responses: Record<string, Schema | null>;
}

interface GeneratedRequest {
  /** Not enumerable: a counterexample prints as its method, URL and payload. */
  operation: Operation;
  url: string;
  payload?: string;
}

function operationsOf(document: any): Operation[] {
  const found: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths as Record<string, Record<string, any>>)) {
    for (const [method, operation] of Object.entries(methods)) {
      const parameters = (operation.parameters ?? []) as Array<{ in: string; name: string; schema: Schema; required?: boolean }>;
      const json = operation.requestBody?.content?.['application/json'];
      const responses: Record<string, Schema | null> = {};
      for (const [status, response] of Object.entries(operation.responses as Record<string, any>)) responses[status] = response.content?.['application/json']?.schema ?? null;
      found.push({
        method: method.toUpperCase() as Operation['method'],
        path,
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => ({ name: p.name, schema: p.schema })),
        queryParams: parameters.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema, required: p.required === true })),
        body: json ? { schema: json.schema, required: operation.requestBody.required !== false } : null,
        responses,
      });
    }
  }
  return found;
}

function withOperation(operation: Operation, request: Omit<GeneratedRequest, 'operation'> & { method: string }): GeneratedRequest {
  return Object.defineProperty(request, 'operation', { value: operation, enumerable: false }) as unknown as GeneratedRequest;
}

function validRequest(operation: Operation, context: SchemaContext): fc.Arbitrary<GeneratedRequest> {
  const params = fc.tuple(...operation.pathParams.map((param) => arbitraryFor(param.schema, context)));
  const query = fc.tuple(...operation.queryParams.map((param) => (param.required ? arbitraryFor(param.schema, context) : fc.option(arbitraryFor(param.schema, context), { nil: undefined }))));
  const body = operation.body === null ? fc.constant(undefined) : operation.body.required ? arbitraryFor(operation.body.schema, context) : fc.option(arbitraryFor(operation.body.schema, context), { nil: undefined });
  return fc.tuple(params, query, body).map(([paramValues, queryValues, bodyValue]) => {
    let path = operation.path;
    operation.pathParams.forEach((param, index) => (path = path.replace(`{${param.name}}`, encodeURIComponent(String(paramValues[index])))));
    const search = new URLSearchParams();
    operation.queryParams.forEach((param, index) => {
      const value = queryValues[index];
      if (value !== undefined) search.set(param.name, String(value));
    });
    const text = search.toString();
    return withOperation(operation, { method: operation.method, url: text === '' ? path : `${path}?${text}`, ...(bodyValue !== undefined ? { payload: JSON.stringify(bodyValue) } : {}) });
  });
}

/** One rule broken in an otherwise valid request. */
function invalidRequest(operation: Operation, context: SchemaContext): fc.Arbitrary<GeneratedRequest> | null {
  const breakers: Array<fc.Arbitrary<(request: GeneratedRequest) => GeneratedRequest | null>> = [];
  const body = operation.body === null ? null : resolve(operation.body.schema, context);
  if (body !== null) {
    breakers.push(fc.constant((request) => ({ ...request, payload: '{"unterminated": ' })));
    breakers.push(fc.constantFrom('[]', '"text"', '42', 'null').map((payload) => (request) => ({ ...request, payload })));
    if (body.additionalProperties === false) {
      breakers.push(fc.constant((request) => ({ ...request, payload: JSON.stringify({ ...JSON.parse(request.payload ?? '{}'), no_such_key: 1 }) })));
    }
    const strings = Object.entries((body.properties ?? {}) as Record<string, Schema>).filter(([, schema]) => resolve(schema, context).type === 'string');
    if (strings.length > 0) {
      breakers.push(fc.constantFrom(...strings.map(([name]) => name)).map((name) => (request) => ({ ...request, payload: JSON.stringify({ ...JSON.parse(request.payload ?? '{}'), [name]: 'nul\u0000here' }) })));
    }
    const integers = Object.entries((body.properties ?? {}) as Record<string, Schema>).filter(([, schema]) => resolve(schema, context).type === 'integer');
    if (integers.length > 0) {
      breakers.push(
        fc.tuple(fc.constantFrom(...integers.map(([name]) => name)), fc.constantFrom('1e400', '1e20', '-1', '"7"', '0.5')).map(([name, literal]) => (request) => {
          const schema = resolve(((body.properties as Record<string, Schema>)[name]) as Schema, context);
          if (literal === '-1' && (schema.minimum ?? -Infinity) <= -1) return null;
          const others = JSON.stringify({ ...JSON.parse(request.payload ?? '{}'), [name]: 0 });
          return { ...request, payload: others.replace(`"${name}":0`, `"${name}":${literal}`) };
        }),
      );
    }
  }
  for (const param of operation.pathParams) {
    breakers.push(
      fc.constantFrom('%00', '%zz', '9223372036854775808', `${'x'.repeat(1200)}`).map((bad) => (request) => {
        const schema = resolve(param.schema, context);
        if (schema.type === 'string' && /^\d+$/.test(bad)) return null; // digits are a valid string key
        const segments = operation.path.split('/');
        const at = segments.indexOf(`{${param.name}}`);
        const parts = request.url.split('?')[0]?.split('/') ?? [];
        parts[at] = bad;
        return { ...request, url: parts.join('/') + (request.url.includes('?') ? `?${request.url.split('?')[1]}` : '') };
      }),
    );
  }
  for (const param of operation.queryParams) {
    const schema = resolve(param.schema, context);
    const bad = schema.type === 'integer' ? `${(schema.maximum ?? 2 ** 53) * 10}` : schema.type === 'string' ? 'a%00b' : null;
    if (bad !== null) breakers.push(fc.constant((request) => ({ ...request, url: `${request.url}${request.url.includes('?') ? '&' : '?'}${param.name}=${bad}` })));
  }
  if (breakers.length === 0) return null;
  return fc
    .tuple(validRequest(operation, context), fc.oneof(...breakers))
    .map(([request, breaker]) => {
      const broken = breaker(request);
      return broken === null ? null : withOperation(operation, { ...broken, method: operation.method });
    })
    .filter((request): request is GeneratedRequest => request !== null);
}

async function send(t: TestApp, request: GeneratedRequest) {
  return t.app.inject({
    method: request.operation.method,
    url: request.url,
    headers: { authorization: `Bearer ${TEST_TOKEN}`, ...(request.payload !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(request.payload !== undefined ? { payload: request.payload } : {}),
  });
}

async function setUp(ctx: DatabaseContext): Promise<{ t: TestApp; operations: Operation[]; context: SchemaContext; validatorFor(schema: Schema): ValidateFunction }> {
  const sourceTable = await createTestSource(ctx.db, ctx.schemaName);
  const t = await buildTestApp(ctx.db, { sourceTable, notifyProcessIntervalSeconds: 0 }, { runnerTimings: { runNowWaitMs: 100 } });
  const document = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
  const context: SchemaContext = { components: document.components?.schemas ?? {} };
  const ajv = addFormats(new Ajv({ strict: false, allErrors: false }));
  const compiled = new Map<Schema, ValidateFunction>();
  return {
    t,
    operations: operationsOf(document).filter((operation) => operation.path !== '/metrics'),
    context,
    validatorFor(schema) {
      let validate = compiled.get(schema);
      if (validate === undefined) {
        validate = ajv.compile({ ...schema, components: { schemas: context.components } });
        compiled.set(schema, validate);
      }
      return validate;
    },
  };
}

const RUNS = Number(process.env.PROPERTY_RUNS ?? 600);

describeEachDatabase('requests generated from the served OpenAPI', import.meta.url, (ctx) => {
  it('never answer a valid request with a 5xx, and always within the documented response schema', { timeout: 300_000 }, async () => {
    const { t, operations, context, validatorFor } = await setUp(ctx);
    try {
      const requests = fc.oneof(...operations.map((operation) => validRequest(operation, context)));
      await fc.assert(
        fc.asyncProperty(requests, async (request) => {
          const response = await send(t, request);
          const where = `${request.operation.method} ${request.url} ${request.payload ?? ''} → ${response.statusCode} ${response.body.slice(0, 300)}`;
          assert.ok(response.statusCode < 500, where);
          assert.ok(String(response.statusCode) in request.operation.responses, `undocumented status: ${where}`);
          const schema = request.operation.responses[String(response.statusCode)];
          if (schema !== null && schema !== undefined) {
            const validate = validatorFor(schema);
            assert.ok(validate(JSON.parse(response.body)), `${where}\n${JSON.stringify(validate.errors)}`);
          }
        }),
        { numRuns: RUNS },
      );
    } finally {
      await t.close();
    }
  });

  it('answer an invalid request with a 4xx in the error shape and write nothing', { timeout: 300_000 }, async () => {
    const { t, operations, context } = await setUp(ctx);
    try {
      const breakable = operations.map((operation) => invalidRequest(operation, context)).filter((arbitrary) => arbitrary !== null);
      await fc.assert(
        fc.asyncProperty(fc.oneof(...breakable), async (request) => {
          const before = await rowCounts(ctx);
          const response = await send(t, request);
          const where = `${request.operation.method} ${request.url.slice(0, 200)} ${request.payload?.slice(0, 200) ?? ''} → ${response.statusCode} ${response.body.slice(0, 300)}`;
          assert.ok(response.statusCode >= 400 && response.statusCode < 500, where);
          const body = JSON.parse(response.body);
          assert.deepEqual(Object.keys(body), ['error'], where);
          assert.equal(typeof body.error.code, 'string', where);
          assert.equal(typeof body.error.message, 'string', where);
          assert.deepEqual(await rowCounts(ctx), before, where);
        }),
        { numRuns: Math.ceil(RUNS / 2) },
      );
    } finally {
      await t.close();
    }
  });
});
