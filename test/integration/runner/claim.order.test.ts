import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeEachDatabase } from '../../support/databases.ts';
import { actionState, countByStatus, logMessages, startTestRunner, waitFor } from '../../support/runner.ts';

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

describeEachDatabase('runner claim order', import.meta.url, (ctx) => {
  it('runs seven due actions in priority, date, id order (Action Scheduler order test: 1..7)', async () => {
    const ran: number[] = [];
    const t = await startTestRunner(ctx.db, {
      config: { runnerConcurrency: 1 },
      handlers: { ordered: async ({ action }) => void ran.push((action.args as { n: number }).n) },
      start: false,
    });
    const now = nowSeconds();
    // Enqueued out of order: only n=3 and n=4 share priority and date, so their ids decide.
    const plan = [
      { n: 7, priority: 20, at: now - 5 * 3600 },
      { n: 5, priority: 10, at: now - 4 * 3600 },
      { n: 3, priority: 5, at: now - 2 * 3600 },
      { n: 1, priority: 1, at: now - 600 },
      { n: 6, priority: 10, at: now - 60 },
      { n: 4, priority: 5, at: now - 2 * 3600 },
      { n: 2, priority: 5, at: now - 3 * 3600 },
    ];
    const ids = await t.enqueue(plan.map(({ n, priority, at }) => ({ hook: 'ordered', argsText: `{"n":${n}}`, priority, schedule: { type: 'single', at } })));
    await t.runner.start();
    try {
      await waitFor(async () => (await countByStatus(ctx.db, 'ordered')).complete === 7, { what: 'seven completions' });
      assert.deepEqual(ran, [1, 2, 3, 4, 5, 6, 7]);
      assert.deepEqual(await logMessages(ctx.db, ids[0] as number), ['action created', 'action started via Sidecar', 'action complete via Sidecar']);
    } finally {
      await t.stop();
    }
  });

  it('never claims a future action, even one with a better priority than due ones', async () => {
    const ran: number[] = [];
    const t = await startTestRunner(ctx.db, { handlers: { mixed: async ({ action }) => void ran.push(action.id) } });
    try {
      const [future] = await t.enqueue([{ hook: 'mixed', priority: 0, schedule: { type: 'single', at: nowSeconds() + 3600 } }]);
      const due = await t.enqueue([
        { hook: 'mixed', argsText: '[1]' },
        { hook: 'mixed', argsText: '[2]', schedule: { type: 'single', at: nowSeconds() - 60 } },
        { hook: 'mixed', argsText: '[3]', priority: 200 },
      ]);
      await waitFor(async () => (await countByStatus(ctx.db, 'mixed')).complete === 3, { what: 'three completions' });
      // Several more claim rounds pass over the future action.
      await t.enqueue([{ hook: 'mixed', argsText: '[4]' }]);
      await waitFor(async () => (await countByStatus(ctx.db, 'mixed')).complete === 4, { what: 'the fourth completion' });
      assert.deepEqual(ran.slice(0, 3).sort(), [...due].sort());
      const state = await actionState(ctx.db, future as number);
      assert.equal(state.status, 'pending');
      assert.equal(state.attempts, 0);
      assert.deepEqual(await logMessages(ctx.db, future as number), ['action created']);
    } finally {
      await t.stop();
    }
  });
});
