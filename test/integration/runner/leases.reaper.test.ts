import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Database } from '../../../server/db/port.ts';
import { LeaseLostError } from '../../../server/runner/handlers.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { actionState, delay, logMessages, startTestRunner, waitFor } from '../../support/runner.ts';

/** Pretend a worker that is gone holds `id`: in progress, attempt spent, lease already expired. */
async function holdByDeadWorker(db: Database, id: number, expiries = 0): Promise<void> {
  await db.query(
    `UPDATE ${db.schema}.actions SET status = 'in-progress', attempts = attempts + 1, claim_token = gen_random_uuid(),
       claimed_by = 'gone:1:abc', last_attempt_at = now() - interval '1 minute', lease_expires_at = now() - interval '1 second',
       lease_expiries = $2
     WHERE id = $1`,
    [id, expiries],
  );
}

function gate(): { wait: Promise<void>; open(): void } {
  let open: () => void = () => undefined;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

describeEachDatabase('runner leases', import.meta.url, (ctx) => {
  it('returns an action with an expired lease to pending without spending an attempt', async () => {
    const t = await startTestRunner(ctx.db, { start: false });
    try {
      const [id] = await t.enqueue([{ hook: 'orphan', maxAttempts: 1 }]);
      await holdByDeadWorker(ctx.db, id as number);
      assert.deepEqual(await t.runner.reap(), { requeued: 1, failed: 0 });
      const state = await actionState(ctx.db, id as number);
      assert.deepEqual([state.status, state.attempts, state.lease_expiries, state.claim_token], ['pending', 0, 1, null]);
      assert.equal(
        (await logMessages(ctx.db, id as number)).at(-1),
        'action lease expired (worker gone:1:abc stopped renewing it); returned to the queue without spending an attempt (expiry 1 of 3)',
      );
    } finally {
      await t.stop();
    }
  });

  it('fails an action on its 4th lease expiry and says why', async () => {
    const t = await startTestRunner(ctx.db, { start: false });
    try {
      const [id] = await t.enqueue([{ hook: 'crasher' }]);
      await holdByDeadWorker(ctx.db, id as number, 3);
      assert.deepEqual(await t.runner.reap(), { requeued: 0, failed: 1 });
      const state = await actionState(ctx.db, id as number);
      assert.deepEqual([state.status, state.attempts, state.lease_expiries, state.last_error], ['failed', 1, 4, 'the lease expired 4 times']);
      assert.equal((await logMessages(ctx.db, id as number)).at(-1), 'action failed via Sidecar: the lease expired 4 times (the workers running it stopped or lost the database)');
    } finally {
      await t.stop();
    }
  });

  it('gives a recurring instance failed by lease expiries its successor, even after 4 failed instances', async () => {
    const t = await startTestRunner(ctx.db, { start: false });
    try {
      const [id] = await t.enqueue([{ hook: 'series', schedule: { type: 'interval', at: Math.floor(Date.now() / 1000) - 5, interval: 300 } }]);
      await ctx.db.query(`UPDATE ${ctx.db.schema}.actions SET series_failures = 4 WHERE id = $1`, [id]);
      await holdByDeadWorker(ctx.db, id as number, 3);
      await t.runner.reap();
      const { rows } = await ctx.db.query<{ status: string; series_failures: number }>(`SELECT status, series_failures FROM ${ctx.db.schema}.actions WHERE hook = 'series' ORDER BY id`);
      assert.deepEqual(rows, [
        { status: 'failed', series_failures: 4 },
        { status: 'pending', series_failures: 5 },
      ]);
    } finally {
      await t.stop();
    }
  });

  it('refuses the outcome and the fenced writes of a worker whose action another worker took over', async () => {
    const a = gate();
    const bStarted = gate();
    const bDone = gate();
    let aFenced: unknown = null;
    await ctx.db.query(`CREATE TABLE ${ctx.db.schema}.side_effects (action_id bigint, worker text)`);
    const other = await ctx.openAnother();
    const workerA = await startTestRunner(ctx.db, {
      start: false,
      handlers: {
        contested: async ({ action, fenced }) => {
          await a.wait;
          try {
            await fenced((tx) => tx.query(`INSERT INTO ${ctx.db.schema}.side_effects VALUES ($1, 'A')`, [action.id]));
          } catch (error) {
            aFenced = error;
          }
        },
      },
    });
    const workerB = await startTestRunner(other, {
      start: false,
      handlers: {
        contested: async ({ action, fenced }) => {
          bStarted.open();
          await bDone.wait;
          await fenced((tx) => tx.query(`INSERT INTO ${ctx.db.schema}.side_effects VALUES ($1, 'B')`, [action.id]));
        },
      },
    });
    const lost: number[] = [];
    workerA.events.on('action:lease-lost', ({ id }) => void lost.push(id));
    try {
      const [id] = await workerA.enqueue([{ hook: 'contested' }]);
      const aRun = workerA.runner.runNow(id as number);
      await waitFor(async () => (await actionState(ctx.db, id as number)).status === 'in-progress', { what: 'A to hold the action' });
      // A stalls past its lease; B's reaper hands the action to B.
      await ctx.db.query(`UPDATE ${ctx.db.schema}.actions SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [id]);
      assert.deepEqual(await workerB.runner.reap(), { requeued: 1, failed: 0 });
      const bRun = workerB.runner.runNow(id as number);
      await bStarted.wait;
      a.open();
      assert.equal(await aRun, 'finished');
      assert.ok(aFenced instanceof LeaseLostError, 'A could not record its side effect');
      bDone.open();
      assert.equal(await bRun, 'finished');
      const state = await actionState(ctx.db, id as number);
      assert.deepEqual([state.status, state.attempts, state.claimed_by], ['complete', 1, workerB.runner.workerId]);
      const logs = await logMessages(ctx.db, id as number);
      assert.equal(logs.filter((line) => line === 'action complete via Sidecar').length, 1);
      assert.equal(logs.filter((line) => line.startsWith('action failed')).length, 0);
      const effects = await ctx.db.query<{ worker: string }>(`SELECT worker FROM ${ctx.db.schema}.side_effects`);
      assert.deepEqual(effects.rows, [{ worker: 'B' }]);
      assert.deepEqual(lost, [id]);
    } finally {
      a.open();
      bDone.open();
      await workerA.stop();
      await workerB.stop();
    }
  });

  it('renews the leases of running actions with the heartbeat, so the reaper leaves them alone', async () => {
    const release = gate();
    const t = await startTestRunner(ctx.db, { config: { leaseSeconds: 1 }, handlers: { long: () => release.wait } });
    const other = await startTestRunner(await ctx.openAnother(), { start: false });
    try {
      const [id] = await t.enqueue([{ hook: 'long' }]);
      const claimedAt = Date.now();
      const first = await waitFor(async () => {
        const { rows } = await ctx.db.query<{ lease: Date | null }>(`SELECT lease_expires_at AS lease FROM ${ctx.db.schema}.actions WHERE id = $1`, [id]);
        return rows[0]?.lease ?? undefined;
      }, { what: 'the claim' });
      await waitFor(() => Date.now() - claimedAt > 2_500, { what: 'two and a half lease periods' });
      assert.deepEqual(await other.runner.reap(), { requeued: 0, failed: 0 });
      const state = await actionState(ctx.db, id as number);
      assert.equal(state.status, 'in-progress');
      const { rows } = await ctx.db.query<{ lease: Date }>(`SELECT lease_expires_at AS lease FROM ${ctx.db.schema}.actions WHERE id = $1`, [id]);
      assert.ok((rows[0]?.lease as Date).getTime() > first.getTime() + 1_000, 'the lease moved forward');
      release.open();
      await waitFor(async () => (await actionState(ctx.db, id as number)).status === 'complete', { what: 'completion' });
      assert.equal((await actionState(ctx.db, id as number)).lease_expiries, 0);
    } finally {
      release.open();
      await t.stop();
      await other.stop();
    }
  });

  it('aborts the run that lost its claim even while the same action runs here again under a new claim', async () => {
    const started: number[] = [];
    const aborted: number[] = [];
    const t = await startTestRunner(ctx.db, {
      config: { leaseSeconds: 1 },
      handlers: {
        twice: async ({ action, signal }) => {
          started.push(action.attempt);
          try {
            await delay(30_000, signal);
          } catch (error) {
            aborted.push(action.attempt);
            throw error;
          }
        },
      },
    });
    try {
      const [id] = await t.enqueue([{ hook: 'twice', maxAttempts: 3 }]);
      await waitFor(() => started.length === 1, { what: 'the first run' });
      // As the reaper leaves an expired lease: pending again, no claim. This runner claims it anew
      // (attempt 2) while attempt 1's handler still runs here under the old token.
      await ctx.db.query(`UPDATE ${ctx.db.schema}.actions SET status = 'pending', claim_token = NULL, claimed_by = NULL, lease_expires_at = NULL WHERE id = $1`, [id]);
      await waitFor(() => started.length === 2, { what: 'the second claim' });
      await waitFor(() => aborted.includes(1), { what: 'the abort of the first run', timeoutMs: 5_000 });
      assert.deepEqual(started, [1, 2]);
      assert.ok(!aborted.includes(2), 'the run holding the live claim goes on');
      assert.equal((await actionState(ctx.db, id as number)).status, 'in-progress');
    } finally {
      await t.stop(500);
    }
  });

  it('aborts a handler through its signal when the heartbeat finds its claim taken', async () => {
    let reason: unknown = null;
    const t = await startTestRunner(ctx.db, {
      config: { leaseSeconds: 1 },
      handlers: {
        usurped: async ({ signal }) => {
          try {
            await delay(30_000, signal);
          } catch (error) {
            reason = error;
            throw error;
          }
        },
      },
    });
    try {
      const [id] = await t.enqueue([{ hook: 'usurped' }]);
      await waitFor(async () => (await actionState(ctx.db, id as number)).status === 'in-progress', { what: 'the claim' });
      // Another worker's claim, as the reaper and a second claim would leave it.
      await ctx.db.query(`UPDATE ${ctx.db.schema}.actions SET claim_token = gen_random_uuid(), claimed_by = 'other:2:def' WHERE id = $1`, [id]);
      await waitFor(() => reason !== null, { what: 'the abort', timeoutMs: 5_000 });
      assert.ok(reason instanceof LeaseLostError);
      await waitFor(() => t.runner.running === 0, { what: 'the slot to free' });
      const state = await actionState(ctx.db, id as number);
      assert.deepEqual([state.status, state.claimed_by], ['in-progress', 'other:2:def'], 'nothing written over the other claim');
    } finally {
      await t.stop();
    }
  });
});
