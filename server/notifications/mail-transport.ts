/**
 * Sends one notification e-mail, over SMTP (nodemailer, pooled) or into an outbox folder of
 * `.eml` files when no SMTP server is configured, and classifies every failure as temporary
 * (retry) or permanent (give up on this delivery).
 *
 * The SMTP code and the server's text are kept apart: the text often echoes the recipient
 * address, so callers log the code and store the text only in the delivery ledger.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { NodemailerError } from 'nodemailer/lib/errors';

export interface MailTransportOptions {
  /** `smtp://user:pass@host:587` or `smtps://…`; without it, messages go to `outboxDir`. */
  smtpUrl?: string;
  outboxDir: string;
  /** The From header, e.g. `WeCoza <notifications@example.com>`. */
  from: string;
  /** Overrides for tests; production keeps the defaults below. */
  timeouts?: Partial<SmtpTimeouts>;
  maxConnections?: number;
}

export interface SmtpTimeouts {
  connectionMs: number;
  greetingMs: number;
  socketMs: number;
}

export interface OutgoingMail {
  /** Fixed by the caller before the first attempt, so every retry carries the same one. */
  messageId: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  signal?: AbortSignal;
}

/** Why a send failed, in words safe for action logs (never the address). */
export type MailFailureReason =
  | 'auth_failed'
  | 'sender_rejected'
  | 'recipient_rejected'
  | 'message_rejected'
  | 'server_refused'
  | 'connection_failed'
  | 'timeout'
  | 'aborted'
  | 'outbox_write_failed'
  | 'unknown';

export type MailSendResult =
  | {
      accepted: true;
      /** The server's final reply, or where the outbox file went. */
      response: string;
      /** The SMTP reply code (250); null in outbox mode, where no server answered. */
      code: number | null;
    }
  | {
      accepted: false;
      /** `temporary`: try again later; `permanent`: this message to this recipient will not go. */
      kind: 'temporary' | 'permanent';
      reason: MailFailureReason;
      code: number | null;
      /** The server's reply text; may contain the address, so keep it out of logs. */
      response: string | null;
      /** Credentials were refused: every send will fail until the configuration changes. */
      auth: boolean;
    };

export interface MailTransport {
  readonly mode: 'smtp' | 'outbox';
  send(mail: OutgoingMail): Promise<MailSendResult>;
  close(): Promise<void>;
}

// Short on purpose: a dead server should cost a job seconds, not the 2-minute nodemailer default,
// and the runner retries with backoff anyway.
const DEFAULT_TIMEOUTS: SmtpTimeouts = { connectionMs: 10_000, greetingMs: 10_000, socketMs: 30_000 };
// Matches the default e-mail concurrency cap of the runner; more connections would sit idle.
const DEFAULT_MAX_CONNECTIONS = 4;
const AUTH_REPLY_CODES = new Set([454, 530, 534, 535, 538]);

/**
 * SMTP when `smtpUrl` is set (pooled, short timeouts), else `.eml` files in `outboxDir`.
 * `send` never throws for a delivery outcome: it resolves accepted, or a classified failure.
 */
export function createMailTransport(options: MailTransportOptions): MailTransport {
  return options.smtpUrl === undefined || options.smtpUrl.trim() === ''
    ? createOutboxTransport(options)
    : createSmtpTransport(options.smtpUrl, options);
}

function createSmtpTransport(smtpUrl: string, options: MailTransportOptions): MailTransport {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const transporter = nodemailer.createTransport({
    pool: true,
    url: smtpUrl,
    maxConnections: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    connectionTimeout: timeouts.connectionMs,
    greetingTimeout: timeouts.greetingMs,
    socketTimeout: timeouts.socketMs,
    dnsTimeout: timeouts.connectionMs,
  });
  return {
    mode: 'smtp',
    async send(mail) {
      try {
        const info = await transporter.sendMail({ ...composeMessage(mail, options.from), signal: mail.signal });
        return { accepted: true, response: info.response, code: readReplyCode(info.response) };
      } catch (error: unknown) {
        return classifySmtpError(error);
      }
    },
    async close() {
      transporter.close();
    },
  };
}

