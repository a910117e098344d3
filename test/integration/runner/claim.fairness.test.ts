import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Database } from '../../../server/db/port.ts';
import { SnoozeError } from '../../../server/runner/handlers.ts';
import { runnerStatements } from '../../../server/runner/sql.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { countByStatus, delay, newAction, startTestRunner, waitFor } from '../../support/runner.ts';
import { createActionStore } from '../../../server/actions/store.ts';
import { createEvents } from '../../../server/events.ts';

/**
 * Fair claims (issue 11 item 8): a backlog of one capped hook never delays another hook's due actions.
 * The first tests call the claim statement itself and assert what it took, which no machine load can
 * change; the runner tests then assert, on the database clock, how long after falling due the other
 * hooks' actions started, and how much of the backlog was still waiting then.
 */

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

interface ClaimInput {
  limit: number;
  full?: string[];
  caps?: Record<string, number>;
  handled: string[];
  dispatchRoom?: number | null;
}

async function claimOnce(db: Database, input: ClaimInput): Promise<Array<{ id: number; hook: string; priority: number }>> {
  const caps = Object.entries(input.caps ?? {});
  const { rows } = await db.query<{ id: number; hook: string; priority: number }>(runnerStatements(db.schema).claimDueActions, [
    input.limit,
    'test-worker',
    input.full ?? [],
    caps.map(([hook]) => hook),
    caps.map(([, room]) => room),
    input.handled,
    input.dispatchRoom ?? null,
    30,
  ]);
  return rows.map((row) => ({ id: Number(row.id), hook: row.hook, priority: row.priority }));
}

async function seed(db: Database, items: Array<{ hook: string; count: number; priority?: number; at?: number }>): Promise<Record<string, number[]>> {
  const store = createActionStore({ db, events: createEvents() });
  const ids: Record<string, number[]> = {};
  for (const item of items) {
    const results = await store.enqueue(
      Array.from({ length: item.count }, (_, i) =>
        newAction({ hook: item.hook, argsText: `[${i}]`, priority: item.priority ?? 10, schedule: { type: 'single', at: item.at ?? nowSeconds() - 60 } }),
      ),
    );
    ids[`${item.hook}:${item.priority ?? 10}`] = results.map((result) => result.actionId);
  }
  return ids;
}

const hooksOf = (rows: Array<{ hook: string }>): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const row of rows) counts[row.hook] = (counts[row.hook] ?? 0) + 1;
  return counts;
};

