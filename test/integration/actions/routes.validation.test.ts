import assert from 'node:assert/strict';
import { it } from 'node:test';
import { buildTestApp, TEST_TOKEN } from '../../support/app.ts';
import { describeEachDatabase } from '../../support/databases.ts';

interface BadCase {
  title: string;
  url: string;
  body: unknown;
  status: number;
  code: string;
  headers?: Record<string, string>;
}

const longArgs = { text: 'é'.repeat(4000) }; // 8000 bytes of é plus the JSON around it

const CASES: BadCase[] = [
  { title: 'an empty hook', url: '/v1/actions/async', body: { hook: '' }, status: 400, code: 'validation_failed' },
  { title: 'a 192-character hook', url: '/v1/actions/async', body: { hook: 'h'.repeat(192) }, status: 400, code: 'validation_failed' },
  { title: 'priority 256', url: '/v1/actions/async', body: { hook: 'h', priority: 256 }, status: 400, code: 'validation_failed' },
  { title: 'priority -1', url: '/v1/actions/async', body: { hook: 'h', priority: -1 }, status: 400, code: 'validation_failed' },
  { title: 'a priority sent as a string', url: '/v1/actions/async', body: { hook: 'h', priority: '5' }, status: 400, code: 'validation_failed' },
  { title: 'args over 8000 bytes', url: '/v1/actions/async', body: { hook: 'h', args: longArgs }, status: 400, code: 'args_too_long' },
  { title: 'args that are a string', url: '/v1/actions/async', body: { hook: 'h', args: 'x' }, status: 400, code: 'invalid_args' },
  { title: 'args that are a number', url: '/v1/actions/single', body: { hook: 'h', args: 5, timestamp: 1 }, status: 400, code: 'invalid_args' },
  { title: 'an unknown body key', url: '/v1/actions/async', body: { hook: 'h', when: 5 }, status: 400, code: 'validation_failed' },
  { title: 'malformed JSON', url: '/v1/actions/async', body: '{"hook": "h",', status: 400, code: 'invalid_json' },
  { title: 'a duplicate key', url: '/v1/actions/async', body: '{"hook":"h","hook":"i"}', status: 400, code: 'invalid_json' },
  { title: 'an invalid cron expression', url: '/v1/actions/cron', body: { hook: 'h', timestamp: 1, schedule: 'every tuesday' }, status: 400, code: 'invalid_cron' },
  { title: 'a single action without timestamp', url: '/v1/actions/single', body: { hook: 'h' }, status: 400, code: 'validation_failed' },
  { title: 'a batch item of unknown type', url: '/v1/actions/batch', body: { actions: [{ type: 'later', hook: 'h' }] }, status: 400, code: 'validation_failed' },
  { title: 'a missing token', url: '/v1/actions/async', body: { hook: 'h' }, status: 401, code: 'unauthorized', headers: { authorization: '' } },
  { title: 'a wrong token', url: '/v1/actions/async', body: { hook: 'h' }, status: 401, code: 'unauthorized', headers: { authorization: `Bearer ${TEST_TOKEN}x` } },
  { title: 'a body that is not JSON', url: '/v1/actions/async', body: 'hook=h', status: 415, code: 'unsupported_media_type', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
];

describeEachDatabase('bad input to the actions routes', import.meta.url, (ctx) => {
  for (const bad of CASES) {
    it(`refuses ${bad.title} with ${bad.status} ${bad.code} and writes nothing`, async () => {
      const t = await buildTestApp(ctx.db);
      try {
        const response = await t.call('POST', bad.url, bad.body, bad.headers);
        assert.equal(response.statusCode, bad.status, response.body);
        const error = response.json().error;
        assert.equal(error.code, bad.code);
        assert.equal(typeof error.message, 'string');
        assert.ok(error.message.length > 5);
        const rows = await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${ctx.db.schema}.actions`);
        assert.equal(rows.rows[0]?.n, 0);
      } finally {
        await t.close();
      }
    });
  }

  it('refuses a body over 1 MiB with 413', async () => {
    const t = await buildTestApp(ctx.db);
    try {
      const response = await t.call('POST', '/v1/actions/async', { hook: 'h', args: ['x'.repeat(1024 * 1024)] });
      assert.equal(response.statusCode, 413);
      assert.equal(response.json().error.code, 'body_too_large');
    } finally {
      await t.close();
    }
  });

  it('accepts args of exactly 8000 bytes', async () => {
    const t = await buildTestApp(ctx.db);
    try {
      const args = ['a'.repeat(8000 - 4)];
      const response = await t.call('POST', '/v1/actions/async', { hook: 'h', args });
      assert.equal(response.statusCode, 201, response.body);
    } finally {
      await t.close();
    }
  });

  it('coerces query strings but names a bad one', async () => {
    const t = await buildTestApp(ctx.db);
    try {
      assert.equal((await t.call('GET', '/v1/actions?per_page=3')).statusCode, 200);
      const bad = await t.call('GET', '/v1/actions?per_page=three');
      assert.equal(bad.statusCode, 400);
      assert.match(bad.json().error.message, /per_page/);
      assert.equal((await t.call('GET', '/v1/actions/abc')).statusCode, 400);
    } finally {
      await t.close();
    }
  });

  it('answers unknown routes with 404 route_not_found', async () => {
    const t = await buildTestApp(ctx.db);
    try {
      const response = await t.call('GET', '/v1/nothing-here');
      assert.equal(response.statusCode, 404);
      assert.equal(response.json().error.code, 'route_not_found');
    } finally {
      await t.close();
    }
  });
});
