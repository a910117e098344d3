import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { createPgliteDatabase, openPglite } from '../../../server/db/pglite-adapter.ts';
import { migrate } from '../../../server/db/migrator.ts';
import type { PGlite } from '@electric-sql/pglite';
import { buildTestApp, type TestApp } from '../../support/app.ts';

/** What a person opening the service in a browser meets: a redirect to the docs, titled after the service. */
describe('GET / and /docs', () => {
  let instance: PGlite;
  let t: TestApp;
  before(async () => {
    instance = await openPglite();
    const db = await createPgliteDatabase({ schema: 'docs_page', instance });
    await migrate(db);
    t = await buildTestApp(db);
  });
  after(async () => {
    await t.close();
    await instance.close();
  });

  it('redirects / to /docs', async () => {
    const reply = await t.app.inject({ method: 'GET', url: '/' });
    assert.equal(reply.statusCode, 302);
    assert.equal(reply.headers.location, '/docs');
  });

  it('titles the docs page after the service', async () => {
    const reply = await t.app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(reply.statusCode, 200);
    assert.match(reply.body, /<title>WeCoza Sidecar API<\/title>/);
  });

  it('carries the package version, where the token comes from, meaningful examples and labelled 200/201', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    assert.equal(doc.info.version, pkg.version);
    assert.match(doc.info.description, /SIDECAR_API_TOKEN/);
    assert.match(doc.info.description, /api-token/);
    const asyncRoute = doc.paths['/v1/actions/async'].post;
    const example = asyncRoute.requestBody.content['application/json'].example;
    assert.equal(example.hook, 'wecoza_process_event');
    assert.equal(example.priority, 10);
    assert.match(asyncRoute.responses['201'].description, /^Created/);
    assert.match(asyncRoute.responses['200'].description, /^Not created/);
    assert.doesNotMatch(JSON.stringify(doc), /Default Response/);
  });
});
