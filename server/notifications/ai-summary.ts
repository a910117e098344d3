/**
 * WeCoza's `ai_summary` record (reference/wecoza-pipeline.md §1.3), written by the sidecar into
 * `class_change_logs.ai_summary` so WeCoza's own dashboards and CLI keep reading it unchanged:
 * exactly eleven keys, snake_case, `generated_at` as ISO 8601 UTC with a `+00:00` offset.
 */

export const SUMMARY_STATUSES = ['pending', 'success', 'failed'] as const;
export type SummaryStatus = (typeof SUMMARY_STATUSES)[number];

/** Every error code WeCoza's record may carry, with what it means for an operator. */
export const SUMMARY_ERROR_CODES = {
  config_missing: 'No usable OpenAI API key is configured.',
  feature_disabled: 'AI summaries are switched off in the notification settings.',
  openai_timeout: 'OpenAI did not answer in time or could not be reached.',
  quota_exceeded: 'The OpenAI account has no quota left.',
  validation_failed: 'OpenAI rejected the request or returned an unusable answer.',
  unknown_error: 'OpenAI failed for an unexpected reason.',
} as const;
export type SummaryErrorCode = keyof typeof SUMMARY_ERROR_CODES;

/** Reasons a summary is not attempted at all. */
export type SummarySkipCode = Extract<SummaryErrorCode, 'config_missing' | 'feature_disabled'>;

export interface AiSummaryRecord {
  summary: string | null;
  status: SummaryStatus;
  error_code: SummaryErrorCode | null;
  error_message: string | null;
  /** One per API call made for this row. */
  attempts: number;
  /** Kept for WeCoza's dashboards; the pipeline never sets them. */
  viewed: boolean;
  viewed_at: string | null;
  generated_at: string | null;
  model: string | null;
  tokens_used: number;
  processing_time_ms: number;
}

export interface SummarySuccess {
  summary: string;
  model: string;
  tokensUsed: number;
  processingTimeMs: number;
  now: Date;
}

export interface SummaryFailure {
  code: SummaryErrorCode;
  message: string;
  model: string | null;
  processingTimeMs: number;
  /** True when no further attempt will be made: the record turns `failed`, else stays `pending`. */
  final: boolean;
}

// Shown in place of an empty model answer, so the e-mail never has a blank summary section.
export const EMPTY_SUMMARY_PLACEHOLDER = 'The model returned an empty summary.';

// Error texts are stored in WeCoza's table and shown on its dashboard; a runaway provider
// message (an HTML error page) must not bloat the row.
const MAX_ERROR_MESSAGE_LENGTH = 500;

/** The record before any attempt: `pending`, zero attempts. */
export function createPendingSummary(): AiSummaryRecord {
  return {
    summary: null,
    status: 'pending',
    error_code: null,
    error_message: null,
    attempts: 0,
    viewed: false,
    viewed_at: null,
    generated_at: null,
    model: null,
    tokens_used: 0,
    processing_time_ms: 0,
  };
}

/** A successful API call: the summary text, cleared error, one more attempt. */
export function recordSummarySuccess(previous: AiSummaryRecord | null, result: SummarySuccess): AiSummaryRecord {
  const base = previous ?? createPendingSummary();
  const text = result.summary.trim();
  return {
    ...base,
    summary: text === '' ? EMPTY_SUMMARY_PLACEHOLDER : text,
    status: 'success',
    error_code: null,
    error_message: null,
    attempts: base.attempts + 1,
    generated_at: formatGeneratedAt(result.now),
    model: result.model,
    tokens_used: clampCount(result.tokensUsed),
    processing_time_ms: clampCount(result.processingTimeMs),
  };
}

/** A failed API call: error code and redacted message, one more attempt. */
export function recordSummaryFailure(previous: AiSummaryRecord | null, failure: SummaryFailure): AiSummaryRecord {
  const base = previous ?? createPendingSummary();
  return {
    ...base,
    status: failure.final ? 'failed' : 'pending',
    error_code: failure.code,
    error_message: redactSecrets(failure.message),
    attempts: base.attempts + 1,
    model: failure.model ?? base.model,
    processing_time_ms: clampCount(failure.processingTimeMs),
  };
}

/**
 * No API call was made (no key, or AI switched off). WeCoza records this as a `failed` summary
 * with a generation date, so its dashboards stop waiting for one.
 */
export function recordSummarySkipped(previous: AiSummaryRecord | null, code: SummarySkipCode, now: Date): AiSummaryRecord {
  const base = previous ?? createPendingSummary();
  return {
    ...base,
    summary: null,
    status: 'failed',
    error_code: code,
    error_message: SUMMARY_ERROR_CODES[code],
    generated_at: formatGeneratedAt(now),
    tokens_used: 0,
    processing_time_ms: 0,
  };
}

/** True once the record will not change again: success or failed. */
export function isSummaryFinal(record: AiSummaryRecord | null): boolean {
  return record !== null && record.status !== 'pending';
}

/**
 * Reads a stored `ai_summary` value (written by the sidecar or by WeCoza's PHP) into the typed
 * record; anything that is not an object yields null, unknown keys are dropped, bad fields take
 * their defaults.
 */
export function parseAiSummary(value: unknown): AiSummaryRecord | null {
  if (typeof value === 'string') {
    try {
      return parseAiSummary(JSON.parse(value));
    } catch {
      return null;
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const raw = value as Record<string, unknown>;
  const defaults = createPendingSummary();
  return {
    summary: stringOrNull(raw['summary']),
    status: isOneOf(raw['status'], SUMMARY_STATUSES) ? raw['status'] : defaults.status,
    error_code: isOneOf(raw['error_code'], Object.keys(SUMMARY_ERROR_CODES) as SummaryErrorCode[]) ? raw['error_code'] : null,
    error_message: stringOrNull(raw['error_message']),
    attempts: clampCount(raw['attempts']),
    viewed: raw['viewed'] === true,
    viewed_at: stringOrNull(raw['viewed_at']),
    generated_at: stringOrNull(raw['generated_at']),
    model: stringOrNull(raw['model']),
    tokens_used: clampCount(raw['tokens_used']),
    processing_time_ms: clampCount(raw['processing_time_ms']),
  };
}

/**
 * Removes credentials and addresses from a provider message before it is stored or shown:
 * OpenAI keys (`sk-…`), bearer tokens, Authorization headers, `api_key=` pairs and e-mail
 * addresses; then caps the length.
 */
export function redactSecrets(message: string): string {
  const redacted = message
    .replace(/(authorization\s*[:=]\s*)(?:bearer\s+)?[^\s"',;}]+/gi, '$1REDACTED')
    .replace(/\bbearer\s+(?!REDACTED)[A-Za-z0-9._~+/=-]+/gi, 'Bearer REDACTED')
    .replace(/\bsk-[A-Za-z0-9_*.-]+/g, 'sk-REDACTED')
    .replace(/(api[_-]?key["']?\s*[:=]\s*["']?)[^\s"',;}]+/gi, '$1REDACTED')
    .replace(/[^\s@<>()[\]{},;:"'`]+@[A-Za-z0-9.-]+/g, '[email redacted]');
  return redacted.length > MAX_ERROR_MESSAGE_LENGTH ? `${redacted.slice(0, MAX_ERROR_MESSAGE_LENGTH - 1)}…` : redacted;
}

/** `2026-02-18T11:24:10+00:00`, the format WeCoza's PHP wrote (`gmdate('c')`). */
export function formatGeneratedAt(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

function clampCount(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.round(value) : 0;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function isOneOf<T extends string>(value: unknown, allowed: readonly T[]): value is T {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value);
}
