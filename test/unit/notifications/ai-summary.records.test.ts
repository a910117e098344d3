import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  createPendingSummary,
  EMPTY_SUMMARY_PLACEHOLDER,
  formatGeneratedAt,
  isSummaryFinal,
  parseAiSummary,
  recordSummaryFailure,
  recordSummarySkipped,
  recordSummarySuccess,
  redactSecrets,
  SUMMARY_ERROR_CODES,
} from '../../../server/notifications/ai-summary.ts';

const RECORD_KEYS = [
  'attempts', 'error_code', 'error_message', 'generated_at', 'model', 'processing_time_ms',
  'status', 'summary', 'tokens_used', 'viewed', 'viewed_at',
];
const NOW = new Date('2026-02-18T11:24:10.123Z');

describe('createPendingSummary', () => {
  it("has exactly the eleven keys of WeCoza's record", () => {
    assert.deepEqual(Object.keys(createPendingSummary()).sort(), RECORD_KEYS);
  });

  it('starts pending with no attempts', () => {
    const record = createPendingSummary();
    assert.equal(record.status, 'pending');
    assert.equal(record.attempts, 0);
    assert.equal(isSummaryFinal(record), false);
  });
});

describe('recordSummarySuccess', () => {
  it('matches the reference sample of a successful record', () => {
    const record = recordSummarySuccess(null, { summary: '- **Class Details**: …\n', model: 'gpt-4o-mini', tokensUsed: 1107, processingTimeMs: 3724, now: NOW });
    assert.deepEqual(record, {
      summary: '- **Class Details**: …',
      status: 'success',
      error_code: null,
      error_message: null,
      attempts: 1,
      viewed: false,
      viewed_at: null,
      generated_at: '2026-02-18T11:24:10+00:00',
      model: 'gpt-4o-mini',
      tokens_used: 1107,
      processing_time_ms: 3724,
    });
  });

  it('clears the error of an earlier failed attempt and counts both attempts', () => {
    const failed = recordSummaryFailure(null, { code: 'openai_timeout', message: 'slow', model: 'gpt-4o-mini', processingTimeMs: 30000, final: false });
    const record = recordSummarySuccess(failed, { summary: 'ok', model: 'gpt-4o-mini', tokensUsed: 10, processingTimeMs: 5, now: NOW });
    assert.equal(record.attempts, 2);
    assert.equal(record.error_code, null);
    assert.equal(record.error_message, null);
  });

  it('replaces an empty model answer with the placeholder', () => {
    const record = recordSummarySuccess(null, { summary: '   ', model: 'm', tokensUsed: 3, processingTimeMs: 1, now: NOW });
    assert.equal(record.summary, EMPTY_SUMMARY_PLACEHOLDER);
  });
});

describe('recordSummaryFailure', () => {
  it('stays pending while attempts remain', () => {
    const record = recordSummaryFailure(null, { code: 'unknown_error', message: '500 boom', model: 'gpt-4o-mini', processingTimeMs: 12, final: false });
    assert.equal(record.status, 'pending');
    assert.equal(record.error_code, 'unknown_error');
    assert.equal(record.attempts, 1);
    assert.equal(record.generated_at, null);
  });

  it('turns failed on the final attempt', () => {
    const record = recordSummaryFailure(null, { code: 'quota_exceeded', message: 'quota', model: null, processingTimeMs: 4, final: true });
    assert.equal(record.status, 'failed');
    assert.equal(isSummaryFinal(record), true);
  });

  it('redacts keys in the stored message', () => {
    const record = recordSummaryFailure(null, { code: 'config_missing', message: 'Incorrect API key provided: sk-proj-abcdefghijklmnopqrstuvwx', model: null, processingTimeMs: 0, final: true });
    assert.equal(record.error_message, 'Incorrect API key provided: sk-REDACTED');
  });
});

describe('recordSummarySkipped', () => {
  it('writes failed with config_missing, no attempt and a generation date', () => {
    const record = recordSummarySkipped(null, 'config_missing', NOW);
    assert.equal(record.status, 'failed');
    assert.equal(record.error_code, 'config_missing');
    assert.equal(record.error_message, SUMMARY_ERROR_CODES.config_missing);
    assert.equal(record.attempts, 0);
    assert.equal(record.tokens_used, 0);
    assert.equal(record.generated_at, '2026-02-18T11:24:10+00:00');
  });

  it('writes failed with feature_disabled when AI is switched off', () => {
    assert.equal(recordSummarySkipped(null, 'feature_disabled', NOW).error_code, 'feature_disabled');
  });
});

describe('parseAiSummary', () => {
  it('round-trips a record through JSON text', () => {
    const record = recordSummarySuccess(null, { summary: 'ok', model: 'gpt-4o-mini', tokensUsed: 7, processingTimeMs: 9, now: NOW });
    assert.deepEqual(parseAiSummary(JSON.stringify(record)), record);
  });

  it('returns null for values that are not an object', () => {
    assert.equal(parseAiSummary(null), null);
    assert.equal(parseAiSummary([]), null);
    assert.equal(parseAiSummary('not json'), null);
  });

  it('drops unknown keys and defaults bad fields', () => {
    const record = parseAiSummary({ status: 'enriched', error_code: 'nope', attempts: -3, tokens_used: '12', extra: 1 });
    assert.deepEqual(Object.keys(record ?? {}).sort(), RECORD_KEYS);
    assert.equal(record?.status, 'pending');
    assert.equal(record?.error_code, null);
    assert.equal(record?.attempts, 0);
    assert.equal(record?.tokens_used, 0);
  });
});

describe('redactSecrets', () => {
  it('redacts bearer tokens and Authorization headers', () => {
    assert.equal(redactSecrets('sent Authorization: Bearer abc.def-123'), 'sent Authorization: REDACTED');
    assert.equal(redactSecrets('token Bearer abc.def-123 refused'), 'token Bearer REDACTED refused');
  });

  it('redacts api_key pairs and e-mail addresses', () => {
    assert.equal(redactSecrets('api_key=xyz123 for ops@example.com'), 'api_key=REDACTED for [email redacted]');
  });

  it('caps a very long message', () => {
    const message = redactSecrets('x'.repeat(5000));
    assert.equal(message.length, 500);
    assert.ok(message.endsWith('…'));
  });
});

describe('formatGeneratedAt', () => {
  it('writes UTC seconds with a +00:00 offset', () => {
    assert.equal(formatGeneratedAt(new Date('2026-03-05T00:00:00.999Z')), '2026-03-05T00:00:00+00:00');
  });
});
