import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSummarizer, DEFAULT_RETRY_AFTER_SECONDS, readRetryAfterSeconds } from '../../../server/notifications/openai-summarizer.ts';
import type { Summarizer } from '../../../server/notifications/openai-summarizer.ts';
import { buildPromptContext, buildSummaryMessages } from '../../../server/notifications/prompts.ts';
import type { ChatMessage } from '../../../server/notifications/prompts.ts';
import { obfuscateClassChange } from '../../../server/notifications/obfuscation.ts';
import { startFakeOpenAi } from '../../support/fake-openai.ts';
import type { FakeOpenAi } from '../../support/fake-openai.ts';

const API_KEY = 'sk-test-abcdefghijklmnopqrstuvwxyz';
const MODEL = 'gpt-4o-mini';
const MESSAGES: ChatMessage[] = [
  { role: 'system', content: 'You summarise class changes.' },
  { role: 'user', content: 'A class was created for Learner A.' },
];

describe('createSummarizer().summarize against the fake OpenAI server', () => {
  let fake: FakeOpenAi;
  let summarizer: Summarizer;

  before(async () => {
    fake = await startFakeOpenAi();
    summarizer = createSummarizer({ apiKey: API_KEY, baseURL: fake.baseURL, model: MODEL, timeoutMs: 1000 });
  });
  after(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.setDefault({ kind: 'success' });
  });

  it('returns the trimmed summary, the model and the total tokens', async () => {
    fake.enqueue({ kind: 'success', content: '  - Created IMP021813.\n', totalTokens: 1107 });
    const result = await summarizer.summarize(MESSAGES);
    assert.equal(result.kind, 'success');
    assert.ok(result.kind === 'success');
    assert.equal(result.summary, '- Created IMP021813.');
    assert.equal(result.model, MODEL);
    assert.equal(result.tokens, 1107);
    assert.ok(result.elapsedMs >= 0);
  });

  it('sends the model, the messages and the bearer key', async () => {
    const countBefore = fake.requests.length;
    await summarizer.summarize(MESSAGES);
    const request = fake.requests[countBefore];
    assert.deepEqual(request?.body, { model: MODEL, messages: MESSAGES });
    assert.equal(request?.authorization, `Bearer ${API_KEY}`);
  });

  it('makes exactly one request per call, even on a 500', async () => {
    const countBefore = fake.requests.length;
    fake.enqueue({ kind: 'error', status: 500 });
    const result = await summarizer.summarize(MESSAGES);
    assert.deepEqual({ kind: result.kind, code: 'code' in result ? result.code : null }, { kind: 'retry', code: 'unknown_error' });
    assert.equal(fake.requests.length, countBefore + 1);
  });

  it('snoozes for the Retry-After seconds of a 429', async () => {
    fake.enqueue({ kind: 'rate_limit', retryAfter: '17' });
    const result = await summarizer.summarize(MESSAGES);
    assert.deepEqual(result.kind === 'snooze' ? result.retryAfterSeconds : result, 17);
  });

  it('snoozes until the HTTP date of a 429 Retry-After', async () => {
    fake.enqueue({ kind: 'rate_limit', retryAfter: new Date(Date.now() + 42_000).toUTCString() });
    const result = await summarizer.summarize(MESSAGES);
    assert.equal(result.kind, 'snooze');
    assert.ok(result.kind === 'snooze' && result.retryAfterSeconds >= 40 && result.retryAfterSeconds <= 43);
  });

  it('snoozes for the default when a 429 has no Retry-After', async () => {
    fake.enqueue({ kind: 'rate_limit' });
    const result = await summarizer.summarize(MESSAGES);
    assert.deepEqual(result.kind === 'snooze' ? result.retryAfterSeconds : result, DEFAULT_RETRY_AFTER_SECONDS);
  });

  it('snoozes on a 503 that carries Retry-After', async () => {
    fake.enqueue({ kind: 'error', status: 503, headers: { 'retry-after': '5' } });
    const result = await summarizer.summarize(MESSAGES);
    assert.deepEqual(result.kind === 'snooze' ? result.retryAfterSeconds : result, 5);
  });

  it('gives up with quota_exceeded on insufficient_quota', async () => {
    fake.enqueue({ kind: 'insufficient_quota' });
    const result = await summarizer.summarize(MESSAGES);
    assert.deepEqual(result.kind === 'terminal' ? result.code : result, 'quota_exceeded');
  });

  it('gives up with config_missing on a 401 and never echoes the key', async () => {
    fake.enqueue({ kind: 'error', status: 401, message: `Incorrect API key provided: ${API_KEY}` });
    const result = await summarizer.summarize(MESSAGES);
    assert.deepEqual(result.kind === 'terminal' ? result.code : result, 'config_missing');
    assert.ok(result.kind === 'terminal' && !result.message.includes(API_KEY) && result.message.includes('sk-REDACTED'));
  });

  it('gives up with validation_failed on a 400', async () => {
    fake.enqueue({ kind: 'error', status: 400, message: 'Invalid model' });
    const result = await summarizer.summarize(MESSAGES);
    assert.deepEqual(result.kind === 'terminal' ? result.code : result, 'validation_failed');
  });

  it('gives up with validation_failed on a 200 that is not JSON', async () => {
    fake.enqueue({ kind: 'malformed' });
    const result = await summarizer.summarize(MESSAGES);
    assert.deepEqual(result.kind === 'terminal' ? result.code : result, 'validation_failed');
  });

  it('retries with openai_timeout when the server hangs past the timeout', async () => {
    fake.enqueue({ kind: 'hang' });
    const result = await summarizer.summarize(MESSAGES);
    assert.deepEqual(result.kind === 'retry' ? result.code : result, 'openai_timeout');
    assert.ok(result.elapsedMs >= 900);
  });

  it('succeeds after a delay shorter than the timeout', async () => {
    fake.enqueue({ kind: 'success', delayMs: 300 });
    const result = await summarizer.summarize(MESSAGES);
    assert.equal(result.kind, 'success');
    assert.ok(result.elapsedMs >= 250);
  });

  it('answers aborted, not timeout, when the caller aborts mid-request', async () => {
    fake.enqueue({ kind: 'hang' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('execution timeout')), 100);
    const result = await summarizer.summarize(MESSAGES, { signal: controller.signal });
    assert.deepEqual(result.kind === 'aborted' ? result.reason : result, 'Error: execution timeout');
    assert.ok(result.elapsedMs < 900);
  });

  it('answers aborted without a request when the signal has already fired', async () => {
    const countBefore = fake.requests.length;
    const result = await summarizer.summarize(MESSAGES, { signal: AbortSignal.abort() });
    assert.equal(result.kind, 'aborted');
    assert.equal(fake.requests.length, countBefore);
  });
});

