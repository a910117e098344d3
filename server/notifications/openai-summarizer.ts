/**
 * One chat completion per class change through the official `openai` client, with every outcome
 * turned into a decision for the job runner: done, snooze, retry, give up, or aborted.
 *
 * The client never retries by itself (`maxRetries: 0`): retries belong to the runner, which
 * counts attempts, applies backoff and honours `Retry-After` across processes.
 */
import OpenAI from 'openai';
import { parseRetryAfter } from '../retry-after.ts';
import type { ChatMessage } from './prompts.ts';
import { redactSecrets } from './ai-summary.ts';
import type { SummaryErrorCode } from './ai-summary.ts';

export interface SummarizerOptions {
  apiKey: string;
  /** Ends at `/v1`, for example `https://api.openai.com/v1`. */
  baseURL?: string;
  model: string;
  timeoutMs?: number;
}

export type RetryableSummaryCode = Extract<SummaryErrorCode, 'openai_timeout' | 'unknown_error'>;
export type TerminalSummaryCode = Extract<SummaryErrorCode, 'quota_exceeded' | 'config_missing' | 'validation_failed'>;

/**
 * - `success`: the summary text (trimmed, possibly empty), the model asked for, total tokens.
 * - `snooze`: OpenAI asked us to slow down (429 that is not a quota problem, or 503 with
 *   `Retry-After`); try again after `retryAfterSeconds` without spending an attempt.
 * - `retry`: a transient failure that spends an attempt.
 * - `terminal`: retrying cannot help (no quota, bad key, rejected request).
 * - `aborted`: the caller's signal fired (execution timeout or shutdown); nothing to record.
 *
 * `summarize` never throws for any of these; `elapsedMs` is the wall time of the HTTP call.
 */
export type SummarizeResult =
  | { kind: 'success'; summary: string; model: string; tokens: number; elapsedMs: number }
  | { kind: 'snooze'; retryAfterSeconds: number; reason: string; elapsedMs: number }
  | { kind: 'retry'; code: RetryableSummaryCode; message: string; elapsedMs: number }
  | { kind: 'terminal'; code: TerminalSummaryCode; message: string; elapsedMs: number }
  | { kind: 'aborted'; reason: string; elapsedMs: number };

export interface Summarizer {
  readonly model: string;
  summarize(messages: readonly ChatMessage[], options?: { signal?: AbortSignal }): Promise<SummarizeResult>;
}

export const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';
export const DEFAULT_SUMMARY_TIMEOUT_MS = 30_000;
// Used when a 429 or 503 carries no readable Retry-After: long enough not to hammer a limit that
// usually resets per minute, short enough not to hold notifications back for long.
export const DEFAULT_RETRY_AFTER_SECONDS = 30;
// A Retry-After beyond an hour is more likely a misconfigured proxy than a real instruction.
const MAX_RETRY_AFTER_SECONDS = 3600;

/** Builds a summarizer around one `openai` client; the client keeps its HTTP connections alive. */
export function createSummarizer(options: SummarizerOptions): Summarizer {
  const { model } = options;
  if (options.apiKey.trim() === '') {
    return {
      model,
      summarize: async () => ({
        kind: 'terminal',
        code: 'config_missing',
        message: 'No OpenAI API key is configured.',
        elapsedMs: 0,
      }),
    };
  }
  // Every option the client would otherwise read from the environment is passed explicitly:
  // configuration is read in config.ts only, and OPENAI_LOG=debug must not print prompts.
  const client = new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseURL ?? DEFAULT_OPENAI_BASE_URL,
    organization: null,
    project: null,
    timeout: options.timeoutMs ?? DEFAULT_SUMMARY_TIMEOUT_MS,
    maxRetries: 0,
    logLevel: 'warn',
  });

  return {
    model,
    async summarize(messages, callOptions = {}) {
      const { signal } = callOptions;
      const started = performance.now();
      const elapsed = (): number => Math.round(performance.now() - started);
      try {
        const completion = await client.chat.completions.create(
          { model, messages: messages.map((message) => ({ role: message.role, content: message.content })) },
          signal === undefined ? {} : { signal },
        );
        const content = completion.choices[0]?.message?.content;
        if (typeof content !== 'string') {
          return { kind: 'terminal', code: 'validation_failed', message: 'OpenAI returned no text content.', elapsedMs: elapsed() };
        }
        return { kind: 'success', summary: content.trim(), model, tokens: completion.usage?.total_tokens ?? 0, elapsedMs: elapsed() };
      } catch (error: unknown) {
        return classifyOpenAiError(error, signal, elapsed());
      }
    },
  };
}

