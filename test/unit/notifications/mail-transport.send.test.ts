import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifySmtpError, createMailTransport, outboxFileStem } from '../../../server/notifications/mail-transport.ts';
import type { MailTransport, OutgoingMail } from '../../../server/notifications/mail-transport.ts';
import { readMessageId, startSmtpSink } from '../../support/smtp-sink.ts';
import type { SmtpSink } from '../../support/smtp-sink.ts';

const CREDENTIALS = { user: 'sidecar', pass: 'secret' };
const FROM = 'WeCoza <notifications@example.com>';
const TIMEOUTS = { connectionMs: 1000, greetingMs: 1000, socketMs: 2000 };
let sequence = 0;

function mail(to = 'ops@example.com'): OutgoingMail {
  sequence += 1;
  return {
    messageId: `<notification-${sequence}.${Date.now()}@wecoza-sidecar>`,
    to,
    subject: '[WeCoza] Class insert: 1 (IMP021813)',
    html: '<p>Hello</p>',
    text: 'Hello',
  };
}

describe('createMailTransport().send over SMTP', () => {
  let sink: SmtpSink;
  let transport: MailTransport;
  const outboxDir = join(tmpdir(), 'unused-outbox');

  before(async () => {
    sink = await startSmtpSink({ auth: CREDENTIALS });
    transport = createMailTransport({ smtpUrl: sink.url(), outboxDir, from: FROM, timeouts: TIMEOUTS });
  });
  after(async () => {
    await transport.close();
    await sink.stop();
  });

  it('uses SMTP mode when a URL is given', () => {
    assert.equal(transport.mode, 'smtp');
  });

  it('is accepted with the 250 code and delivers the caller Message-ID', async () => {
    const message = mail();
    const result = await transport.send(message);
    assert.deepEqual(result.accepted ? [result.code, result.response] : result, [250, '250 OK: queued']);
    const received = sink.messages.at(-1);
    assert.equal(received?.messageId, message.messageId);
    assert.deepEqual(received?.envelope, { from: 'notifications@example.com', to: ['ops@example.com'] });
  });

  it('fails temporarily on a 451 at DATA, then goes through with the same Message-ID', async () => {
    const message = mail();
    sink.replyToData({ code: 451, message: 'Try again later' });
    const first = await transport.send(message);
    assert.deepEqual(first.accepted ? first : [first.kind, first.reason, first.code], ['temporary', 'message_rejected', 451]);
    const second = await transport.send(message);
    assert.equal(second.accepted, true);
    assert.equal(sink.messages.filter((received) => received.messageId === message.messageId).length, 1);
  });

  it('fails permanently on a 550 at RCPT and keeps code and text apart', async () => {
    const message = mail('gone@example.com');
    sink.replyToRcpt('gone@example.com', { code: 550, message: 'No such user gone@example.com' });
    const result = await transport.send(message);
    assert.deepEqual(result.accepted ? result : [result.kind, result.reason, result.code, result.auth], ['permanent', 'recipient_rejected', 550, false]);
    assert.ok(!result.accepted && result.response === '550 No such user gone@example.com');
  });

  it('fails permanently on a 554 at DATA', async () => {
    sink.replyToData({ code: 554, message: 'Message rejected as spam' });
    const result = await transport.send(mail());
    assert.deepEqual(result.accepted ? result : [result.kind, result.reason, result.code], ['permanent', 'message_rejected', 554]);
  });

  it('fails temporarily when the server is down, and sends again once it is back', async () => {
    await sink.stop();
    const down = await transport.send(mail());
    assert.deepEqual(down.accepted ? down : [down.kind, down.reason, down.code], ['temporary', 'connection_failed', null]);
    await sink.start();
    const up = await transport.send(mail());
    assert.equal(up.accepted, true);
  });

  it('fails temporarily with aborted when the signal has fired', async () => {
    const result = await transport.send({ ...mail(), signal: AbortSignal.abort() });
    assert.deepEqual(result.accepted ? result : [result.kind, result.reason], ['temporary', 'aborted']);
  });
});

describe('createMailTransport().send with refused credentials', () => {
  it('fails temporarily on 535 and flags the failure as authentication', async () => {
    const sink = await startSmtpSink({ auth: CREDENTIALS });
    const transport = createMailTransport({ smtpUrl: sink.url({ user: 'sidecar', pass: 'wrong' }), outboxDir: tmpdir(), from: FROM, timeouts: TIMEOUTS });
    try {
      const result = await transport.send(mail());
      assert.deepEqual(result.accepted ? result : [result.kind, result.reason, result.code, result.auth], ['temporary', 'auth_failed', 535, true]);
      assert.equal(sink.authFailures, 1);
      assert.equal(sink.messages.length, 0);
    } finally {
      await transport.close();
      await sink.stop();
    }
  });
});

