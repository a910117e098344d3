import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEmailArgs, parseEnrichArgs } from '../../../server/notifications/args.ts';
import { PermanentError } from '../../../server/runner/handlers.ts';

describe('parseEnrichArgs', () => {
  it('reads {"log_id": N}, also when PHP sent the id as a numeric string', () => {
    assert.equal(parseEnrichArgs({ log_id: 7 }), 7);
    assert.equal(parseEnrichArgs({ log_id: '7' }), 7);
  });

  it('refuses anything else as a permanent error', () => {
    for (const args of [[7], {}, { log_id: 0 }, { log_id: -1 }, { log_id: 1.5 }, { log_id: '7a' }, null]) {
      assert.throws(() => parseEnrichArgs(args), PermanentError, JSON.stringify(args));
    }
  });
});

describe('parseEmailArgs', () => {
  it('reads the sidecar shape {log_id, delivery_id}', () => {
    assert.deepEqual(parseEmailArgs({ log_id: 3, delivery_id: 9 }), { logId: 3, deliveryId: 9 });
  });

  it("reads WeCoza's shape {log_id, recipient} and ignores Phase 12's email_context", () => {
    assert.deepEqual(parseEmailArgs({ log_id: 3, recipient: ' ops@example.com ', email_context: [] }), { logId: 3, recipient: 'ops@example.com' });
  });

  it('refuses a recipient that is not an address without repeating the value', () => {
    assert.throws(() => parseEmailArgs({ log_id: 3, recipient: 'Thandi Mokoena' }), (error: Error) => error instanceof PermanentError && !error.message.includes('Thandi'));
  });

  it("reads WeCoza's urgent shape {log_id} alone as every configured recipient", () => {
    assert.deepEqual(parseEmailArgs({ log_id: 3 }), { logId: 3, everyRecipient: true });
    assert.deepEqual(parseEmailArgs({ log_id: '3', email_context: [] }), { logId: 3, everyRecipient: true });
  });

  it('refuses a missing or bad log id or delivery id, and a recipient that is present but empty', () => {
    for (const args of [{ delivery_id: 9 }, { log_id: 3, delivery_id: 'x' }, { log_id: 'x', delivery_id: 9 }, [3, 9], { log_id: 3, recipient: null }, { log_id: 3, recipient: '' }, {}]) {
      assert.throws(() => parseEmailArgs(args), PermanentError, JSON.stringify(args));
    }
  });
});
