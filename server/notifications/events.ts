/**
 * The pipeline's events. Metrics subscribe; handlers never call metrics directly. No payload carries
 * an address, a name or an SMTP reply text.
 */
export type SummaryOutcome = 'success' | 'failed' | 'skipped' | 'retry' | 'snoozed';
export type EmailOutcome = 'sent' | 'retry' | 'failed';

declare module '../events.ts' {
  interface SidecarEventMap {
    /** An enrichment step ended; tokens and latency only for calls that reached OpenAI. */
    'notification:summarized': { outcome: SummaryOutcome; model: string | null; tokens: number; elapsedMs: number | null; code: string | null };
    /** One SMTP (or outbox) attempt ended; `code` is the server's reply code when there was one. */
    'notification:emailed': { outcome: EmailOutcome; code: number | null; reason: string | null };
    /** A processor pass finished (timer, LISTEN or HTTP). */
    'notification:processed': { scanned: number; enrichScheduled: number; emailScheduled: number; skipped: number; elapsedMs: number };
  }
}

export {};
