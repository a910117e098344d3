import assert from 'node:assert/strict';
import net from 'node:net';
import { it } from 'node:test';
import { buildTestApp, TEST_TOKEN, type TestApp } from '../../support/app.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { delay } from '../../support/runner.ts';

/**
 * A real listening server (the HTTP parser and the socket are what is tested): slow bodies are cut,
 * one address cannot hold every connection, and what the parser refuses still answers in the one
 * error shape.
 */

interface RawExchange {
  socket: net.Socket;
  /** Everything the server wrote, once it closed the connection. */
  closed: Promise<string>;
}

function connect(port: number): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString()));
    socket.on('error', () => undefined);
    const closed = new Promise<string>((done) => socket.on('close', () => done(received)));
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('error', reject);
  });
}

function errorOf(response: string): { status: number; body: { error: { code: string; message: string } } } {
  const [head, body] = response.split('\r\n\r\n', 2) as [string, string];
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), body: JSON.parse(body) };
}

async function listen(t: TestApp): Promise<number> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address();
  assert.ok(address !== null && typeof address === 'object');
  return address.port;
}

async function metricsText(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } })).text();
}

describeEachDatabase('slow and greedy clients', import.meta.url, (ctx) => {
  it('cuts a body dripped one byte at a time after the request timeout, with 408 in the error shape', { timeout: 30_000 }, async () => {
    const t = await buildTestApp(ctx.db, { requestTimeoutSeconds: 1 });
    try {
      const port = await listen(t);
      const { socket, closed } = await connect(port);
      socket.write(`POST /v1/actions/async HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TEST_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 60\r\n\r\n{`);
      let dripped = 0;
      const drip = setInterval(() => {
        if (!socket.destroyed && dripped++ < 50) socket.write(' ');
      }, 250);
      const started = Date.now();
      const response = await closed;
      clearInterval(drip);
      // 50 drips would take 12.5 s; the timeout is 1 s, checked every second.
      assert.ok(Date.now() - started < 10_000, `the connection stayed open ${Date.now() - started} ms`);
      const { status, body } = errorOf(response);
      assert.equal(status, 408, response);
      assert.equal(body.error.code, 'request_timeout');
      assert.match(await metricsText(port), /^sidecar_http_request_timeouts_total 1$/m);
      assert.equal((await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${ctx.db.schema}.actions`)).rows[0]?.n, 0);
    } finally {
      await t.close();
    }
  });

  it('closes connections past the bound per client address with 503, and counts them', { timeout: 30_000 }, async () => {
    const t = await buildTestApp(ctx.db, { maxConnectionsPerAddress: 3 });
    try {
      const port = await listen(t);
      const held = await Promise.all([connect(port), connect(port), connect(port)]);
      await delay(100);
      const extra = await connect(port);
      const { status, body } = errorOf(await extra.closed);
      assert.equal(status, 503);
      assert.equal(body.error.code, 'too_many_connections');
      for (const { socket } of held) socket.destroy();
      await Promise.all(held.map(({ closed }) => closed));
      await delay(100);
      const metrics = await metricsText(port);
      assert.match(metrics, /^sidecar_http_connections_refused_total 1$/m);
      // The scrape itself is the one open connection now.
      assert.match(metrics, /^sidecar_http_open_connections 1$/m);
    } finally {
      await t.close();
    }
  });

  it('answers headers over the limit with 431 and a malformed request with 400, in the error shape', async () => {
    const t = await buildTestApp(ctx.db);
    try {
      const port = await listen(t);
      const big = await connect(port);
      big.socket.write(`GET /v1/actions HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`);
      const large = errorOf(await big.closed);
      assert.deepEqual([large.status, large.body.error.code], [431, 'headers_too_large']);
      const broken = await connect(port);
      broken.socket.write('NOT HTTP AT ALL\r\n\r\n');
      const bad = errorOf(await broken.closed);
      assert.deepEqual([bad.status, bad.body.error.code], [400, 'bad_request']);
    } finally {
      await t.close();
    }
  });
}, { kinds: ['pglite'] });
