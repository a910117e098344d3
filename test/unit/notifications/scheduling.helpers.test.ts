import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testConfig } from '../../../server/config.ts';
import { createHookPolicies } from '../../../server/hook-policies.ts';
import { EMAIL_DEFAULTS } from '../../../server/notifications/emailer.ts';
import { ENRICH_DEFAULTS } from '../../../server/notifications/enricher.ts';
import { aiAvailability, emailAction, enrichAction, mailDomainOf, newMessageId, planRows } from '../../../server/notifications/scheduling.ts';
import type { NotificationSettings } from '../../../server/notifications/settings.ts';

const settings = (enabled: boolean): NotificationSettings => ({
  recipients: { INSERT: ['a@example.com', 'b@example.com'], UPDATE: [] },
  ai: { enabled, model: 'gpt-4o-mini' },
  updatedAt: new Date(0),
});

describe('enrichAction and emailAction', () => {
  it('carry ids only, as unique actions of the wecoza-notifications group with the hooks’ attempt budgets', () => {
    const policies = createHookPolicies(testConfig());
    policies.declare('wecoza_enrich_notification', ENRICH_DEFAULTS);
    policies.declare('wecoza_send_notification_email', EMAIL_DEFAULTS);
    const enrich = enrichAction(12, policies);
    const email = emailAction(12, 34, policies);
    assert.deepEqual([enrich.argsText, enrich.group, enrich.unique, enrich.maxAttempts], ['{"log_id":12}', 'wecoza-notifications', true, 3]);
    assert.deepEqual([email.argsText, email.group, email.unique, email.maxAttempts], ['{"log_id":12,"delivery_id":34}', 'wecoza-notifications', true, 5]);
  });
});

describe('newMessageId and mailDomainOf', () => {
  it('builds a random Message-ID per delivery on the domain of MAIL_FROM', () => {
    assert.equal(mailDomainOf('WeCoza <notify@wecoza.example>'), 'wecoza.example');
    assert.equal(mailDomainOf('notify@mail.wecoza.example'), 'mail.wecoza.example');
    assert.equal(mailDomainOf('no address here'), 'wecoza-sidecar.localhost');
    const first = newMessageId(5, 'wecoza.example');
    assert.match(first, /^<wecoza\.5\.[0-9a-f-]{36}@wecoza\.example>$/);
    assert.notEqual(first, newMessageId(5, 'wecoza.example'));
  });
});

describe('aiAvailability and planRows', () => {
  it('asks for a summary only with AI on and a key, else names the skip reason', () => {
    assert.deepEqual(aiAvailability(settings(true), 'sk-x'), { kind: 'available', model: 'gpt-4o-mini' });
    assert.deepEqual(aiAvailability(settings(false), 'sk-x'), { kind: 'skip', code: 'feature_disabled' });
    assert.deepEqual(aiAvailability(settings(true), null), { kind: 'skip', code: 'config_missing' });
    assert.deepEqual(aiAvailability(settings(true), '  '), { kind: 'skip', code: 'config_missing' });
  });

  it('skips rows whose operation has no recipient, matching the operation without regard to case', () => {
    const rows = [
      { log_id: 1, operation: 'insert', class_id: 1, class_code: 'C1' },
      { log_id: 2, operation: 'UPDATE', class_id: 1, class_code: 'C1' },
      { log_id: 3, operation: 'DELETE', class_id: 1, class_code: null },
    ];
    const planned = planRows(rows, settings(true), { kind: 'available', model: 'm' });
    assert.deepEqual(planned.map((row) => [row.head.log_id, row.path, row.recipients.length]), [[1, 'enrich', 2], [2, 'skip', 0], [3, 'skip', 0]]);
    const direct = planRows(rows.slice(0, 1), settings(false), { kind: 'skip', code: 'feature_disabled' });
    assert.equal(direct[0]?.path, 'direct');
  });
});
