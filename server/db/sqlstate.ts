/**
 * SQLSTATE codes the sidecar reacts to, in one table. Anything not listed is an internal error.
 * https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
export const SQLSTATE = {
  /** A concurrent insert won the race for a unique key. Callers that can, re-read and answer. */
  UNIQUE_VIOLATION: '23505',
  /** The relation does not exist: WeCoza's source table missing, or migrations not applied. */
  UNDEFINED_TABLE: '42P01',
  UNDEFINED_COLUMN: '42703',
  /** The server is shutting down or restarting: transient, the pool reconnects. */
  ADMIN_SHUTDOWN: '57P01',
  CRASH_SHUTDOWN: '57P02',
  CANNOT_CONNECT_NOW: '57P03',
  /** At start: the database in the URL does not exist (start-errors.ts names the variable and the fix). */
  INVALID_CATALOG_NAME: '3D000',
  /** At start: wrong password, or no pg_hba.conf entry / no such role. */
  INVALID_PASSWORD: '28P01',
  INVALID_AUTHORIZATION: '28000',
  /** permission denied for database/schema/table: the role lacks a GRANT (start-errors.ts names it). */
  INSUFFICIENT_PRIVILEGE: '42501',
} as const;

const CONNECTION_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

function readCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

export function sqlState(error: unknown): string | undefined {
  return readCode(error);
}

/** True when the database could not be reached or went away: the request may be retried later (503). */
export function isConnectionError(error: unknown): boolean {
  const code = readCode(error);
  if (code === undefined) {
    const message = error instanceof Error ? error.message : '';
    return /Connection terminated|connection timeout|Client has encountered a connection error|terminating connection/i.test(message);
  }
  return CONNECTION_ERRNO.has(code) || code.startsWith('08') || code === SQLSTATE.ADMIN_SHUTDOWN || code === SQLSTATE.CRASH_SHUTDOWN || code === SQLSTATE.CANNOT_CONNECT_NOW;
}

/**
 * Class 22, data exception: a value the column or cast cannot hold (out of range, bad text for a type,
 * NUL, an impossible date). Reached only when a schema let such a value through, so it is the
 * client's input and answers 400, never 500.
 */
export function isDataException(error: unknown): boolean {
  const code = readCode(error);
  return code !== undefined && /^22[0-9A-Z]{3}$/.test(code);
}
