import { Counter, Histogram, type Registry } from 'prom-client';
import type { SidecarEvents } from '../events.ts';
import './events.ts';

/**
 * The pipeline's metrics, fed by its events: e-mails by outcome and SMTP code class, AI summaries by
 * outcome, AI tokens and latency by model, processor passes. Labels are closed sets; no address, name
 * or log id ever becomes a label.
 */

const AI_LATENCY_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60];

/** 250 → 2xx; null (no reply, outbox mode) → none. */
export function codeClass(code: number | null): string {
  if (code === null || code < 100 || code > 599) return 'none';
  return `${Math.floor(code / 100)}xx`;
}

export function registerNotificationMetrics(params: { registry: Registry; events: SidecarEvents }): () => void {
  const registers = [params.registry];
  const emails = new Counter({
    name: 'sidecar_notification_emails_total',
    help: 'E-mail attempts by outcome (sent, retry, failed) and SMTP reply code class (2xx, 4xx, 5xx, none).',
    labelNames: ['outcome', 'code_class'],
    registers,
  });
  const summaries = new Counter({
    name: 'sidecar_notification_summaries_total',
    help: 'Enrichment steps by outcome (success, failed, skipped, retry, snoozed).',
    labelNames: ['outcome'],
    registers,
  });
  const tokens = new Counter({ name: 'sidecar_ai_tokens_total', help: 'OpenAI tokens used (usage.total_tokens), by model.', labelNames: ['model'], registers });
  const latency = new Histogram({
    name: 'sidecar_ai_request_seconds',
    help: 'Wall time of OpenAI calls, by outcome.',
    labelNames: ['outcome'],
    buckets: AI_LATENCY_BUCKETS,
    registers,
  });
  const scanned = new Counter({ name: 'sidecar_notification_rows_scanned_total', help: 'Source rows taken by processor passes.', registers });

  const unsubscribe = [
    params.events.on('notification:emailed', (event) => emails.inc({ outcome: event.outcome, code_class: codeClass(event.code) })),
    params.events.on('notification:summarized', (event) => {
      summaries.inc({ outcome: event.outcome });
      if (event.tokens > 0 && event.model !== null) tokens.inc({ model: event.model }, event.tokens);
      if (event.elapsedMs !== null) latency.observe({ outcome: event.outcome }, event.elapsedMs / 1000);
    }),
    params.events.on('notification:processed', (event) => scanned.inc(event.scanned)),
  ];
  return () => {
    for (const off of unsubscribe) off();
  };
}