describeEachDatabase('runner fair claims', import.meta.url, (ctx) => {
  it('takes every due action of other hooks beside a 2,000-action backlog of a hook capped at 4', async () => {
    const old = nowSeconds() - 3600;
    const ids = await seed(ctx.db, [
      { hook: 'backlog', count: 2000, at: old },
      { hook: 'retries', count: 10 },
      { hook: 'wp_dispatched', count: 6 },
    ]);
    const claimed = await claimOnce(ctx.db, { limit: 25, caps: { backlog: 4 }, handled: ['backlog', 'retries'], dispatchRoom: 4 });
    assert.deepEqual(hooksOf(claimed), { backlog: 4, retries: 10, wp_dispatched: 4 });
    // Within the capped hook, its own order: the four oldest.
    assert.deepEqual(claimed.filter((row) => row.hook === 'backlog').map((row) => row.id), ids['backlog:10']?.slice(0, 4));
    assert.deepEqual(await countByStatus(ctx.db, 'backlog'), { 'in-progress': 4, pending: 1996 });
  });

  it('keeps priority, date and id order within a capped hook across its priorities, and among all it takes', async () => {
    const base = nowSeconds() - 600;
    const ids = await seed(ctx.db, [
      { hook: 'capped', count: 3, priority: 20, at: base },
      { hook: 'capped', count: 2, priority: 5, at: base + 60 },
      { hook: 'free', count: 2, priority: 1, at: base + 120 },
      { hook: 'free', count: 2, priority: 30, at: base },
    ]);
    const claimed = await claimOnce(ctx.db, { limit: 25, caps: { capped: 3 }, handled: ['capped', 'free'] });
    assert.deepEqual(
      claimed.map((row) => row.id),
      [...(ids['free:1'] ?? []), ...(ids['capped:5'] ?? []), (ids['capped:20'] ?? [])[0], ...(ids['free:30'] ?? [])],
    );
  });

  it('takes nothing of a hook at its cap, paused, or with a room of 0, and at most the limit in claim order', async () => {
    await seed(ctx.db, [
      { hook: 'full', count: 5 },
      { hook: 'paused', count: 5 },
      { hook: 'undispatched', count: 5 },
      { hook: 'free', count: 40 },
    ]);
    await ctx.db.query(`INSERT INTO ${ctx.db.schema}.hook_pauses (hook, paused_until) VALUES ('paused', now() + interval '1 hour')`);
    const claimed = await claimOnce(ctx.db, { limit: 25, full: ['full'], handled: ['full', 'paused', 'free'], dispatchRoom: 0 });
    assert.deepEqual(hooksOf(claimed), { free: 25 });
  });

  it('never claims an action that is not due, however many pending actions its hook has', async () => {
    await seed(ctx.db, [
      { hook: 'later', count: 300, at: nowSeconds() + 3600 },
      { hook: 'later', count: 1, priority: 50 },
    ]);
    const claimed = await claimOnce(ctx.db, { limit: 25, caps: { later: 4 }, handled: ['later'] });
    assert.deepEqual(claimed.map((row) => row.priority), [50]);
  });

  it('starts retries and snoozes of other hooks within 500 ms of falling due while a capped hook works through 2,000', async () => {
    const late: Array<{ hook: string; latencyMs: number; backlogLeft: number }> = [];
    const snoozes = new Set<number>();
    let backlogDone = 0;
    const t = await startTestRunner(ctx.db, {
      config: {
        runnerConcurrency: 32,
        runnerBatchSize: 25,
        hookConcurrency: { backlog: 4 },
        retryPolicies: { retried: { max_attempts: 2, backoff: { base_seconds: 1.5, max_seconds: 3, jitter: 0.5 } } },
      },
      handlers: {
        backlog: async () => {
          await delay(50);
          backlogDone++;
        },
        retried: async ({ action }) => {
          if (action.attempt === 1) throw new Error('first attempt fails');
        },
        snoozed: async ({ action }) => {
          if (snoozes.has(action.id)) return;
          snoozes.add(action.id);
          throw new SnoozeError(1 + (action.args as { n: number }).n / 2, 'later, please');
        },
      },
      timings: { pollFloorMs: 1_000 },
      start: false,
    });
    t.events.on('action:claimed', ({ hook, attempt, latencyMs, id }) => {
      if (hook === 'retried' && attempt === 2) late.push({ hook, latencyMs, backlogLeft: 2000 - backlogDone });
      // A snoozed action's second claim: the first one added it to the set before it threw.
      if (hook === 'snoozed' && snoozes.has(id)) late.push({ hook, latencyMs, backlogLeft: 2000 - backlogDone });
    });
    try {
      await t.enqueue(Array.from({ length: 2000 }, (_, i) => ({ hook: 'backlog', argsText: `[${i}]`, schedule: { type: 'single' as const, at: nowSeconds() - 60 } })));
      await t.enqueue([
        ...Array.from({ length: 10 }, (_, i) => ({ hook: 'retried', argsText: `[${i}]`, maxAttempts: 2 })),
        ...Array.from({ length: 5 }, (_, n) => ({ hook: 'snoozed', argsText: `{"n":${n}}` })),
      ]);
      await t.runner.start();
      await waitFor(() => late.length === 15, { timeoutMs: 30_000, what: '10 retries and 5 snoozes to start again' });
      for (const start of late) {
        assert.ok(start.latencyMs < 500, `a ${start.hook} action started ${start.latencyMs} ms after falling due`);
        // 2,000 × 50 ms at 4 at a time is 25 s of work: a starved hook would wait for most of it.
        assert.ok(start.backlogLeft > 1000, `a ${start.hook} action started only once the backlog was down to ${start.backlogLeft}`);
      }
    } finally {
      await t.stop(1_000);
    }
  });

  it('wakes at the next due time while a backlog of a hook at its cap is due, with no other wake-up', async () => {
    const starts: number[] = [];
    let release: () => void = () => undefined;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const t = await startTestRunner(ctx.db, {
      config: { runnerConcurrency: 8, hookConcurrency: { stuck: 2 } },
      handlers: { stuck: () => blocked, later: async () => undefined },
      // Only the due-time timer can wake the loop in time: no enqueue event, NOTIFY or freed slot comes.
      timings: { pollFloorMs: 60_000 },
      start: false,
    });
    t.events.on('action:claimed', ({ hook, latencyMs }) => {
      if (hook === 'later') starts.push(latencyMs);
    });
    try {
      await t.enqueue([
        ...Array.from({ length: 20 }, (_, i) => ({ hook: 'stuck', argsText: `[${i}]` })),
        { hook: 'later', schedule: { type: 'single', at: nowSeconds() + 2 } },
      ]);
      await t.runner.start();
      await waitFor(() => starts.length === 1, { timeoutMs: 20_000, what: 'the later action to start' });
      assert.ok((starts[0] as number) < 500, `started ${starts[0]} ms after falling due`);
      assert.equal((await countByStatus(ctx.db, 'stuck')).pending, 18);
    } finally {
      release();
      await t.stop(1_000);
    }
  });
});
