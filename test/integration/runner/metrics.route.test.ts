import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createHandlerRegistry } from '../../../server/runner/handlers.ts';
import { buildTestApp, TEST_TOKEN } from '../../support/app.ts';
import { describeEachDatabase } from '../../support/databases.ts';

/** The value of one sample in Prometheus text, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-z_:]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const present = (match[2] ?? '').split(',').filter((part) => part !== '');
    if (wanted.every((label) => present.includes(label)) && present.length === wanted.length) return Number(match[3]);
  }
  return undefined;
}

describeEachDatabase('GET /metrics', import.meta.url, (ctx) => {
  it('needs the bearer token unless METRICS_PUBLIC is true', async () => {
    const closed = await buildTestApp(ctx.db);
    const open = await buildTestApp(ctx.db, { metricsPublic: true });
    try {
      assert.equal((await closed.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401);
      assert.equal((await closed.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer wrong-token-0123456789' } })).statusCode, 401);
      const withToken = await closed.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TEST_TOKEN}` } });
      assert.equal(withToken.statusCode, 200);
      assert.match(String(withToken.headers['content-type']), /^text\/plain; version=0\.0\.4/);
      assert.equal((await open.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 200);
    } finally {
      await closed.close();
      await open.close();
    }
  });

  it('counts runs, completions, failures and retries by hook, and shows queue depth and past-due actions', async () => {
    const handlers = createHandlerRegistry();
    handlers.register({ hook: 'ok', run: async () => undefined });
    handlers.register({ hook: 'bad', run: async () => Promise.reject(new Error('x')) });
    const t = await buildTestApp(ctx.db, {}, { handlers });
    try {
      const ok = (await t.call('POST', '/v1/actions/async', { hook: 'ok' })).json().action_id;
      const bad = (await t.call('POST', '/v1/actions/async', { hook: 'bad', max_attempts: 2 })).json().action_id;
      await t.call('POST', '/v1/actions/async', { hook: 'waiting' });
      await t.call('POST', '/v1/actions/single', { hook: 'later', timestamp: Math.floor(Date.now() / 1000) + 3600 });
      await t.call('POST', `/v1/actions/${ok}/run`);
      await t.call('POST', `/v1/actions/${bad}/run`);
      await t.call('POST', `/v1/actions/${bad}/run`);
      const text = (await t.call('GET', '/metrics')).body;
      assert.equal(sample(text, 'sidecar_action_runs_total', { hook: 'bad' }), 2);
      assert.equal(sample(text, 'sidecar_actions_completed_total', { hook: 'ok' }), 1);
      assert.equal(sample(text, 'sidecar_action_retries_total', { hook: 'bad' }), 1);
      assert.equal(sample(text, 'sidecar_actions_failed_total', { hook: 'bad' }), 1);
      assert.equal(sample(text, 'sidecar_action_run_seconds_count', { hook: 'ok', outcome: 'complete' }), 1);
      assert.equal(sample(text, 'sidecar_action_claim_latency_seconds_count'), 3);
      assert.equal(sample(text, 'sidecar_actions', { hook: 'waiting', status: 'pending' }), 1);
      assert.equal(sample(text, 'sidecar_actions', { hook: 'later', status: 'pending' }), 1);
      assert.equal(sample(text, 'sidecar_actions_past_due', { hook: 'waiting' }), 1);
      assert.equal(sample(text, 'sidecar_actions_past_due', { hook: 'later' }), 0);
      assert.ok((sample(text, 'sidecar_oldest_due_age_seconds') ?? -1) >= 0);
      assert.equal(sample(text, 'sidecar_actions_depth_capped'), 0);
    } finally {
      await t.close();
    }
  });

  it('reads queue depth from the database at most every 10 s, however often it is scraped', async () => {
    const t = await buildTestApp(ctx.db);
    try {
      await t.call('POST', '/v1/actions/async', { hook: 'depth' });
      const first = (await t.call('GET', '/metrics')).body;
      await t.call('POST', '/v1/actions/async', { hook: 'depth', args: [2] });
      const second = (await t.call('GET', '/metrics')).body;
      assert.equal(sample(first, 'sidecar_actions', { hook: 'depth', status: 'pending' }), 1);
      assert.equal(sample(second, 'sidecar_actions', { hook: 'depth', status: 'pending' }), 1, 'the cached snapshot answered the second scrape');
    } finally {
      await t.close();
    }
  });
});
