/**
 * An OpenAI-compatible chat completions server on loopback, for driving the real `openai` client.
 * Each request takes the next queued behaviour, or the default one when the queue is empty, and
 * every request body is kept so tests can probe the prompts for personal data.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeOpenAiBehaviour =
  | { kind: 'success'; content?: string; totalTokens?: number; delayMs?: number }
  /** 429 rate limit; `retryAfter` is sent verbatim as the Retry-After header when given. */
  | { kind: 'rate_limit'; retryAfter?: string; delayMs?: number }
  /** 429 with OpenAI's `insufficient_quota` error body. */
  | { kind: 'insufficient_quota'; delayMs?: number }
  /** Any status with an OpenAI-shaped error body (500, 401, 400, 503 …). */
  | { kind: 'error'; status: number; message?: string; code?: string; headers?: Record<string, string>; delayMs?: number }
  /** A 200 whose body is not JSON. */
  | { kind: 'malformed'; delayMs?: number }
  /** Never answers; the connection stays open until the client gives up or the server closes. */
  | { kind: 'hang' };

export interface ReceivedChatRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  /** The parsed JSON body, or the raw text when it was not JSON. */
  body: unknown;
  receivedAt: Date;
}

export interface FakeOpenAi {
  /** Base URL for the client, ending at `/v1`. */
  readonly baseURL: string;
  readonly requests: readonly ReceivedChatRequest[];
  /** Behaviours for the next requests, in order. */
  enqueue(...behaviours: FakeOpenAiBehaviour[]): void;
  setDefault(behaviour: FakeOpenAiBehaviour): void;
  /** Added before every answer (not to `hang`), e.g. 200 ms for a benchmark. */
  setLatency(ms: number): void;
  /** Every message content of every request, joined: the text to probe for personal data. */
  promptText(): string;
  close(): Promise<void>;
}

export interface FakeOpenAiOptions {
  latencyMs?: number;
  defaultBehaviour?: FakeOpenAiBehaviour;
}

export const FAKE_SUMMARY = '- A class change was recorded.\n- No issues detected.';
const COMPLETIONS_PATH = '/v1/chat/completions';

export async function startFakeOpenAi(options: FakeOpenAiOptions = {}): Promise<FakeOpenAi> {
  const queue: FakeOpenAiBehaviour[] = [];
  const requests: ReceivedChatRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let defaultBehaviour: FakeOpenAiBehaviour = options.defaultBehaviour ?? { kind: 'success' };
  let latencyMs = options.latencyMs ?? 0;
  let sequence = 0;

  const wait = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (ms <= 0) return resolve();
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const server = createServer((request, response) => {
    void handle(request, response).catch(() => {
      if (!response.headersSent) sendJson(response, 500, { error: { message: 'fake server failure' } });
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const text = await readBody(request);
    const path = (request.url ?? '').split('?')[0] ?? '';
    if (request.method !== 'POST' || path !== COMPLETIONS_PATH) {
      sendJson(response, 404, { error: { message: `no route ${request.method} ${path}`, type: 'invalid_request_error' } });
      return;
    }
    const body = parseJson(text);
    requests.push({ method: request.method, path, authorization: request.headers.authorization, body, receivedAt: new Date() });
    const behaviour = queue.shift() ?? defaultBehaviour;
    if (behaviour.kind === 'hang') return;
    await wait(latencyMs + (behaviour.delayMs ?? 0));
    if (response.destroyed) return;
    sequence += 1;
    answer(response, behaviour, body, sequence);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    enqueue: (...behaviours) => void queue.push(...behaviours),
    setDefault: (behaviour) => void (defaultBehaviour = behaviour),
    setLatency: (ms) => void (latencyMs = ms),
    promptText: () => requests.map((request) => messageContents(request.body).join('\n')).join('\n'),
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        // Hanging and keep-alive connections would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}

function answer(response: ServerResponse, behaviour: Exclude<FakeOpenAiBehaviour, { kind: 'hang' }>, body: unknown, sequence: number): void {
  switch (behaviour.kind) {
    case 'success': {
      const totalTokens = behaviour.totalTokens ?? 120;
      const promptTokens = Math.floor(totalTokens * 0.8);
      sendJson(response, 200, {
        id: `chatcmpl-fake-${sequence}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: requestedModel(body),
        choices: [
          { index: 0, message: { role: 'assistant', content: behaviour.content ?? FAKE_SUMMARY, refusal: null }, finish_reason: 'stop', logprobs: null },
        ],
        usage: { prompt_tokens: promptTokens, completion_tokens: totalTokens - promptTokens, total_tokens: totalTokens },
      });
      return;
    }
    case 'rate_limit':
      sendJson(
        response,
        429,
        { error: { message: 'Rate limit reached for requests', type: 'requests', param: null, code: 'rate_limit_exceeded' } },
        behaviour.retryAfter === undefined ? {} : { 'retry-after': behaviour.retryAfter },
      );
      return;
    case 'insufficient_quota':
      sendJson(response, 429, {
        error: { message: 'You exceeded your current quota.', type: 'insufficient_quota', param: null, code: 'insufficient_quota' },
      });
      return;
    case 'error':
      sendJson(
        response,
        behaviour.status,
        { error: { message: behaviour.message ?? `fake error ${behaviour.status}`, type: 'server_error', param: null, code: behaviour.code ?? null } },
        behaviour.headers ?? {},
      );
      return;
    case 'malformed':
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('<html>not json</html>');
      return;
  }
}

function sendJson(response: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(payload));
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function requestedModel(body: unknown): string {
  const model = isRecord(body) ? body['model'] : undefined;
  return typeof model === 'string' ? model : 'fake-model';
}

/** The `content` of every message in a chat completions body. */
export function messageContents(body: unknown): string[] {
  const messages = isRecord(body) ? body['messages'] : undefined;
  if (!Array.isArray(messages)) return [];
  return messages.flatMap((message: unknown) => {
    const content = isRecord(message) ? message['content'] : undefined;
    return typeof content === 'string' ? [content] : [];
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
