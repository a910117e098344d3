import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { recordSummaryFailure, recordSummarySkipped, recordSummarySuccess } from '../../../server/notifications/ai-summary.ts';
import {
  buildNotificationSubject,
  describeMissingSummary,
  escapeHtml,
  renderNotificationEmail,
} from '../../../server/notifications/email-templates.ts';
import type { NotificationEmailInput } from '../../../server/notifications/email-templates.ts';

const NOW = new Date('2026-02-18T11:24:10Z');

function input(overrides: Partial<NotificationEmailInput> = {}): NotificationEmailInput {
  return {
    logId: 1,
    operation: 'INSERT',
    changedAt: '2026-02-18 13:23:39.301846',
    classId: 1,
    classCode: 'IMP021813',
    classSubject: 'LO4',
    summary: recordSummarySuccess(null, {
      summary: '- **Class Details**: IMP021813 created for Learner A.\n- No issues detected.',
      model: 'gpt-4o-mini',
      tokensUsed: 1107,
      processingTimeMs: 3724,
      now: NOW,
    }),
    aliases: { 'Learner A': 'Thandi Mokoena' },
    ...overrides,
  };
}

describe('buildNotificationSubject', () => {
  it('names a lower-cased operation, the class id and the code', () => {
    assert.equal(buildNotificationSubject(input()), '[WeCoza] Class insert: 1 (IMP021813)');
  });

  it('says no-code when the class has no code', () => {
    assert.equal(buildNotificationSubject(input({ operation: 'UPDATE', classCode: null })), '[WeCoza] Class update: 1 (no-code)');
    assert.equal(buildNotificationSubject(input({ operation: 'UPDATE', classCode: '  ' })), '[WeCoza] Class update: 1 (no-code)');
  });

  it('keeps a code with line breaks on one line', () => {
    assert.equal(buildNotificationSubject(input({ classCode: 'IMP\r\nBcc: x@example.com' })), '[WeCoza] Class insert: 1 (IMP Bcc: x@example.com)');
  });

  it('says unknown when the class id is gone', () => {
    assert.equal(buildNotificationSubject(input({ classId: null })), '[WeCoza] Class insert: unknown (IMP021813)');
  });
});

describe('renderNotificationEmail with a summary', () => {
  it('returns the subject with both bodies', () => {
    const email = renderNotificationEmail(input());
    assert.equal(email.subject, '[WeCoza] Class insert: 1 (IMP021813)');
    assert.ok(email.html.startsWith('<!DOCTYPE html>'));
    assert.ok(email.text.startsWith('WeCoza class change'));
  });

  it('shows the change metadata in both bodies', () => {
    const { html, text } = renderNotificationEmail(input());
    for (const value of ['INSERT', '2026-02-18 13:23:39.301846', 'IMP021813', 'LO4']) {
      assert.ok(html.includes(value), `html lacks ${value}`);
      assert.ok(text.includes(value), `text lacks ${value}`);
    }
    assert.match(text, /^Class ID: +1$/m);
  });

  it('renders the summary bullets and bold text as HTML', () => {
    const { html } = renderNotificationEmail(input());
    assert.match(html, /<li><strong>Class Details<\/strong>: IMP021813 created for Learner A\.<\/li>/);
    assert.doesNotMatch(html, /Summary unavailable/);
  });

  it('keeps the summary as written in the text body', () => {
    assert.ok(renderNotificationEmail(input()).text.includes('- **Class Details**: IMP021813 created for Learner A.'));
  });

  it('lists each alias with the real name in both bodies', () => {
    const { html, text } = renderNotificationEmail(input());
    assert.match(html, /<th[^>]*>Learner A<\/th><td[^>]*>Thandi Mokoena<\/td>/);
    assert.match(text, /^Learner A: Thandi Mokoena$/m);
  });

  it('omits the alias section when no learner is named', () => {
    const { html, text } = renderNotificationEmail(input({ aliases: {} }));
    assert.doesNotMatch(html, /Learners named/);
    assert.doesNotMatch(text, /Learners named/);
  });

  it('puts the log id in the footer of both bodies', () => {
    const { html, text } = renderNotificationEmail(input({ logId: '9007199254740993' }));
    assert.match(html, /Change log #9007199254740993\./);
    assert.match(text, /--\nChange log #9007199254740993\./);
  });

  it('uses inline styles only', () => {
    const { html } = renderNotificationEmail(input());
    assert.doesNotMatch(html, /<style|<link|<script/i);
    assert.match(html, /style="/);
  });
});

describe('renderNotificationEmail without a summary', () => {
  it('says Summary unavailable with the reason of a failed summary', () => {
    const summary = recordSummaryFailure(null, { code: 'quota_exceeded', message: 'You exceeded your current quota.', model: 'gpt-4o-mini', processingTimeMs: 5, final: true });
    const { html, text } = renderNotificationEmail(input({ summary }));
    assert.match(html, /Summary unavailable\.<\/strong> The AI summary could not be generated\. Reason: You exceeded your current quota\./);
    assert.match(text, /Summary unavailable\. The AI summary could not be generated\. Reason: You exceeded your current quota\./);
  });

  it('gives the skip reason when AI is not configured', () => {
    const { text } = renderNotificationEmail(input({ summary: recordSummarySkipped(null, 'config_missing', NOW) }));
    assert.match(text, /Summary unavailable\. .*No usable OpenAI API key is configured\./);
  });

  it('says the summary is not ready while it is pending', () => {
    const summary = recordSummaryFailure(null, { code: 'openai_timeout', message: 'timed out', model: null, processingTimeMs: 30000, final: false });
    assert.equal(describeMissingSummary(summary), 'The AI summary is not ready yet. Last error: timed out');
  });

  it('explains a missing record', () => {
    assert.match(renderNotificationEmail(input({ summary: null })).text, /Summary unavailable\. No AI summary was requested/);
  });
});

describe('renderNotificationEmail escaping', () => {
  const hostile = input({
    classSubject: '<script>alert("x")</script>',
    classCode: 'A&B<1>',
    aliases: { 'Learner A': '<img src=x onerror=alert(1)>' },
    summary: recordSummarySuccess(null, { summary: '- <b>bold</b> & "quoted"', model: 'm', tokensUsed: 1, processingTimeMs: 1, now: NOW }),
  });

  it('escapes a class subject containing a script tag', () => {
    const { html } = renderNotificationEmail(hostile);
    assert.doesNotMatch(html, /<script/i);
    assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'));
  });

  it('escapes the code in the title and the table', () => {
    const { html } = renderNotificationEmail(hostile);
    assert.ok(html.includes('<title>[WeCoza] Class insert: 1 (A&amp;B&lt;1&gt;)</title>'));
    assert.doesNotMatch(html, /A&B<1>/);
  });

  it('escapes learner names and summary text', () => {
    const { html } = renderNotificationEmail(hostile);
    assert.doesNotMatch(html, /<img|<b>/);
    assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;'));
    assert.ok(html.includes('<li>&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;</li>'));
  });

  it('escapes the five HTML metacharacters', () => {
    assert.equal(escapeHtml(`&<>"'`), '&amp;&lt;&gt;&quot;&#39;');
  });
});
