import { Type, type TSchema } from 'typebox';

/** The error reply every route documents (codes: server/errors.ts). */
export function errorReply(description: string): TSchema {
  return Type.Object(
    {
      error: Type.Object(
        { code: Type.String({ description: 'A lower_snake code from the registry.' }), message: Type.String() },
        { additionalProperties: true },
      ),
    },
    { description },
  );
}

/** The error replies shared by every authenticated route. */
export function commonErrors(): Record<number, TSchema> {
  return {
    400: errorReply('Validation failed; nothing was written.'),
    401: errorReply('Missing or wrong bearer token.'),
    429: errorReply('Rate limited; see Retry-After.'),
    503: errorReply('The database is unavailable; retry later.'),
  };
}
