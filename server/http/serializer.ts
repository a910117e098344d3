import { SerializerSelector, type SerializerFactory } from '@fastify/fast-json-stringify-compiler';
import { serializeWithRawJson } from '../raw-json.ts';

/**
 * Fastify's own response serializer (fast-json-stringify from each route's response schema), wrapped
 * so a `RawJson` value is written as its stored text (see server/raw-json.ts). Passed to Fastify as
 * `schemaController.compilersFactory.buildSerializer`.
 */
export const buildRawJsonSerializer: SerializerFactory = (externalSchemas, serializerOptions) => {
  const compile = SerializerSelector()(externalSchemas, serializerOptions);
  return (route) => {
    const serialize = compile(route);
    return (data) => serializeWithRawJson(serialize, data);
  };
};
