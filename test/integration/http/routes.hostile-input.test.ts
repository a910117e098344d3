import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { buildTestApp, TEST_TOKEN, type TestApp } from '../../support/app.ts';
import { describeEachDatabase, rowCounts } from '../../support/databases.ts';

/**
 * Input an outside client can send that the database cannot hold (integers past its ranges, NUL,
 * dates past the calendar, bad Unicode) and URLs the router refuses: every one answers a 4xx in the
 * one error shape and writes nothing.
 */

interface HostileCase {
  title: string;
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  /** A string is sent as the raw body (JSON text with escapes the serializer would not write). */
  body?: unknown;
  status: number;
  code: string;
  /** The message must name this (the field or the item). */
  names?: RegExp;
}

const NUL = '\\u0000';
const CASES: HostileCase[] = [
  // Integers past the database's ranges.
  { title: 'an offset past int4 in a query string', method: 'GET', url: '/v1/actions?offset=2147483648', status: 400, code: 'validation_failed', names: /offset/ },
  { title: 'an offset of 1e20 in a body', method: 'POST', url: '/v1/actions/query', body: '{"offset":1e20}', status: 400, code: 'validation_failed', names: /offset/ },
  { title: 'an action id of 2^63', method: 'GET', url: '/v1/actions/9223372036854775808', status: 400, code: 'validation_failed', names: /id/ },
  { title: 'an action id of 1e400', method: 'GET', url: '/v1/actions/1e400', status: 400, code: 'validation_failed', names: /id/ },
  { title: 'an action id of 2^64 to cancel', method: 'POST', url: '/v1/actions/18446744073709551616/cancel', status: 400, code: 'validation_failed', names: /id/ },
  { title: 'a class_id of 1e20', method: 'GET', url: '/v1/notifications?class_id=1e20', status: 400, code: 'validation_failed', names: /class_id/ },
  { title: 'a notification log_id of 2^63', method: 'GET', url: '/v1/notifications/9223372036854775808', status: 400, code: 'validation_failed', names: /log_id/ },
  // NUL, which PostgreSQL text cannot hold.
  { title: 'a NUL in a search query string', method: 'GET', url: '/v1/actions?search=a%00b', status: 400, code: 'validation_failed', names: /search/ },
  { title: 'a NUL in a has query string', method: 'GET', url: '/v1/actions/has?hook=a%00b', status: 400, code: 'validation_failed', names: /hook/ },
  { title: 'a NUL in a hook', method: 'POST', url: '/v1/actions/async', body: `{"hook":"a${NUL}b"}`, status: 400, code: 'validation_failed', names: /hook/ },
  { title: 'a NUL in a group', method: 'POST', url: '/v1/actions/single', body: `{"hook":"h","timestamp":1,"group":"g${NUL}"}`, status: 400, code: 'validation_failed', names: /group/ },
  { title: 'a NUL inside args', method: 'POST', url: '/v1/actions/async', body: `{"hook":"h","args":{"k":"v${NUL}"}}`, status: 400, code: 'validation_failed', names: /args/ },
  { title: 'a NUL in an args key', method: 'POST', url: '/v1/actions/unschedule', body: `{"hook":"h","args":{"k${NUL}":1}}`, status: 400, code: 'validation_failed', names: /args/ },
  { title: 'a NUL in a lock key', method: 'POST', url: '/v1/locks/a%00b', body: { ttl_seconds: 5 }, status: 400, code: 'validation_failed', names: /key/ },
  { title: 'a NUL in a lock owner', method: 'POST', url: '/v1/locks/k', body: `{"ttl_seconds":5,"owner":"o${NUL}"}`, status: 400, code: 'validation_failed', names: /owner/ },
  { title: 'a NUL in the settings model', method: 'PUT', url: '/v1/notifications/settings', body: `{"ai":{"model":"gpt${NUL}"}}`, status: 400, code: 'validation_failed', names: /model/ },
  { title: 'a NUL in a cron expression', method: 'POST', url: '/v1/actions/cron', body: `{"hook":"h","timestamp":1,"schedule":"* * * * *${NUL}"}`, status: 400, code: 'validation_failed', names: /schedule/ },
  // Values the columns cannot hold.
  { title: 'a NUL in a lock token', method: 'POST', url: '/v1/locks/k/release', body: `{"token":"t${NUL}"}`, status: 400, code: 'validation_failed', names: /token/ },
  { title: 'a claim id that is far too long', method: 'GET', url: `/v1/actions?claimed=${'c'.repeat(65)}`, status: 400, code: 'validation_failed', names: /claimed/ },
  // Dates outside the representable range.
  { title: 'a date of 9999999999999 seconds in a query string', method: 'GET', url: '/v1/actions?date=9999999999999', status: 400, code: 'invalid_date', names: /date/ },
  { title: 'a date of 1e400 in a query string', method: 'GET', url: '/v1/actions?modified=1e400', status: 400, code: 'invalid_date', names: /modified/ },
  { title: 'a date of 9999999999999 seconds in a body', method: 'POST', url: '/v1/actions/query', body: { date: 9_999_999_999_999 }, status: 400, code: 'validation_failed', names: /date/ },
  // Numbers no reader holds.
  { title: 'a number literal of 1e400 in args', method: 'POST', url: '/v1/actions/async', body: '{"hook":"h","args":[1e400]}', status: 400, code: 'validation_failed', names: /1e400/ },
  // Bad Unicode is refused, never rewritten.
  { title: 'a lone high surrogate in a hook', method: 'POST', url: '/v1/actions/async', body: '{"hook":"sur\\ud800","unique":true}', status: 400, code: 'invalid_json', names: /surrogate/ },
  { title: 'a lone low surrogate inside args', method: 'POST', url: '/v1/actions/async', body: '{"hook":"h","args":["\\udc00x"]}', status: 400, code: 'invalid_json', names: /surrogate/ },
  { title: 'a query string that is not UTF-8', method: 'GET', url: '/v1/actions/has?hook=%ff%fe', status: 400, code: 'invalid_url' },
  // URLs the router refuses, in the one error shape.
  { title: 'bad percent-encoding in a path', method: 'GET', url: '/v1/actions/%zz', status: 400, code: 'invalid_url' },
  { title: 'bad percent-encoding in a lock key', method: 'POST', url: '/v1/locks/%e0%a4', body: { ttl_seconds: 5 }, status: 400, code: 'invalid_url' },
  { title: 'a lock key over 191 characters', method: 'POST', url: `/v1/locks/${'k'.repeat(192)}`, body: { ttl_seconds: 5 }, status: 400, code: 'validation_failed', names: /key/ },
  { title: 'a path parameter far past any limit', method: 'GET', url: `/v1/locks/${'k'.repeat(5000)}`, status: 414, code: 'uri_too_long' },
];