/** Maps anything the client threw to a result. Exported for tests of rare shapes. */
export function classifyOpenAiError(error: unknown, signal: AbortSignal | undefined, elapsedMs: number): SummarizeResult {
  if (signal?.aborted === true || error instanceof OpenAI.APIUserAbortError) {
    return { kind: 'aborted', reason: describeAbort(signal), elapsedMs };
  }
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return { kind: 'retry', code: 'openai_timeout', message: 'OpenAI did not answer before the timeout.', elapsedMs };
  }
  if (error instanceof OpenAI.APIConnectionError) {
    return { kind: 'retry', code: 'openai_timeout', message: redactSecrets(`Could not reach OpenAI: ${error.message}`), elapsedMs };
  }
  if (error instanceof OpenAI.APIError) {
    const message = redactSecrets(error.message);
    const status = error.status ?? 0;
    if (error.code === 'insufficient_quota' || error.type === 'insufficient_quota') {
      return { kind: 'terminal', code: 'quota_exceeded', message, elapsedMs };
    }
    if (status === 429 || (status === 503 && error.headers?.get('retry-after') != null)) {
      return { kind: 'snooze', retryAfterSeconds: readRetryAfterSeconds(error.headers), reason: message, elapsedMs };
    }
    if (status === 401) return { kind: 'terminal', code: 'config_missing', message, elapsedMs };
    if (status === 408) return { kind: 'retry', code: 'openai_timeout', message, elapsedMs };
    // 409 is OpenAI's "try again" for a conflicting concurrent request; 5xx are its own failures.
    if (status === 409 || status >= 500) return { kind: 'retry', code: 'unknown_error', message, elapsedMs };
    if (status >= 400) return { kind: 'terminal', code: 'validation_failed', message, elapsedMs };
    return { kind: 'retry', code: 'unknown_error', message, elapsedMs };
  }
  // A 2xx body that is not JSON fails in the client's parser: the endpoint is not OpenAI-shaped.
  if (error instanceof SyntaxError) {
    return { kind: 'terminal', code: 'validation_failed', message: 'OpenAI returned a body that is not JSON.', elapsedMs };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { kind: 'retry', code: 'unknown_error', message: redactSecrets(message), elapsedMs };
}

/**
 * Seconds to wait from `retry-after-ms`, or `retry-after` as seconds or an HTTP date; clamped to
 * 1 s … 1 h, with a default when the header is absent or unreadable.
 */
export function readRetryAfterSeconds(headers: Headers | undefined, now: Date = new Date()): number {
  const millis = Number(headers?.get('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(millis) && millis >= 0) return clampRetryAfter(Math.ceil(millis / 1000));
  return clampRetryAfter(parseRetryAfter(headers?.get('retry-after'), now.getTime()) ?? DEFAULT_RETRY_AFTER_SECONDS);
}

function clampRetryAfter(seconds: number): number {
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, seconds));
}

function describeAbort(signal: AbortSignal | undefined): string {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason.message === '' ? reason.name : `${reason.name}: ${reason.message}`;
  if (typeof reason === 'string' && reason !== '') return reason;
  return 'aborted by the caller';
}
