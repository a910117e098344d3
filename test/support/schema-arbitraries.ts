import fc from 'fast-check';

/**
 * fast-check arbitraries for the JSON Schema subset the route schemas use, read from the served
 * OpenAPI document (so what is tested is what clients see). Hand-written because no maintained
 * library turns JSON Schema into fast-check 4 arbitraries: json-schema-fast-check is archived, built
 * for fast-check 2, and knows neither propertyNames nor discriminated oneOf.
 */
export type Schema = Record<string, any>;

export interface SchemaContext {
  /** `#/components/schemas/...` references resolve here. */
  components: Record<string, Schema>;
}

const NO_NUL_PATTERN = '^[^\\u0000]*$';
const MAX_GENERATED_ITEMS = 4;

export function resolve(schema: Schema, context: SchemaContext): Schema {
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = context.components[name];
    if (target === undefined) throw new Error(`unresolved ${schema.$ref}`);
    return resolve(target, context);
  }
  return schema;
}

/** Code points, as JSON Schema's minLength/maxLength count them. */
function lengthOf(text: string): number {
  return [...text].length;
}

function stringArbitrary(schema: Schema): fc.Arbitrary<string> {
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as string[]));
  const min = schema.minLength ?? 0;
  const max = Math.min(schema.maxLength ?? 40, 60);
  const fits = (text: string): boolean => lengthOf(text) >= min && lengthOf(text) <= (schema.maxLength ?? Number.POSITIVE_INFINITY);
  switch (schema.format) {
    case 'email':
      return fc.emailAddress().filter((text) => fits(text) && !text.includes('\u0000'));
    case 'date-time':
      return fc.date({ min: new Date(0), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }).map((date) => date.toISOString());
    case 'uuid':
      return fc.uuid();
    default:
      break;
  }
  if (schema.pattern !== undefined && schema.pattern !== NO_NUL_PATTERN) {
    return fc.stringMatching(new RegExp(schema.pattern as string)).filter(fits);
  }
  const text = fc.string({ unit: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...'abcdefghij_-.:/ ') }, { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) }), minLength: min, maxLength: Math.max(min, max) });
  return text.filter((candidate) => fits(candidate) && !candidate.includes('\u0000'));
}

function integerArbitrary(schema: Schema): fc.Arbitrary<number> {
  const min = schema.minimum ?? -1_000_000;
  const max = schema.maximum ?? 1_000_000;
  const low = Math.max(min, Number.MIN_SAFE_INTEGER);
  const high = Math.min(max, Number.MAX_SAFE_INTEGER);
  // Edges matter most (0, 1, the limits); the middle is sampled too.
  return fc.oneof(fc.constantFrom(low, high, Math.min(high, Math.max(low, 0)), Math.min(high, Math.max(low, 1))), fc.integer({ min: Math.max(low, -(2 ** 31)), max: Math.min(high, 2 ** 31 - 1) }));
}

/** JSON values for `{}` (args members): keys and strings NUL-free, numbers finite. */
const jsonMember: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string({ maxLength: 8 }).filter((text) => !text.includes('\u0000')),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 6 }).filter((key) => !key.includes('\u0000') && key !== '__proto__'), tie('value'), { maxKeys: 3 }),
  ),
})).value;

function objectArbitrary(schema: Schema, context: SchemaContext): fc.Arbitrary<Record<string, unknown>> {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const required = new Set<string>(schema.required ?? []);
  const known: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, property] of Object.entries(properties)) known[name] = arbitraryFor(property, context);
  const base = fc.record(known, { requiredKeys: [...required].filter((key) => key in known) });
  const extra = schema.additionalProperties;
  if (typeof extra !== 'object' || extra === null) return base as fc.Arbitrary<Record<string, unknown>>;
  const keys = schema.propertyNames ? (arbitraryFor(schema.propertyNames, context) as fc.Arbitrary<string>) : fc.string({ minLength: 1, maxLength: 8 });
  const more = fc.dictionary(keys.filter((key) => key !== '__proto__'), arbitraryFor(extra, context), { maxKeys: Math.min(schema.maxProperties ?? MAX_GENERATED_ITEMS, MAX_GENERATED_ITEMS) });
  return fc.tuple(base, more).map(([fixed, added]) => ({ ...added, ...fixed }));
}

/** An arbitrary that generates only values the schema accepts. */
export function arbitraryFor(input: Schema, context: SchemaContext): fc.Arbitrary<unknown> {
  const schema = resolve(input, context);
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  const branches = (schema.oneOf ?? schema.anyOf) as Schema[] | undefined;
  if (branches !== undefined) return fc.oneof(...branches.map((branch) => arbitraryFor(branch, context)));
  const type = Array.isArray(schema.type) ? schema.type : schema.type === undefined ? [] : [schema.type];
  if (type.length > 1) return fc.oneof(...type.map((one: string) => arbitraryFor({ ...schema, type: one }, context)));
  switch (type[0]) {
    case 'string':
      return stringArbitrary(schema);
    case 'integer':
      return integerArbitrary(schema);
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(arbitraryFor(schema.items ?? {}, context), { minLength: schema.minItems ?? 0, maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? MAX_GENERATED_ITEMS, MAX_GENERATED_ITEMS)) });
    case 'object':
      return objectArbitrary(schema, context);
    default:
      return jsonMember;
  }
}