/** The one error shape: `{"error": {"code", "message", ...}}` and nothing of Fastify's own. */
export function assertErrorShape(response: LightMyRequestResponse | { statusCode: number; body: string }, status: number, code: string): { code: string; message: string; [key: string]: unknown } {
  assert.equal(response.statusCode, status, response.body);
  const body = JSON.parse(response.body) as { error: { code: string; message: string } };
  assert.deepEqual(Object.keys(body), ['error'], response.body);
  assert.equal(typeof body.error, 'object', response.body);
  assert.equal(body.error.code, code, response.body);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 5, response.body);
  return body.error;
}

function send(t: TestApp, hostile: HostileCase): Promise<LightMyRequestResponse> {
  return t.call(hostile.method, hostile.url, hostile.body);
}

describeEachDatabase('hostile input to every feature', import.meta.url, (ctx) => {
  for (const hostile of CASES) {
    it(`answers ${hostile.title} with ${hostile.status} ${hostile.code} and writes nothing`, async () => {
      const t = await buildTestApp(ctx.db);
      try {
        const before = await rowCounts(ctx);
        const error = assertErrorShape(await send(t, hostile), hostile.status, hostile.code);
        if (hostile.names) assert.match(error.message, hostile.names);
        assert.deepEqual(await rowCounts(ctx), before);
      } finally {
        await t.close();
      }
    });
  }

  it('names the index of a batch item with a NUL in item 500 and writes none of the 1000', async () => {
    const t = await buildTestApp(ctx.db);
    try {
      const items = Array.from({ length: 1000 }, (_, i) => `{"type":"async","hook":"${i === 500 ? `h${NUL}` : `h${i}`}"}`);
      const error = assertErrorShape(await t.call('POST', '/v1/actions/batch', `{"actions":[${items.join(',')}]}`), 400, 'validation_failed');
      assert.match(error.message, /actions\[500\]/);
      assert.equal(error.index, 500);
      assert.equal((await rowCounts(ctx)).actions, 0);
    } finally {
      await t.close();
    }
  });

  it('names the index of a batch item whose schema fails', async () => {
    const t = await buildTestApp(ctx.db);
    try {
      const actions = Array.from({ length: 20 }, (_, i) => (i === 17 ? { type: 'async', hook: 'h', priority: 999 } : { type: 'async', hook: `h${i}` }));
      const error = assertErrorShape(await t.call('POST', '/v1/actions/batch', { actions }), 400, 'validation_failed');
      assert.match(error.message, /actions\[17\]/);
      assert.equal(error.index, 17);
    } finally {
      await t.close();
    }
  });

  it('does not let 9007199254740993 find the action 9007199254740992', async () => {
    await ctx.db.query(
      `INSERT INTO ${ctx.db.schema}.actions (id, hook, args, args_digest, group_name, priority, is_unique, schedule_type, scheduled_at, max_attempts)
       VALUES (9007199254740992, 'big', '[]', sha256(convert_to('[]', 'UTF8')), '', 10, false, 'async', now() + interval '1 day', 1)`,
    );
    const t = await buildTestApp(ctx.db);
    try {
      const response = await t.call('GET', '/v1/actions/9007199254740993');
      assert.notEqual(response.statusCode, 200, response.body);
      assertErrorShape(response, 400, 'validation_failed');
      assertErrorShape(await t.call('POST', '/v1/actions/9007199254740993/cancel'), 400, 'validation_failed');
      const pending = await ctx.db.query<{ status: string }>(`SELECT status FROM ${ctx.db.schema}.actions WHERE id = 9007199254740992`);
      assert.equal(pending.rows[0]?.status, 'pending');
    } finally {
      await t.close();
    }
  });

  it('never makes "sur\\ud800" and "sur\\ufffd" one unique key', async () => {
    const t = await buildTestApp(ctx.db);
    try {
      assertErrorShape(await t.call('POST', '/v1/actions/async', '{"hook":"sur\\ud800","unique":true}'), 400, 'invalid_json');
      const replacement = await t.call('POST', '/v1/actions/async', '{"hook":"sur\\ufffd","unique":true}');
      assert.equal(replacement.statusCode, 201, replacement.body);
      assert.equal((await t.call('GET', `/v1/actions/${replacement.json().action_id}`)).json().hook, 'sur\ufffd');
    } finally {
      await t.close();
    }
  });

  it('refuses a body of invalid UTF-8 instead of rewriting it to U+FFFD', async () => {
    const t = await buildTestApp(ctx.db);
    try {
      const payload = Buffer.concat([Buffer.from('{"hook":"bad'), Buffer.from([0xff, 0xfe]), Buffer.from('","unique":true}')]);
      const response = await t.app.inject({ method: 'POST', url: '/v1/actions/async', headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' }, payload });
      const error = assertErrorShape(response, 400, 'invalid_json');
      assert.match(error.message, /UTF-8/);
      assert.equal((await rowCounts(ctx)).actions, 0);
    } finally {
      await t.close();
    }
  });

  it('accepts a lock key of 191 characters, as the schema says', async () => {
    const t = await buildTestApp(ctx.db);
    try {
      const key = 'k'.repeat(191);
      const acquired = await t.call('POST', `/v1/locks/${key}`, { ttl_seconds: 5 });
      assert.equal(acquired.statusCode, 201, acquired.body);
      assert.equal((await t.call('GET', `/v1/locks/${key}`)).json().key, key);
      const multibyte = 'é'.repeat(191);
      assert.equal((await t.call('POST', `/v1/locks/${encodeURIComponent(multibyte)}`, { ttl_seconds: 5 })).statusCode, 201);
    } finally {
      await t.close();
    }
  });

  it('answers unknown routes, with or without a token, in the one error shape', async () => {
    const t = await buildTestApp(ctx.db);
    try {
      assertErrorShape(await t.call('GET', '/v1/nothing-here'), 404, 'route_not_found');
      assertErrorShape(await t.app.inject({ method: 'DELETE', url: '/nothing' }), 404, 'route_not_found');
      assertErrorShape(await t.app.inject({ method: 'GET', url: '/%zz' }), 400, 'invalid_url');
    } finally {
      await t.close();
    }
  });

  it('answers 413, 415 and the parser’s 400s in the one error shape', async () => {
    const t = await buildTestApp(ctx.db);
    try {
      assertErrorShape(await t.call('POST', '/v1/actions/async', { hook: 'h', args: ['x'.repeat(1024 * 1024)] }), 413, 'body_too_large');
      assertErrorShape(await t.call('POST', '/v1/notifications/process', 'x', { 'content-type': 'text/plain' }), 415, 'unsupported_media_type');
      assertErrorShape(await t.call('POST', '/v1/actions/async', '{"hook":'), 400, 'invalid_json');
      assert.equal((await rowCounts(ctx)).actions, 0);
    } finally {
      await t.close();
    }
  });
});
