import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp, type AppDeps } from '../../server/app.ts';
import { testConfig, type Config } from '../../server/config.ts';
import type { Database } from '../../server/db/port.ts';

export const TEST_TOKEN = 'test-token-0123456789abcdef';

export interface TestApp {
  app: FastifyInstance;
  /** inject with the bearer token and JSON body. */
  call(method: InjectOptions['method'], url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function buildTestApp(db: Database, overrides: Partial<Config> = {}, deps: Partial<AppDeps> = {}): Promise<TestApp> {
  const config = testConfig({ rateLimitMax: 0, ...overrides });
  const app = await buildApp({ config, db, apiToken: TEST_TOKEN, ...deps });
  await app.ready();
  return {
    app,
    call(method, url, body, headers = {}) {
      return app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${TEST_TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
    },
    close: () => app.close(),
  };
}

/** Build an app on `db`, run `fn`, close the app whatever happens. */
export async function withTestApp<T>(db: Database, fn: (t: TestApp) => Promise<T>, overrides: Partial<Config> = {}): Promise<T> {
  const t = await buildTestApp(db, overrides);
  try {
    return await fn(t);
  } finally {
    await t.close();
  }
}
