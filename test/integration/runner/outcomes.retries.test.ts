import assert from 'node:assert/strict';
import { it } from 'node:test';
import { PermanentError, SnoozeError } from '../../../server/runner/handlers.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { actionState, logMessages, startTestRunner, waitFor } from '../../support/runner.ts';

const NO_BACKOFF = { base_seconds: 0, max_seconds: 0, jitter: 0 };

describeEachDatabase('runner retries and snoozes', import.meta.url, (ctx) => {
  it('completes a hook that fails twice then succeeds, after 3 attempts, with a log line per attempt', async () => {
    let calls = 0;
    const t = await startTestRunner(ctx.db, {
      config: { retryPolicies: { flaky: { max_attempts: 3, backoff: NO_BACKOFF } } },
      handlers: {
        flaky: async () => {
          calls++;
          if (calls <= 2) throw new Error(`boom ${calls}`);
        },
      },
    });
    try {
      const [id] = await t.enqueue([{ hook: 'flaky', maxAttempts: t.policies.policyFor('flaky').maxAttempts }]);
      const state = await waitFor(async () => {
        const s = await actionState(ctx.db, id as number);
        return s.status === 'complete' && s;
      }, { what: 'completion' });
      assert.equal(state.attempts, 3);
      assert.equal(state.last_error, null);
      assert.equal(calls, 3);
      assert.deepEqual(await logMessages(ctx.db, id as number), [
        'action created',
        'action started via Sidecar',
        'attempt 1 of 3 failed via Sidecar: boom 1; retrying in 0 s',
        'action started via Sidecar',
        'attempt 2 of 3 failed via Sidecar: boom 2; retrying in 0 s',
        'action started via Sidecar',
        'action complete via Sidecar',
      ]);
    } finally {
      await t.stop();
    }
  });

  it('fails a hook that always throws once its max attempts are spent, keeping the reason', async () => {
    const t = await startTestRunner(ctx.db, {
      config: { retryPolicies: { broken: { backoff: NO_BACKOFF } } },
      handlers: { broken: async () => Promise.reject(new Error('always broken')) },
    });
    try {
      const [id] = await t.enqueue([{ hook: 'broken', maxAttempts: 4 }]);
      const state = await waitFor(async () => {
        const s = await actionState(ctx.db, id as number);
        return s.status === 'failed' && s;
      }, { what: 'failure' });
      assert.equal(state.attempts, 4);
      assert.equal(state.last_error, 'always broken');
      assert.ok(state.finished_at instanceof Date);
      assert.equal(state.claim_token, null);
      const logs = await logMessages(ctx.db, id as number);
      assert.equal(logs.filter((line) => line === 'action started via Sidecar').length, 4);
      assert.equal(logs.at(-1), 'action failed via Sidecar: always broken');
    } finally {
      await t.stop();
    }
  });

  it('retries after the backoff of the hook policy, not at once', async () => {
    const t = await startTestRunner(ctx.db, {
      config: { retryPolicies: { slow_retry: { max_attempts: 2, backoff: { base_seconds: 600, max_seconds: 600, jitter: 0 } } } },
      handlers: { slow_retry: async () => Promise.reject(new Error('not yet')) },
    });
    try {
      const [id] = await t.enqueue([{ hook: 'slow_retry', maxAttempts: 2 }]);
      const state = await waitFor(async () => {
        const s = await actionState(ctx.db, id as number);
        return s.status === 'pending' && s.attempts === 1 && s;
      }, { what: 'the retry' });
      const inSeconds = (state.scheduled_at.getTime() - Date.now()) / 1000;
      assert.ok(inSeconds > 590 && inSeconds <= 601, `retry in ${inSeconds} s`);
      assert.match((await logMessages(ctx.db, id as number)).at(-1) ?? '', /^attempt 1 of 2 failed via Sidecar: not yet; retrying in 600 s$/);
    } finally {
      await t.stop();
    }
  });

  it('fails at once on a PermanentError, whatever attempts are left', async () => {
    const t = await startTestRunner(ctx.db, { handlers: { bad_input: async () => Promise.reject(new PermanentError('row 42 does not exist')) } });
    try {
      const [id] = await t.enqueue([{ hook: 'bad_input', maxAttempts: 5 }]);
      const state = await waitFor(async () => {
        const s = await actionState(ctx.db, id as number);
        return s.status === 'failed' && s;
      }, { what: 'failure' });
      assert.equal(state.attempts, 1);
      assert.equal(state.last_error, 'row 42 does not exist');
    } finally {
      await t.stop();
    }
  });

  it('spends no attempt when a handler snoozes, and runs it again after the snooze', async () => {
    let calls = 0;
    const t = await startTestRunner(ctx.db, {
      handlers: {
        sleepy: async () => {
          calls++;
          if (calls <= 2) throw new SnoozeError(0.2, 'remote says later');
        },
      },
    });
    try {
      const [id] = await t.enqueue([{ hook: 'sleepy', maxAttempts: 1 }]);
      const state = await waitFor(async () => {
        const s = await actionState(ctx.db, id as number);
        return s.status === 'complete' && s;
      }, { what: 'completion after two snoozes' });
      assert.equal(state.attempts, 1, 'two snoozes spent no attempt of the budget of one');
      assert.equal(state.snoozes, 2);
      const logs = await logMessages(ctx.db, id as number);
      assert.equal(logs[2], 'action snoozed via Sidecar for 0.2 s without spending an attempt (snooze 1 of 20): remote says later');
      assert.equal(logs[4], 'action snoozed via Sidecar for 0.2 s without spending an attempt (snooze 2 of 20): remote says later');
    } finally {
      await t.stop();
    }
  });

  it('counts a snooze past the limit of 20 as a failed attempt', async () => {
    const t = await startTestRunner(ctx.db, { handlers: { forever_later: async () => Promise.reject(new SnoozeError(0, 'later')) } });
    try {
      const [id] = await t.enqueue([{ hook: 'forever_later', maxAttempts: 1 }]);
      const state = await waitFor(async () => {
        const s = await actionState(ctx.db, id as number);
        return s.status === 'failed' && s;
      }, { what: 'failure after 20 snoozes' });
      assert.equal(state.snoozes, 20);
      assert.equal(state.attempts, 1);
      assert.match(state.last_error ?? '', /^snoozed 20 times over \d+ min \(limit 20 times or 24 h\): later$/);
    } finally {
      await t.stop();
    }
  });

  it('pauses the whole hook when a snooze asks for it, holding back its other actions', async () => {
    const ran: number[] = [];
    const t = await startTestRunner(ctx.db, {
      config: { runnerConcurrency: 1 },
      handlers: {
        rate_limited: async ({ action }) => {
          ran.push(action.id);
          if (ran.length === 1) throw new SnoozeError(3600, 'slow down for everyone', true);
        },
        other: async ({ action }) => void ran.push(action.id),
      },
    });
    try {
      const [first, second] = await t.enqueue([{ hook: 'rate_limited', argsText: '[1]' }, { hook: 'rate_limited', argsText: '[2]' }]);
      await waitFor(async () => (await actionState(ctx.db, first as number)).snoozes === 1, { what: 'the snooze' });
      const [other] = await t.enqueue([{ hook: 'other' }]);
      await waitFor(async () => (await actionState(ctx.db, other as number)).status === 'complete', { what: 'another hook to run' });
      assert.deepEqual(ran, [first, other], 'the second action of the paused hook did not run');
      assert.equal((await actionState(ctx.db, second as number)).status, 'pending');
      const { rows } = await ctx.db.query<{ seconds: number }>(`SELECT extract(epoch FROM paused_until - now())::float8 AS seconds FROM ${ctx.db.schema}.hook_pauses WHERE hook = 'rate_limited'`);
      assert.ok((rows[0]?.seconds ?? 0) > 3500);
    } finally {
      await t.stop();
    }
  });
});