function createOutboxTransport(options: MailTransportOptions): MailTransport {
  // Builds the same RFC 5322 message SMTP would carry, CRLF line ends as on the wire.
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  return {
    mode: 'outbox',
    async send(mail) {
      if (mail.signal?.aborted === true) return failure('temporary', 'aborted', null, null);
      let tempPath: string | null = null;
      try {
        const info = await composer.sendMail(composeMessage(mail, options.from));
        if (!Buffer.isBuffer(info.message)) throw new Error('the stream transport did not return a buffer');
        const fileName = `${outboxFileStem(mail.messageId)}.eml`;
        await mkdir(options.outboxDir, { recursive: true });
        // Write then rename in one directory: a reader never sees half a file, and a retry with
        // the same Message-ID replaces the file instead of adding a second copy.
        tempPath = join(options.outboxDir, `.${fileName}.${randomBytes(6).toString('hex')}.tmp`);
        await writeFile(tempPath, info.message, { flag: 'wx' });
        await rename(tempPath, join(options.outboxDir, fileName));
        tempPath = null;
        return { accepted: true, response: `written to outbox as ${fileName}`, code: null };
      } catch (error: unknown) {
        const message = error instanceof Error ? error.message : String(error);
        return failure('temporary', 'outbox_write_failed', null, message);
      } finally {
        if (tempPath !== null) await rm(tempPath, { force: true }).catch(() => undefined);
      }
    },
    async close() {
      composer.close();
    },
  };
}

function composeMessage(mail: OutgoingMail, from: string) {
  return {
    from,
    to: mail.to,
    subject: mail.subject,
    html: mail.html,
    text: mail.text,
    messageId: normaliseMessageId(mail.messageId),
  };
}

/**
 * Sorts a nodemailer error into a result. Permanent only for a 5xx to MAIL FROM, RCPT TO or the
 * message itself (except 503 and the authentication codes); everything else may pass later.
 */
export function classifySmtpError(error: unknown): MailSendResult {
  const err = (error ?? {}) as NodemailerError;
  const code = typeof err.responseCode === 'number' ? err.responseCode : null;
  const response = typeof err.response === 'string' ? err.response : null;
  const command = (err.command ?? '').toUpperCase();

  if (err.code === 'EAUTH' || err.code === 'ENOAUTH' || (code !== null && AUTH_REPLY_CODES.has(code))) {
    return failure('temporary', 'auth_failed', code, response, true);
  }
  if (err.code === 'EABORT' || (error instanceof Error && error.name === 'AbortError')) {
    return failure('temporary', 'aborted', code, response);
  }
  if (code !== null) {
    const stage = replyStage(command, err.code);
    const permanent = code >= 500 && code !== 503 && stage !== 'server_refused';
    return failure(permanent ? 'permanent' : 'temporary', stage, code, response);
  }
  if (err.code === 'ETIMEDOUT') return failure('temporary', 'timeout', null, response ?? err.message ?? null);
  if (err.code === 'ECONNECTION' || err.code === 'ESOCKET' || err.code === 'EDNS' || err.code === 'ETLS' || err.code === 'EPROTOCOL') {
    return failure('temporary', 'connection_failed', null, response ?? err.message ?? null);
  }
  return failure('temporary', 'unknown', null, response ?? (error instanceof Error ? error.message : String(error)));
}

function replyStage(command: string, errorCode: string | undefined): MailFailureReason {
  if (command.startsWith('RCPT')) return 'recipient_rejected';
  if (command.startsWith('MAIL')) return 'sender_rejected';
  if (command.startsWith('DATA') || command === '.' || errorCode === 'EMESSAGE') return 'message_rejected';
  // A 5xx to the greeting or EHLO refuses the connection, not this message.
  return 'server_refused';
}

function failure(
  kind: 'temporary' | 'permanent',
  reason: MailFailureReason,
  code: number | null,
  response: string | null,
  auth = false,
): MailSendResult {
  return { accepted: false, kind, reason, code, response, auth };
}

function readReplyCode(response: string | undefined): number | null {
  const match = /^(\d{3})/.exec(response ?? '');
  return match?.[1] === undefined ? null : Number(match[1]);
}

function normaliseMessageId(messageId: string): string {
  const bare = messageId.trim().replace(/^<|>$/g, '');
  return `<${bare}>`;
}

/** A file name from a Message-ID: `<abc@host>` → `abc@host`, unsafe characters replaced. */
export function outboxFileStem(messageId: string): string {
  const stem = messageId.trim().replace(/^<|>$/g, '').replace(/[^A-Za-z0-9@._-]/g, '_');
  return stem === '' || stem.startsWith('.') ? `msg_${stem}` : stem;
}