describe('createMailTransport().send into the outbox', () => {
  let outboxDir: string;

  before(async () => {
    outboxDir = await mkdtemp(join(tmpdir(), 'sidecar-outbox-'));
  });
  afterEach(async () => {
    for (const name of await readdir(outboxDir)) await rm(join(outboxDir, name), { recursive: true, force: true });
  });
  after(async () => {
    await rm(outboxDir, { recursive: true, force: true });
  });

  it('uses outbox mode without a URL', () => {
    assert.equal(createMailTransport({ outboxDir, from: FROM }).mode, 'outbox');
  });

  it('writes one parseable .eml named after the Message-ID', async () => {
    const transport = createMailTransport({ outboxDir: join(outboxDir, 'nested'), from: FROM });
    const message = mail();
    const result = await transport.send(message);
    assert.deepEqual(result.accepted ? result.code : result, null);
    const files = await readdir(join(outboxDir, 'nested'));
    assert.deepEqual(files, [`${outboxFileStem(message.messageId)}.eml`]);
    const raw = await readFile(join(outboxDir, 'nested', files[0] ?? ''), 'utf8');
    assert.equal(readMessageId(raw), message.messageId);
    assert.match(raw, /^Subject: \[WeCoza\] Class insert: 1 \(IMP021813\)\r$/m);
    assert.match(raw, /^To: ops@example\.com\r$/m);
    assert.match(raw, /^Content-Type: multipart\/alternative;/m);
    assert.match(raw, /\r\n\r\n/);
  });

  it('replaces the file when the same Message-ID is sent again', async () => {
    const transport = createMailTransport({ outboxDir, from: FROM });
    const message = mail();
    await transport.send(message);
    await transport.send({ ...message, text: 'second copy' });
    const files = await readdir(outboxDir);
    assert.equal(files.length, 1);
    assert.match(await readFile(join(outboxDir, files[0] ?? ''), 'utf8'), /second copy/);
  });

  it('fails temporarily when the outbox cannot be written', async () => {
    const regularFile = join(outboxDir, 'not-a-directory');
    await writeFile(regularFile, 'x');
    const result = await createMailTransport({ outboxDir: join(regularFile, 'outbox'), from: FROM }).send(mail());
    assert.deepEqual(result.accepted ? result : [result.kind, result.reason], ['temporary', 'outbox_write_failed']);
  });

  it('leaves no temporary file behind', async () => {
    await createMailTransport({ outboxDir, from: FROM }).send(mail());
    const names = await readdir(outboxDir);
    assert.deepEqual(names.filter((name) => !name.endsWith('.eml')), []);
  });
});

describe('classifySmtpError', () => {
  it('treats a 503 bad sequence as temporary', () => {
    const result = classifySmtpError(Object.assign(new Error('bad sequence'), { responseCode: 503, command: 'RCPT TO', response: '503 Bad sequence' }));
    assert.deepEqual(result.accepted ? result : result.kind, 'temporary');
  });

  it('treats a 5xx greeting as a temporary refusal of the server', () => {
    const result = classifySmtpError(Object.assign(new Error('no service'), { responseCode: 554, command: 'CONN', response: '554 No SMTP service' }));
    assert.deepEqual(result.accepted ? result : [result.kind, result.reason], ['temporary', 'server_refused']);
  });

  it('treats a 530 at MAIL FROM as an authentication problem', () => {
    const result = classifySmtpError(Object.assign(new Error('auth required'), { code: 'EENVELOPE', responseCode: 530, command: 'MAIL FROM', response: '530 Authentication required' }));
    assert.deepEqual(result.accepted ? result : [result.kind, result.auth], ['temporary', true]);
  });

  it('treats a connection timeout as temporary', () => {
    const result = classifySmtpError(Object.assign(new Error('Connection timeout'), { code: 'ETIMEDOUT', command: 'CONN' }));
    assert.deepEqual(result.accepted ? result : [result.kind, result.reason], ['temporary', 'timeout']);
  });
});

describe('outboxFileStem', () => {
  it('drops the angle brackets and replaces unsafe characters', () => {
    assert.equal(outboxFileStem('<a/b\\c d@host>'), 'a_b_c_d@host');
  });

  it('never yields a hidden file name', () => {
    assert.equal(outboxFileStem('<.hidden@host>'), 'msg_.hidden@host');
  });
});
