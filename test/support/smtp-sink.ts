/**
 * A real `smtp-server` on loopback that records what it accepts and answers what a test asks:
 * per recipient at RCPT TO, per message at the end of DATA, and 535 for wrong credentials.
 * `stop()` and `start()` reuse the port, to simulate a mail server that goes down and comes back.
 */
import { SMTPServer } from 'smtp-server';
import type { SMTPServerAddress, SMTPServerAuthentication, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import type { AddressInfo } from 'node:net';

/** A reply to send instead of accepting; codes ≥ 400 only. */
export interface SmtpReply {
  code: number;
  message?: string;
}

export interface ReceivedMail {
  envelope: { from: string | null; to: string[] };
  raw: string;
  /** The Message-ID header, with its angle brackets. */
  messageId: string | null;
  receivedAt: Date;
}

export interface SmtpSinkOptions {
  /** When set, clients must authenticate with these credentials; anything else gets 535. */
  auth?: { user: string; pass: string };
  /** Defaults to a free port; after the first start the same port is reused. */
  port?: number;
}

export interface SmtpSink {
  readonly host: string;
  readonly port: number;
  /** `smtp://[user:pass@]127.0.0.1:port`, with the given credentials or the configured ones. */
  url(credentials?: { user: string; pass: string }): string;
  /** Messages whose DATA was accepted, in order. */
  readonly messages: readonly ReceivedMail[];
  /** How many messages reached the end of DATA, accepted or not. */
  readonly dataAttempts: number;
  /** How many AUTH attempts were rejected. */
  readonly authFailures: number;
  /** Replies for the next RCPT TO of `address` (case-insensitive), or of any address with `*`. */
  replyToRcpt(address: string, ...replies: SmtpReply[]): void;
  /** Replies for the next messages at the end of DATA. */
  replyToData(...replies: SmtpReply[]): void;
  /** Change the credentials the server accepts (a sink started with `auth` only): a fixed password. */
  setAuth(auth: { user: string; pass: string }): void;
  /** Called when a message is accepted, before the 250 goes out: a test can kill the sender here. */
  onAccepted(listener: ((mail: ReceivedMail) => void) | null): void;
  readonly listening: boolean;
  stop(): Promise<void>;
  start(): Promise<void>;
}

const HOST = '127.0.0.1';
// Long enough for a reply in flight to reach the client, short enough for quick tests.
const CLOSE_TIMEOUT_MS = 50;
const ANY_RECIPIENT = '*';

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: ReceivedMail[] = [];
  const rcptReplies = new Map<string, SmtpReply[]>();
  const dataReplies: SmtpReply[] = [];
  let dataAttempts = 0;
  let authFailures = 0;
  let port = options.port ?? 0;
  let acceptedAuth = options.auth;
  let acceptedListener: ((mail: ReceivedMail) => void) | null = null;
  let server: SMTPServer | null = null;

  const replyError = (reply: SmtpReply): Error =>
    Object.assign(new Error(reply.message ?? `fake reply ${reply.code}`), { responseCode: reply.code });

  const takeRcptReply = (address: string): SmtpReply | undefined =>
    rcptReplies.get(address.toLowerCase())?.shift() ?? rcptReplies.get(ANY_RECIPIENT)?.shift();

  function createSmtpServer(): SMTPServer {
    return new SMTPServer({
      // Plain loopback only: STARTTLS off, AUTH allowed without TLS, no reverse DNS lookups.
      disabledCommands: options.auth === undefined ? ['STARTTLS', 'AUTH'] : ['STARTTLS'],
      allowInsecureAuth: true,
      authOptional: options.auth === undefined,
      disableReverseLookup: true,
      logger: false,
      closeTimeout: CLOSE_TIMEOUT_MS,
      onAuth(auth: SMTPServerAuthentication, _session: SMTPServerSession, callback) {
        const expected = acceptedAuth;
        if (expected !== undefined && auth.username === expected.user && auth.password === expected.pass) {
          callback(null, { user: auth.username });
          return;
        }
        authFailures += 1;
        callback(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }));
      },
      onRcptTo(address: SMTPServerAddress, _session: SMTPServerSession, callback) {
        const reply = takeRcptReply(address.address);
        callback(reply === undefined ? null : replyError(reply));
      },
      onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          dataAttempts += 1;
          const reply = dataReplies.shift();
          if (reply !== undefined) {
            callback(replyError(reply));
            return;
          }
          const raw = Buffer.concat(chunks).toString('utf8');
          const from = session.envelope.mailFrom;
          const mail: ReceivedMail = {
            envelope: { from: from === false ? null : from.address, to: session.envelope.rcptTo.map((rcpt) => rcpt.address) },
            raw,
            messageId: readMessageId(raw),
            receivedAt: new Date(),
          };
          messages.push(mail);
          acceptedListener?.(mail);
          callback(null, 'OK: queued');
        });
      },
    });
  }

  async function start(): Promise<void> {
    if (server !== null) return;
    const next = createSmtpServer();
    await new Promise<void>((resolve, reject) => {
      next.server.once('error', reject);
      next.listen(port, HOST, () => {
        next.server.off('error', reject);
        resolve();
      });
    });
    port = (next.server.address() as AddressInfo).port;
    server = next;
  }

  async function stop(): Promise<void> {
    const current = server;
    if (current === null) return;
    server = null;
    await new Promise<void>((resolve) => current.close(() => resolve()));
  }

  await start();

  return {
    host: HOST,
    get port() {
      return port;
    },
    url(credentials = options.auth) {
      const userInfo = credentials === undefined ? '' : `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.pass)}@`;
      return `smtp://${userInfo}${HOST}:${port}`;
    },
    messages,
    get dataAttempts() {
      return dataAttempts;
    },
    get authFailures() {
      return authFailures;
    },
    replyToRcpt(address, ...replies) {
      const key = address === ANY_RECIPIENT ? ANY_RECIPIENT : address.toLowerCase();
      rcptReplies.set(key, [...(rcptReplies.get(key) ?? []), ...replies]);
    },
    replyToData(...replies) {
      dataReplies.push(...replies);
    },
    setAuth(auth) {
      if (options.auth === undefined) throw new Error('setAuth needs a sink started with auth');
      acceptedAuth = auth;
    },
    onAccepted(listener) {
      acceptedListener = listener;
    },
    get listening() {
      return server !== null;
    },
    stop,
    start,
  };
}

/** The Message-ID header of a raw message, unfolded. */
export function readMessageId(raw: string): string | null {
  const headerEnd = raw.search(/\r?\n\r?\n/);
  const headers = (headerEnd === -1 ? raw : raw.slice(0, headerEnd)).replace(/\r?\n[ \t]+/g, ' ');
  const match = /^message-id:\s*(.+)$/im.exec(headers);
  return match?.[1]?.trim() ?? null;
}
