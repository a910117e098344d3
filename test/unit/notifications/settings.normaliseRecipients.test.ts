import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normaliseRecipients, recipientsFor } from '../../../server/notifications/settings.ts';

describe('normaliseRecipients', () => {
  it('upper-cases operations, trims and drops addresses repeated in another case, keeping the first spelling', () => {
    assert.deepEqual(normaliseRecipients({ insert: ['Ops@Example.com', 'ops@example.com ', 'qa@example.com'], Update: [] }), {
      INSERT: ['Ops@Example.com', 'qa@example.com'],
      UPDATE: [],
    });
  });

  it('refuses two keys for one operation', () => {
    assert.throws(() => normaliseRecipients({ INSERT: ['a@example.com'], insert: ['b@example.com'] }), /both INSERT and insert/);
  });
});

describe('recipientsFor', () => {
  it('answers an empty list for an operation nobody configured', () => {
    const settings = { recipients: { INSERT: ['a@example.com'] }, ai: { enabled: true, model: 'm' }, updatedAt: new Date(0) };
    assert.deepEqual(recipientsFor(settings, 'insert'), ['a@example.com']);
    assert.deepEqual(recipientsFor(settings, 'UPDATE'), []);
  });
});
