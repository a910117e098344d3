import type { FastifyInstance, FastifySchema } from 'fastify';
import { Ajv, type Options } from 'ajv';
import addFormatsImport from 'ajv-formats';

// ajv-formats is CommonJS; under ESM its default export arrives wrapped.
const addFormats = ((addFormatsImport as unknown as { default?: typeof addFormatsImport }).default ?? addFormatsImport) as unknown as (ajv: Ajv) => Ajv;

function createAjv(options: Options): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: false, discriminator: true, ...options });
  addFormats(ajv);
  return ajv;
}

/**
 * Two validators: bodies are never coerced and keep every key (unknown keys are refused by the schemas'
 * additionalProperties: false, not silently stripped); query strings and path params are text by
 * nature, so they are coerced to the schema's types.
 */
export function registerValidators(app: FastifyInstance): void {
  const strict = createAjv({ coerceTypes: false, removeAdditional: false, useDefaults: false });
  const coercing = createAjv({ coerceTypes: true, removeAdditional: false, useDefaults: true });
  app.setValidatorCompiler<FastifySchema>(({ schema, httpPart }) => {
    const ajv = httpPart === 'querystring' || httpPart === 'params' ? coercing : strict;
    return ajv.compile(schema as object) as unknown as (data: unknown) => boolean;
  });
}
