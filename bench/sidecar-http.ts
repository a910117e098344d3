/**
 * The sidecar as a child process and a keep-alive HTTP client for it, for benches that measure the
 * real service: `node --import tsx server/main.ts`, as `npm start` runs it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const START_TIMEOUT_MS = 30_000;

export interface SidecarChild {
  child: ChildProcess;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM (graceful close) and wait for the exit. */
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function answersHealthz(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    http
      .get({ host: '127.0.0.1', port, path: '/healthz' }, (response) => {
        response.resume();
        resolve(response.statusCode === 200);
      })
      .on('error', () => resolve(false));
  });
}

/**
 * Start the sidecar on `port` with `env` over this process's environment; resolves once /healthz
 * answers (main.ts migrates before it listens). Its stdout (banner, request logs) goes to /dev/null:
 * written as deployed, read by nobody, since a pipe would make the bench process pay for every line.
 */
export async function startSidecar(port: number, env: Record<string, string>): Promise<SidecarChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), ...env },
  });
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const sidecar: SidecarChild = {
    child,
    stderr: () => errors,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the sidecar exited with ${child.exitCode}:\n${errors}`);
    if (await answersHealthz(port)) return sidecar;
    if (Date.now() > deadline) {
      await sidecar.stop();
      throw new Error(`the sidecar did not answer /healthz within ${START_TIMEOUT_MS / 1000} s:\n${errors}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface HttpClient {
  post(pathname: string, body: string): Promise<{ status: number; text: string }>;
  get(pathname: string): Promise<{ status: number; text: string }>;
  close(): void;
}

/** POST JSON (or GET) with a bearer token over at most `sockets` keep-alive connections. */
export function createHttpClient(params: { port: number; token: string; sockets: number }): HttpClient {
  const agent = new http.Agent({ keepAlive: true, maxSockets: params.sockets });
  const authorization = `Bearer ${params.token}`;
  const send = (method: 'GET' | 'POST', pathname: string, body: string | null): Promise<{ status: number; text: string }> =>
    new Promise((resolve, reject) => {
      const request = http.request(
        {
          host: '127.0.0.1',
          port: params.port,
          path: pathname,
          method,
          agent,
          headers: body === null ? { authorization } : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        },
      );
      request.on('error', reject);
      request.end(body ?? undefined);
    });
  return {
    post: (pathname, body) => send('POST', pathname, body),
    get: (pathname) => send('GET', pathname, null),
    close: () => agent.destroy(),
  };
}
