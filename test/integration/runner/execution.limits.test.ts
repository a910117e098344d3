import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeEachDatabase } from '../../support/databases.ts';
import { actionState, countByStatus, delay, logMessages, startTestRunner, waitFor } from '../../support/runner.ts';

describeEachDatabase('runner execution limits', import.meta.url, (ctx) => {
  it('never runs more than 2 handlers of a hook capped at 2, while other hooks use the rest of the pool', async () => {
    let capped = 0;
    let cappedPeak = 0;
    let free = 0;
    let freePeak = 0;
    const t = await startTestRunner(ctx.db, {
      config: { runnerConcurrency: 8, hookConcurrency: { capped: 2 } },
      handlers: {
        capped: async () => {
          capped++;
          cappedPeak = Math.max(cappedPeak, capped);
          await delay(30);
          capped--;
        },
        uncapped: async () => {
          free++;
          freePeak = Math.max(freePeak, free);
          await delay(30);
          free--;
        },
      },
    });
    try {
      await t.enqueue([
        ...Array.from({ length: 20 }, (_, i) => ({ hook: 'capped', argsText: `[${i}]` })),
        ...Array.from({ length: 20 }, (_, i) => ({ hook: 'uncapped', argsText: `[${i}]` })),
      ]);
      await waitFor(async () => (await countByStatus(ctx.db)).complete === 40, { what: '40 completions' });
      assert.equal(cappedPeak, 2);
      assert.ok(freePeak > 2, `the uncapped hook reached ${freePeak} at once`);
    } finally {
      await t.stop();
    }
  });

  it('fails an attempt at its execution timeout and aborts the handler through its signal', async () => {
    let aborted: unknown = null;
    const t = await startTestRunner(ctx.db, {
      config: { retryPolicies: { stuck: { timeout_seconds: 1 } } },
      handlers: {
        stuck: async ({ signal }) => {
          try {
            await delay(60_000, signal);
          } catch (error) {
            aborted = error;
            throw error;
          }
        },
      },
    });
    try {
      const [id] = await t.enqueue([{ hook: 'stuck' }]);
      const state = await waitFor(async () => {
        const s = await actionState(ctx.db, id as number);
        return s.status === 'failed' && s;
      }, { what: 'the timeout' });
      assert.equal(state.last_error, 'timed out after 1 s');
      assert.equal((await logMessages(ctx.db, id as number)).at(-1), 'action failed via Sidecar: timed out after 1 s');
      await waitFor(() => aborted !== null, { what: 'the abort to reach the handler' });
      assert.equal((aborted as Error).name, 'ExecutionTimeoutError');
    } finally {
      await t.stop();
    }
  });

  it('keeps a timed-out handler that ignores its signal in its slot until it settles', async () => {
    let release: () => void = () => undefined;
    const stubborn = new Promise<void>((resolve) => (release = resolve));
    const ran: string[] = [];
    const t = await startTestRunner(ctx.db, {
      config: { runnerConcurrency: 1, retryPolicies: { deaf: { timeout_seconds: 1 } } },
      handlers: {
        deaf: async () => {
          ran.push('deaf');
          await stubborn;
        },
        next: async () => void ran.push('next'),
      },
    });
    try {
      const [deaf] = await t.enqueue([{ hook: 'deaf' }]);
      await waitFor(async () => (await actionState(ctx.db, deaf as number)).status === 'failed', { what: 'the timeout' });
      const [next] = await t.enqueue([{ hook: 'next' }]);
      // The only slot is still taken by the handler that ignored the abort.
      await delay(500);
      assert.equal((await actionState(ctx.db, next as number)).status, 'pending');
      assert.equal(t.runner.running, 1);
      release();
      await waitFor(async () => (await actionState(ctx.db, next as number)).status === 'complete', { what: 'the next action once the slot is free' });
      assert.deepEqual(ran, ['deaf', 'next']);
    } finally {
      await t.stop();
    }
  });
});
