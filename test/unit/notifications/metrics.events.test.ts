import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createEvents } from '../../../server/events.ts';
import { codeClass, registerNotificationMetrics } from '../../../server/notifications/metrics.ts';

describe('registerNotificationMetrics', () => {
  it('counts e-mails by outcome and code class, and AI tokens and latency by model', async () => {
    const registry = new Registry();
    const events = createEvents();
    const stop = registerNotificationMetrics({ registry, events });
    events.emit('notification:emailed', { outcome: 'sent', code: 250, reason: null });
    events.emit('notification:emailed', { outcome: 'sent', code: null, reason: null });
    events.emit('notification:emailed', { outcome: 'failed', code: 550, reason: 'recipient_rejected' });
    events.emit('notification:emailed', { outcome: 'retry', code: 451, reason: 'recipient_rejected' });
    events.emit('notification:summarized', { outcome: 'success', model: 'gpt-4o-mini', tokens: 1107, elapsedMs: 3724, code: null });
    events.emit('notification:summarized', { outcome: 'skipped', model: null, tokens: 0, elapsedMs: null, code: 'config_missing' });
    const text = await registry.metrics();
    stop();
    assert.match(text, /sidecar_notification_emails_total\{outcome="sent",code_class="2xx"\} 1/);
    assert.match(text, /sidecar_notification_emails_total\{outcome="sent",code_class="none"\} 1/);
    assert.match(text, /sidecar_notification_emails_total\{outcome="failed",code_class="5xx"\} 1/);
    assert.match(text, /sidecar_notification_emails_total\{outcome="retry",code_class="4xx"\} 1/);
    assert.match(text, /sidecar_ai_tokens_total\{model="gpt-4o-mini"\} 1107/);
    assert.match(text, /sidecar_ai_request_seconds_count\{outcome="success"\} 1/);
    assert.match(text, /sidecar_notification_summaries_total\{outcome="skipped"\} 1/);
  });

  it('puts an unknown or missing code in the class none', () => {
    assert.deepEqual([codeClass(null), codeClass(42), codeClass(250), codeClass(535)], ['none', 'none', '2xx', '5xx']);
  });
});
