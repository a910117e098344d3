import { buildApp } from '../app.ts';
import { testConfig } from '../config.ts';
import type { Database } from '../db/port.ts';

/** A database that is never reached: building the document registers routes and serves nothing. */
const offlineDatabase: Database = {
  kind: 'postgres',
  schema: '"sidecar"',
  query: () => Promise.reject(new Error('offline: the OpenAPI document needs no database')),
  transaction: () => Promise.reject(new Error('offline')),
  listen: () => Promise.reject(new Error('offline')),
  close: () => Promise.resolve(),
};

/**
 * The OpenAPI document as YAML, built from the route schemas of a full app (every route registered).
 * `npm run openapi` writes it to openapi.yaml; a test compares the committed file with this.
 */
export async function generateOpenApiYaml(): Promise<string> {
  const app = await buildApp({ config: testConfig(), db: offlineDatabase, apiToken: 'offline-token-0123456789' });
  try {
    await app.ready();
    return app.swagger({ yaml: true });
  } finally {
    await app.close();
  }
}
