import { Type, type TString } from 'typebox';

/**
 * Schema pieces every feature's request schemas share, so the published OpenAPI carries the limits
 * the database really has (an outside client generates its requests from it).
 */

/**
 * PostgreSQL text cannot hold U+0000, so no request string may contain it. Kept equal to the pattern
 * the error handler recognises to word its message.
 */
export const NO_NUL_PATTERN = '^[^\\u0000]*$';

/** A request string: any text but NUL. `pattern` replaces the NUL rule where it already excludes NUL. */
export function Text(options: { minLength?: number; maxLength?: number; description?: string; format?: string; pattern?: string; examples?: string[] } = {}): TString {
  return Type.String({ pattern: NO_NUL_PATTERN, ...options });
}

/**
 * A text that travels as one URL path segment (a lock key, a hook): NUL-free, and neither `.` nor `..`,
 * which clients resolve as dot segments (RFC 3986 §5.2.4) before the request leaves, so no route could
 * ever receive them. Written without look-ahead so schema-driven generators can produce matching text.
 */
export const PATH_SEGMENT_PATTERN = '^(?:[^.\\u0000]|\\.[^.\\u0000]|\\.\\.[^\\u0000])[^\\u0000]*$';

/** A path parameter's text: see PATH_SEGMENT_PATTERN. */
export function PathText(options: { minLength?: number; maxLength?: number; description?: string } = {}): TString {
  return Text({ ...options, pattern: PATH_SEGMENT_PATTERN });
}

/** The last second of year 9999: dates stay within the four-digit years ISO 8601 writes (and JS and PostgreSQL hold). */
export const MAX_UNIX_SECONDS = 253_402_300_799;

/** `integer` columns and casts (offsets, counts). */
export const INT4_MAX = 2_147_483_647;

/**
 * The largest id the API takes or gives: 2^53 − 1. Every JSON reader in JavaScript rounds integers
 * above it (9007199254740993 reads as 9007199254740992), so a larger id is refused with 400, never
 * rounded into another row's id.
 */
export const MAX_ID = Number.MAX_SAFE_INTEGER;
