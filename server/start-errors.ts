import { SQLSTATE } from './db/sqlstate.ts';

/**
 * Start-up failures an operator can fix, turned into one sentence that names the variable and the
 * fix (`DATABASE_URL: cannot connect to 127.0.0.1:1 (ECONNREFUSED) …`). Anything not recognised here
 * keeps its own message and stack.
 */
export class StartError extends Error {
  constructor(
    readonly variable: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${variable}: ${detail}`, options);
    this.name = 'StartError';
  }
}

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  errors?: unknown;
}

/** The error itself, or the first of an AggregateError (Node tries every address of "localhost"). */
function rootOf(error: unknown): ErrorLike {
  const value = (error ?? {}) as ErrorLike;
  if (typeof value.code !== 'string' && Array.isArray(value.errors) && value.errors.length > 0) return value.errors[0] as ErrorLike;
  return value;
}

export interface PostgresTarget {
  /** The variable the URL came from: DATABASE_URL or SOURCE_DATABASE_URL. */
  variable: string;
  url: string;
  /** The role the sidecar logged in as, when it got that far (`current_user`). */
  role?: string | undefined;
}

function describeTarget(url: string): { hostPort: string; database: string; user: string } {
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || decodeURIComponent(parsed.username) || 'postgres';
  return { hostPort: `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}`, database, user: decodeURIComponent(parsed.username) || '(the operating-system user)' };
}

const quoteIdent = (name: string): string => (/^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`);

/** The GRANT that lifts a "permission denied for <kind> <name>" error, as docs/production.md sets roles up. */
export function grantFor(message: string, role: string, schema: string): string {
  const grantee = quoteIdent(role);
  const match = /permission denied for (database|schema|table|relation|sequence) "?([^"\s]+)"?/.exec(message);
  const kind = match?.[1];
  const name = match?.[2] ?? '';
  if (kind === 'database') return `GRANT CREATE ON DATABASE ${quoteIdent(name)} TO ${grantee};`;
  if (kind === 'schema') return `GRANT USAGE ON SCHEMA ${quoteIdent(name)} TO ${grantee};`;
  if (kind === 'sequence') return `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${schema} TO ${grantee};`;
  return `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schema} TO ${grantee};`;
}

/**
 * A PostgreSQL connection or permission failure, explained; null for anything else. `schema` is the
 * sidecar's (for the GRANT a runtime role lacks).
 */
export function explainPostgresError(error: unknown, target: PostgresTarget, schema: string): StartError | null {
  const root = rootOf(error);
  const code = typeof root.code === 'string' ? root.code : '';
  const message = typeof root.message === 'string' ? root.message : String(error);
  const { hostPort, database, user } = describeTarget(target.url);
  const role = target.role ?? user;
  const fail = (detail: string): StartError => new StartError(target.variable, detail, { cause: error });
  switch (code) {
    case 'ECONNREFUSED':
      return fail(`cannot connect to ${hostPort} (ECONNREFUSED): no PostgreSQL listens there. Start PostgreSQL, or fix the host and port in ${target.variable}.`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return fail(`cannot resolve the host of ${hostPort} (${code}): fix the host name in ${target.variable}.`);
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return fail(`cannot reach ${hostPort} (${code}): check the host, the port and any firewall between here and PostgreSQL.`);
    case SQLSTATE.INVALID_CATALOG_NAME:
      return fail(`database "${database}" does not exist on ${hostPort}: create it (CREATE DATABASE ${quoteIdent(database)};) or fix the database name in ${target.variable}.`);
    case SQLSTATE.INVALID_PASSWORD:
    case SQLSTATE.INVALID_AUTHORIZATION:
      return fail(`PostgreSQL at ${hostPort} refused the login of role "${user}" (${message}): check the user and password in ${target.variable} and pg_hba.conf.`);
    case SQLSTATE.INSUFFICIENT_PRIVILEGE:
      return fail(
        `role "${role}" is missing a privilege (${message}). Grant it as the database owner: ${grantFor(message, role, schema)} ` +
          'Or run the migrations with a role that has it (npm run migrate); docs/production.md lists every GRANT.',
      );
    default:
      break;
  }
  if (/connection timeout|timeout expired/i.test(message)) {
    return fail(`no answer from ${hostPort} within the connection timeout: check the host, the port and any firewall between here and PostgreSQL.`);
  }
  return null;
}

/** A failure to listen on HOST:PORT, explained; null for anything else. */
export function explainListenError(error: unknown, host: string, port: number): StartError | null {
  const code = rootOf(error).code;
  const where = `${host}:${port}`;
  if (code === 'EADDRINUSE') return new StartError('PORT', `${where} is already in use (EADDRINUSE): stop the process listening there, or set PORT to a free port.`, { cause: error });
  if (code === 'EACCES') return new StartError('PORT', `no permission to listen on ${where} (EACCES): use a port above 1023 (put a reverse proxy in front for 80/443).`, { cause: error });
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return new StartError('HOST', `${host} is not an address of this machine (${String(code)}): set HOST to one of its addresses, 127.0.0.1, or 0.0.0.0 for all.`, { cause: error });
  return null;
}
