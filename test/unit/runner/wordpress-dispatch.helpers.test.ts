import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRetryAfter } from '../../../server/retry-after.ts';
import { dispatchBody, remoteMessage, signatureOf } from '../../../server/runner/wordpress-dispatch.ts';

describe('dispatchBody', () => {
  it('splices the stored canonical args verbatim, numbers and key order untouched', () => {
    const body = dispatchBody({
      id: 12, hook: 'wecoza_x', group: 'g"1', argsText: '{"z":1,"a":0.10,"n":123456789012345678901}', args: null, priority: 10, attempt: 2,
      maxAttempts: 3, claimToken: 't', scheduledAt: new Date(0),
    });
    assert.equal(body, '{"action_id":12,"hook":"wecoza_x","args":{"z":1,"a":0.10,"n":123456789012345678901},"group":"g\\"1","attempt":2,"claim_id":"t"}');
  });
});

describe('signatureOf', () => {
  it('is sha256= and the hex HMAC of "<timestamp>.<body>"', () => {
    // Known answer: printf '1700000000.{}' | openssl dgst -sha256 -hmac secret
    assert.equal(signatureOf('secret', '1700000000', '{}'), 'sha256=b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163');
    assert.notEqual(signatureOf('secret', '1700000000', '{}'), signatureOf('secret', '1700000001', '{}'));
  });
});

describe('parseRetryAfter', () => {
  it('reads delta seconds and HTTP dates, and nothing else', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('120', now), 120);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:01:30 GMT', now), 90);
    assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), null);
    assert.equal(parseRetryAfter(undefined, now), null);
  });
});

describe('remoteMessage', () => {
  it('takes the message of a WordPress REST error, of {error: {message}} and of {error: "..."}', () => {
    assert.equal(remoteMessage('{"code":"x","message":"Fatal error","data":{"status":500}}'), 'Fatal error');
    assert.equal(remoteMessage('{"error":{"code":"y","message":"nested"}}'), 'nested');
    assert.equal(remoteMessage('{"error":"flat"}'), 'flat');
  });

  it('strips an HTML error page to its text and truncates it', () => {
    assert.equal(remoteMessage('<html><body><h1>502 Bad Gateway</h1></body></html>'), '502 Bad Gateway');
    const long = remoteMessage(`<p>${'word '.repeat(200)}</p>`);
    assert.equal(long.length, 300);
  });

  it('says so when the body is empty', () => {
    assert.equal(remoteMessage(''), '(empty response)');
  });
});
