/**
 * `Retry-After` (RFC 9110 §10.2.3), as WordPress (429/503 from the bridge) and OpenAI send it: delta
 * seconds or an HTTP date, as whole seconds from `nowMs` (a date in the past is 0). Decimal seconds,
 * which some proxies send, round up. Null when absent or unreadable: each caller has its own default.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs = Date.now()): number | null {
  const text = value?.trim() ?? '';
  if (text === '') return null;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text));
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - nowMs) / 1000));
}
