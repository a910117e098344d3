import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { generateOpenApiYaml } from '../../../server/scripts/openapi-document.ts';

describe('openapi.yaml', () => {
  it('is exactly what the route schemas generate (run npm run openapi after a schema change)', async () => {
    const committed = await readFile(new URL('../../../openapi.yaml', import.meta.url), 'utf8');
    assert.equal(committed, await generateOpenApiYaml());
  });

  it('documents every Action Scheduler route with a bearer token and an error shape', async () => {
    const document = parse(await generateOpenApiYaml()) as { paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>> };
    for (const route of ['/v1/actions/async', '/v1/actions/single', '/v1/actions/recurring', '/v1/actions/cron', '/v1/actions/unschedule', '/v1/actions/unschedule-all', '/v1/actions/batch', '/v1/actions/query']) {
      const post = document.paths[route]?.post;
      assert.ok(post, `${route} is documented`);
      assert.deepEqual(post.security, [{ bearerAuth: [] }]);
      assert.ok(post.responses['400'], `${route} documents 400`);
    }
    for (const route of ['/v1/actions/has', '/v1/actions/next', '/v1/actions/']) assert.ok(document.paths[route]?.get ?? document.paths[route.replace(/\/$/, '')]?.get, route);
    assert.deepEqual(document.paths['/healthz']?.get?.security, [], 'open routes say so: security []');
  });
});
