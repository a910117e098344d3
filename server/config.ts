import os from 'node:os';
import path from 'node:path';
import { Type, type Static, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { ACTION_ID_FLOOR_DEFAULT, ACTION_ID_MAX } from './db/action-id-range.ts';

/**
 * Every environment variable the sidecar reads, typed, defaulted and validated in one place.
 * Nothing else in the code base reads `process.env`. A bad value stops the start with a message that
 * names the variable (`ConfigError`).
 */

export const SIDECAR_ROLES = ['all', 'api', 'worker'] as const;
export type SidecarRole = (typeof SIDECAR_ROLES)[number];

const BackoffSchema = Type.Object(
  {
    base_seconds: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400 })),
    max_seconds: Type.Optional(Type.Number({ minimum: 0, maximum: 604_800 })),
    jitter: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  },
  { additionalProperties: false },
);

const RetryPolicySchema = Type.Object(
  {
    max_attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    backoff: Type.Optional(BackoffSchema),
    timeout_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
  },
  { additionalProperties: false },
);
export type RetryPolicyInput = Static<typeof RetryPolicySchema>;

const RetryPoliciesSchema = Type.Record(Type.String({ minLength: 1, maxLength: 191 }), RetryPolicySchema);
const HookConcurrencySchema = Type.Record(Type.String({ minLength: 1, maxLength: 191 }), Type.Integer({ minimum: 1, maximum: 1000 }));
/** PostgreSQL settings for the embedded database, e.g. {"shared_buffers": "64MB"}; names are GUCs, values as in postgresql.conf. */
const EmbeddedPgSettingsSchema = Type.Record(Type.String(), Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }));
const HookRetentionSchema = Type.Record(Type.String({ minLength: 1, maxLength: 191 }), Type.Number({ minimum: 0, maximum: 3650 }));

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** Over the embedded defaults (server/db/pglite-adapter.ts EMBEDDED_SETTINGS). */
  embeddedPgSettings: Record<string, string>;
  databaseUrl: string | null;
  databaseDirectUrl: string | null;
  schema: string;
  pollOnly: boolean;
  databasePoolSize: number;
  sourceDatabaseUrl: string | null;
  sourceTable: string;
  role: SidecarRole;
  apiToken: string | null;
  metricsPublic: boolean;
  rateLimitMax: number;
  rateLimitWindowSeconds: number;
  /** Failed authentications per client address per minute before further failures answer 429; 0 = off. */
  authFailuresPerMinute: number;
  /** The whole request (headers and body) must arrive within this; slower clients are cut (408). */
  requestTimeoutSeconds: number;
  /** Open connections one client address may hold; more are closed at once; 0 = no bound. */
  maxConnectionsPerAddress: number;
  runnerBatchSize: number;
  runnerConcurrency: number;
  /** RUNNER_PAUSED: a runner starting with it writes an indefinite runner pause (POST /v1/runner/resume ends it). */
  runnerPaused: boolean;
  hookConcurrency: Record<string, number>;
  retryPolicies: Record<string, RetryPolicyInput>;
  leaseSeconds: number;
  actionTimeoutSeconds: number;
  shutdownGraceSeconds: number;
  /** The first id the sidecar hands out (db/action-id-range.ts); Action Scheduler's ids stay below it. */
  actionIdFloor: number;
  retentionCompleteDays: number;
  retentionCanceledDays: number;
  retentionFailedDays: number;
  retentionHooks: Record<string, number>;
  notificationsEnabled: boolean;
  notifyProcessIntervalSeconds: number;
  notifyStartLogId: number | null;
  notifyRecipientsInsert: string[];
  notifyRecipientsUpdate: string[];
  aiEnabled: boolean;
  openaiApiKey: string | null;
  openaiBaseUrl: string | null;
  openaiModel: string;
  smtpUrl: string | null;
  mailFrom: string;
  wpCallbackUrl: string | null;
  wpCallbackSecret: string | null;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export class ConfigError extends Error {
  constructor(readonly variable: string, detail: string) {
    super(`${variable}: ${detail}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function raw(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function readString(env: Env, name: string, fallback: string): string {
  return raw(env, name) ?? fallback;
}

function readOptional(env: Env, name: string): string | null {
  return raw(env, name) ?? null;
}

function readInt(env: Env, name: string, fallback: number, min: number, max: number): number {
  const text = raw(env, name);
  if (text === undefined) return fallback;
  if (!/^-?\d+$/.test(text)) throw new ConfigError(name, `expected a whole number, got "${text}"`);
  const value = Number(text);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function readNumber(env: Env, name: string, fallback: number, min: number, max: number): number {
  const text = raw(env, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new ConfigError(name, `expected a number, got "${text}"`);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function readBool(env: Env, name: string, fallback: boolean): boolean {
  const text = raw(env, name);
  if (text === undefined) return fallback;
  if (/^(1|true|yes|on)$/i.test(text)) return true;
  if (/^(0|false|no|off)$/i.test(text)) return false;
  throw new ConfigError(name, `expected true or false, got "${text}"`);
}

function readEnum<const T extends readonly string[]>(env: Env, name: string, options: T, fallback: T[number]): T[number] {
  const text = raw(env, name);
  if (text === undefined) return fallback;
  if (!(options as readonly string[]).includes(text)) throw new ConfigError(name, `must be one of ${options.join(', ')}, got "${text}"`);
  return text as T[number];
}

function readUrl(env: Env, name: string, protocols: readonly string[]): string | null {
  const text = raw(env, name);
  if (text === undefined) return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(name, 'is not a valid URL');
  }
  if (!protocols.includes(url.protocol)) throw new ConfigError(name, `must use ${protocols.join(' or ')}, got ${url.protocol}`);
  return text;
}

function readJson<S extends TSchema>(env: Env, name: string, schema: S, fallback: Static<S>): Static<S> {
  const text = raw(env, name);
  if (text === undefined) return fallback;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError(name, 'is not valid JSON');
  }
  if (!Value.Check(schema, parsed)) {
    const first = Value.Errors(schema, parsed)[0];
    throw new ConfigError(name, `does not match its shape${first ? ` at ${first.instancePath || '/'}: ${first.message}` : ''}`);
  }
  return parsed as Static<S>;
}

/**
 * What counts as an e-mail address where one arrives as plain text: NOTIFY_RECIPIENTS_* here, and the
 * `recipient` of WeCoza's e-mail jobs. A local part and a dotted domain, with none of the characters
 * that would let one entry smuggle in a second address or a display name.
 */
export const EMAIL_ADDRESS = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;

function readEmailList(env: Env, name: string): string[] {
  const text = raw(env, name);
  if (text === undefined) return [];
  const list = text.split(/[,;\s]+/).filter((item) => item !== '');
  for (const address of list) {
    if (!EMAIL_ADDRESS.test(address)) throw new ConfigError(name, 'holds an entry that is not an e-mail address');
  }
  return list;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const SETTING_NAME = /^[a-z_][a-z0-9_.]{0,62}$/;

function readEmbeddedPgSettings(env: Env): Record<string, string> {
  const settings = readJson(env, 'EMBEDDED_PG_SETTINGS', EmbeddedPgSettingsSchema, {});
  const bad = Object.keys(settings).find((name) => !SETTING_NAME.test(name));
  if (bad !== undefined) throw new ConfigError('EMBEDDED_PG_SETTINGS', `"${bad}" is not a PostgreSQL setting name`);
  return settings;
}
const QUALIFIED_TABLE = /^([a-z_][a-z0-9_]{0,62}\.)?[a-z_][a-z0-9_]{0,62}$/;

/** Parse and validate the environment. Throws `ConfigError` naming the first bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const schema = readString(env, 'SIDECAR_SCHEMA', 'sidecar');
  if (!IDENTIFIER.test(schema)) throw new ConfigError('SIDECAR_SCHEMA', 'must be a lower-case SQL identifier (a-z, 0-9, _)');
  const sourceTable = readString(env, 'SOURCE_TABLE', 'public.class_change_logs');
  if (!QUALIFIED_TABLE.test(sourceTable)) throw new ConfigError('SOURCE_TABLE', 'must be [schema.]table in lower-case identifiers');

  const databaseUrl = readUrl(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  const role = readEnum(env, 'SIDECAR_ROLE', SIDECAR_ROLES, 'all');
  if (databaseUrl === null && role !== 'all') {
    throw new ConfigError('SIDECAR_ROLE', 'the embedded database is one process: api and worker roles need DATABASE_URL');
  }
  const apiToken = readOptional(env, 'SIDECAR_API_TOKEN');
  if (apiToken !== null && apiToken.length < 16) throw new ConfigError('SIDECAR_API_TOKEN', 'must be at least 16 characters');
  if (databaseUrl !== null && apiToken === null) {
    throw new ConfigError('SIDECAR_API_TOKEN', 'is required with DATABASE_URL (every process of a deployment shares it)');
  }
  const wpCallbackUrl = readUrl(env, 'WP_CALLBACK_URL', ['http:', 'https:']);
  const wpCallbackSecret = readOptional(env, 'WP_CALLBACK_SECRET');
  if (wpCallbackUrl !== null && (wpCallbackSecret === null || wpCallbackSecret.length < 16)) {
    throw new ConfigError('WP_CALLBACK_SECRET', 'is required with WP_CALLBACK_URL and must be at least 16 characters');
  }
  const cores = Math.max(1, os.availableParallelism());

  return {
    port: readInt(env, 'PORT', 8787, 0, 65_535),
    host: readString(env, 'HOST', '127.0.0.1'),
    dataDir: path.resolve(readString(env, 'DATA_DIR', './data')),
    embeddedPgSettings: readEmbeddedPgSettings(env),
    databaseUrl,
    databaseDirectUrl: readUrl(env, 'DATABASE_DIRECT_URL', ['postgres:', 'postgresql:']),
    schema,
    pollOnly: readBool(env, 'POLL_ONLY', false),
    databasePoolSize: readInt(env, 'DATABASE_POOL_SIZE', Math.max(4, cores * 2), 2, 200),
    sourceDatabaseUrl: readUrl(env, 'SOURCE_DATABASE_URL', ['postgres:', 'postgresql:']),
    sourceTable,
    role,
    apiToken,
    metricsPublic: readBool(env, 'METRICS_PUBLIC', false),
    rateLimitMax: readInt(env, 'RATE_LIMIT_MAX', 20_000, 0, 10_000_000),
    rateLimitWindowSeconds: readInt(env, 'RATE_LIMIT_WINDOW_SECONDS', 60, 1, 86_400),
    authFailuresPerMinute: readInt(env, 'AUTH_FAILURES_PER_MINUTE', 30, 0, 1_000_000),
    requestTimeoutSeconds: readInt(env, 'REQUEST_TIMEOUT_SECONDS', 30, 1, 3600),
    // WordPress calls from one address with one connection per PHP worker; 256 covers large pools.
    maxConnectionsPerAddress: readInt(env, 'MAX_CONNECTIONS_PER_ADDRESS', 256, 0, 100_000),
    runnerBatchSize: readInt(env, 'RUNNER_BATCH_SIZE', 25, 1, 1000),
    runnerConcurrency: readInt(env, 'RUNNER_CONCURRENCY', 32, 1, 1000),
    runnerPaused: readBool(env, 'RUNNER_PAUSED', false),
    hookConcurrency: readJson(env, 'HOOK_CONCURRENCY', HookConcurrencySchema, {}),
    retryPolicies: readJson(env, 'RETRY_POLICIES', RetryPoliciesSchema, {}),
    leaseSeconds: readInt(env, 'LEASE_SECONDS', 30, 3, 3600),
    actionTimeoutSeconds: readInt(env, 'ACTION_TIMEOUT_SECONDS', 300, 1, 86_400),
    shutdownGraceSeconds: readInt(env, 'SHUTDOWN_GRACE_SECONDS', 25, 0, 3600),
    actionIdFloor: readInt(env, 'SIDECAR_ACTION_ID_FLOOR', ACTION_ID_FLOOR_DEFAULT, ACTION_ID_FLOOR_DEFAULT, ACTION_ID_MAX - 1_000_000_000),
    retentionCompleteDays: readNumber(env, 'RETENTION_COMPLETE_DAYS', 31, 0, 3650),
    retentionCanceledDays: readNumber(env, 'RETENTION_CANCELED_DAYS', 31, 0, 3650),
    retentionFailedDays: readNumber(env, 'RETENTION_FAILED_DAYS', 90, 0, 3650),
    retentionHooks: readJson(env, 'RETENTION_HOOKS', HookRetentionSchema, {}),
    notificationsEnabled: readBool(env, 'NOTIFICATIONS_ENABLED', true),
    notifyProcessIntervalSeconds: readInt(env, 'NOTIFY_PROCESS_INTERVAL', 60, 0, 86_400),
    notifyStartLogId: raw(env, 'NOTIFY_START_LOG_ID') === undefined ? null : readInt(env, 'NOTIFY_START_LOG_ID', 0, 0, Number.MAX_SAFE_INTEGER),
    notifyRecipientsInsert: readEmailList(env, 'NOTIFY_RECIPIENTS_INSERT'),
    notifyRecipientsUpdate: readEmailList(env, 'NOTIFY_RECIPIENTS_UPDATE'),
    aiEnabled: readBool(env, 'AI_ENABLED', true),
    openaiApiKey: readOptional(env, 'OPENAI_API_KEY'),
    openaiBaseUrl: readUrl(env, 'OPENAI_BASE_URL', ['http:', 'https:']),
    openaiModel: readString(env, 'OPENAI_MODEL', 'gpt-4o-mini'),
    smtpUrl: readUrl(env, 'SMTP_URL', ['smtp:', 'smtps:']),
    mailFrom: readString(env, 'MAIL_FROM', 'WeCoza Sidecar <wecoza-sidecar@localhost>'),
    wpCallbackUrl,
    wpCallbackSecret,
    logLevel: readEnum(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
  };
}

/** A config for tests and tools: the defaults, overridden field by field. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({}), logLevel: 'silent', ...overrides };
}