describe('createSummarizer without a usable server or key', () => {
  it('retries with openai_timeout when nothing listens', async () => {
    const fake = await startFakeOpenAi();
    const baseURL = fake.baseURL;
    await fake.close();
    const result = await createSummarizer({ apiKey: API_KEY, baseURL, model: MODEL, timeoutMs: 1000 }).summarize(MESSAGES);
    assert.deepEqual(result.kind === 'retry' ? result.code : result, 'openai_timeout');
  });

  it('gives up with config_missing when the key is blank', async () => {
    const result = await createSummarizer({ apiKey: ' ', model: MODEL }).summarize(MESSAGES);
    assert.deepEqual(result.kind === 'terminal' ? result.code : result, 'config_missing');
  });
});

describe('createSummarizer().summarize with a prompt built from a real row', () => {
  it('sends the server no learner name, e-mail address or phone number', async () => {
    const fake = await startFakeOpenAi();
    try {
      const learners = [{ id: 42, name: 'Thandi Mokoena', email: 'thandi@example.org', phone: '+27 82 123 4567' }];
      const row = {
        operation: 'INSERT',
        changed_at: '2026-02-18 13:23:39',
        class_id: 1,
        new_row: { class_id: 1, class_code: 'IMP021813', learner_ids: learners, class_notes_data: ['Thandi prefers mornings'] },
        diff: { class_id: 1, class_code: 'IMP021813', learner_ids: learners },
        old_row: null,
      };
      const messages = buildSummaryMessages(buildPromptContext(row, obfuscateClassChange(row)));
      const result = await createSummarizer({ apiKey: API_KEY, baseURL: fake.baseURL, model: MODEL }).summarize(messages);
      assert.equal(result.kind, 'success');
      const sent = fake.promptText();
      assert.match(sent, /Learner A/);
      for (const secret of ['Thandi', 'Mokoena', 'thandi@example.org', '82 123 4567', '821234567']) {
        assert.equal(sent.includes(secret), false, `prompt contains ${secret}`);
      }
    } finally {
      await fake.close();
    }
  });
});

describe('readRetryAfterSeconds', () => {
  it('prefers retry-after-ms, rounded up to whole seconds', () => {
    assert.equal(readRetryAfterSeconds(new Headers({ 'retry-after-ms': '1500', 'retry-after': '60' })), 2);
  });

  it('clamps to at least one second and at most an hour', () => {
    assert.equal(readRetryAfterSeconds(new Headers({ 'retry-after': '0' })), 1);
    assert.equal(readRetryAfterSeconds(new Headers({ 'retry-after': '999999' })), 3600);
  });

  it('falls back to the default for an unreadable value', () => {
    assert.equal(readRetryAfterSeconds(new Headers({ 'retry-after': 'soon' })), DEFAULT_RETRY_AFTER_SECONDS);
  });
});
