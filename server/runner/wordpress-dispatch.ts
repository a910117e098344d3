import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { SnoozeError, type HandlerContext, type RunningAction } from './handlers.ts';
import { parseRetryAfter } from '../retry-after.ts';
import { truncateReason } from './outcomes.ts';

/**
 * Hooks without a built-in handler run in WordPress (DESIGN.md §4.2): a signed POST to
 * WP_CALLBACK_URL, answered by the bridge's REST route. 2xx completes the action; 429/503 with
 * Retry-After snooze it; anything else fails the attempt with the status and the remote's message.
 */
export const CONNECT_TIMEOUT_MS = 5_000;
/** What we read of a response: enough for an error message, never a whole error page in memory. */
const MAX_RESPONSE_BYTES = 64 * 1024;
const MAX_REMOTE_MESSAGE = 300;

export type Dispatch = (context: HandlerContext) => Promise<void>;

/**
 * The body, with `args` spliced in as the stored canonical text: re-serialising parsed args could
 * change number literals or key order, and the bridge must see exactly what was enqueued.
 * `claim_id` is unique per claim: a snooze or a lease expiry re-dispatches the same attempt number,
 * so the bridge's replay memory keys on the claim, not on the attempt.
 */
export function dispatchBody(action: RunningAction): string {
  return `{"action_id":${action.id},"hook":${JSON.stringify(action.hook)},"args":${action.argsText},"group":${JSON.stringify(action.group)},"attempt":${action.attempt},"claim_id":${JSON.stringify(action.claimToken)}}`;
}

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`, what the bridge recomputes. */
export function signatureOf(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The remote's own words: WordPress REST errors carry `message`; other shapes fall back to the text. */
export function remoteMessage(text: string): string {
  let message = text;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed !== null && typeof parsed === 'object') {
      const record = parsed as Record<string, unknown>;
      const error = record.error;
      if (typeof record.message === 'string') message = record.message;
      else if (typeof error === 'string') message = error;
      else if (error !== null && typeof error === 'object' && typeof (error as Record<string, unknown>).message === 'string') {
        message = (error as Record<string, unknown>).message as string;
      }
    }
  } catch {
    message = text.replace(/<[^>]*>/g, ' ');
  }
  return truncateReason(message, MAX_REMOTE_MESSAGE) || '(empty response)';
}

interface Response {
  status: number;
  retryAfter: string | undefined;
  text: string;
}

export function createWordPressDispatch(options: { url: string; secret: string; now?: () => number }): Dispatch {
  const target = new URL(options.url);
  const client = target.protocol === 'https:' ? https : http;
  // Keep-alive: at thousands of dispatches a minute a new TCP (and TLS) handshake each would dominate.
  const agent = new client.Agent({ keepAlive: true, maxSockets: 64 });
  const now = options.now ?? Date.now;

  const post = (body: string, timestamp: string, signal: AbortSignal): Promise<Response> =>
    new Promise((resolve, reject) => {
      const request = client.request(target, {
        method: 'POST',
        agent,
        signal,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-sidecar-timestamp': timestamp,
          'x-sidecar-signature': signatureOf(options.secret, timestamp, body),
          'user-agent': 'wecoza-sidecar',
        },
      });
      // The overall timeout is the action's signal; the connect timeout is ours.
      request.on('socket', (socket) => {
        if (!socket.connecting) return;
        const timer = setTimeout(() => request.destroy(new Error(`could not connect to WordPress within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
        socket.once('connect', () => clearTimeout(timer));
        socket.once('close', () => clearTimeout(timer));
      });
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          if (size < MAX_RESPONSE_BYTES) chunks.push(chunk);
          size += chunk.length;
        });
        response.on('end', () => {
          const header = response.headers['retry-after'];
          resolve({ status: response.statusCode ?? 0, retryAfter: Array.isArray(header) ? header[0] : header, text: Buffer.concat(chunks).toString('utf8') });
        });
        response.on('error', reject);
      });
      request.on('error', reject);
      request.end(body);
    });

  return async ({ action, signal }) => {
    const body = dispatchBody(action);
    const timestamp = String(Math.floor(now() / 1000));
    let response: Response;
    try {
      response = await post(body, timestamp, signal);
    } catch (error) {
      if (signal.aborted) throw signal.reason ?? error;
      throw new Error(`WordPress could not be reached: ${(error as Error).message}`, { cause: error });
    }
    if (response.status >= 200 && response.status < 300) return;
    const message = remoteMessage(response.text);
    if (response.status === 429 || response.status === 503) {
      const seconds = parseRetryAfter(response.retryAfter, now());
      if (seconds !== null) throw new SnoozeError(Math.max(1, seconds), `WordPress answered ${response.status} with Retry-After ${seconds} s: ${message}`);
    }
    throw new Error(`WordPress answered ${response.status}: ${message}`);
  };
}
