import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../../server/config.ts';

const PG = { DATABASE_URL: 'postgres://u@127.0.0.1:5432/db', SIDECAR_API_TOKEN: 'a-token-of-sixteen+' };

function refusal(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error;
  }
  assert.fail('expected a ConfigError');
}

describe('loadConfig', () => {
  it('defaults to the embedded database on 127.0.0.1:8787 with the sidecar schema', () => {
    const config = loadConfig({});
    assert.equal(config.databaseUrl, null);
    assert.equal(config.port, 8787);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.schema, 'sidecar');
    assert.equal(config.runnerBatchSize, 25);
    assert.equal(config.sourceTable, 'public.class_change_logs');
    assert.equal(config.openaiModel, 'gpt-4o-mini');
  });

  it('names the variable that holds a bad value', () => {
    assert.equal(refusal({ PORT: 'eighty' }).variable, 'PORT');
    assert.equal(refusal({ PORT: '70000' }).variable, 'PORT');
    assert.equal(refusal({ POLL_ONLY: 'maybe' }).variable, 'POLL_ONLY');
    assert.equal(refusal({ SIDECAR_SCHEMA: 'Robert"); drop' }).variable, 'SIDECAR_SCHEMA');
    assert.equal(refusal({ RETRY_POLICIES: '{"h": {"max_attempts": 0}}' }).variable, 'RETRY_POLICIES');
    assert.equal(refusal({ HOOK_CONCURRENCY: 'not json' }).variable, 'HOOK_CONCURRENCY');
    assert.equal(refusal({ NOTIFY_RECIPIENTS_INSERT: 'ops@example.com, nobody' }).variable, 'NOTIFY_RECIPIENTS_INSERT');
    assert.equal(refusal({ DATABASE_URL: 'mysql://x' , SIDECAR_API_TOKEN: 'a-token-of-sixteen+' }).variable, 'DATABASE_URL');
  });

  it('requires a shared token with PostgreSQL and refuses the process split on the embedded database', () => {
    assert.equal(refusal({ DATABASE_URL: PG.DATABASE_URL }).variable, 'SIDECAR_API_TOKEN');
    assert.equal(refusal({ SIDECAR_ROLE: 'worker' }).variable, 'SIDECAR_ROLE');
    assert.equal(loadConfig({ ...PG, SIDECAR_ROLE: 'worker' }).role, 'worker');
  });

  it('requires a callback secret with a callback URL', () => {
    assert.equal(refusal({ WP_CALLBACK_URL: 'http://wp.test/?rest_route=/wecoza-sidecar/v1/run' }).variable, 'WP_CALLBACK_SECRET');
  });

  it('parses retry policies, concurrency caps and recipient lists', () => {
    const config = loadConfig({
      RETRY_POLICIES: '{"my_hook": {"max_attempts": 4, "backoff": {"base_seconds": 2}}}',
      HOOK_CONCURRENCY: '{"my_hook": 2}',
      NOTIFY_RECIPIENTS_UPDATE: 'ops@example.com; qa@example.com',
    });
    assert.deepEqual(config.retryPolicies, { my_hook: { max_attempts: 4, backoff: { base_seconds: 2 } } });
    assert.deepEqual(config.hookConcurrency, { my_hook: 2 });
    assert.deepEqual(config.notifyRecipientsUpdate, ['ops@example.com', 'qa@example.com']);
  });
});
