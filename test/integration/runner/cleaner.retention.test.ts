import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Database } from '../../../server/db/port.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { startTestRunner } from '../../support/runner.ts';

/** Insert finished (or pending) actions directly, each with its three log lines. */
async function seed(db: Database, rows: Array<{ hook: string; status: string; finishedDaysAgo: number | null }>): Promise<number[]> {
  const { rows: inserted } = await db.query<{ id: number }>(
    `WITH input AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::float8[]) WITH ORDINALITY AS t(hook, status, days, ord)
     ),
     inserted AS (
       INSERT INTO ${db.schema}.actions (hook, args, args_digest, status, schedule_type, scheduled_at, finished_at)
       SELECT hook, '[]', sha256(convert_to('[]', 'UTF8')), status, 'async', now() - interval '100 days',
              CASE WHEN days IS NULL THEN NULL ELSE now() - make_interval(secs => days * 86400) END
       FROM input ORDER BY ord
       RETURNING id
     ),
     logged AS (
       INSERT INTO ${db.schema}.action_logs (action_id, message)
       SELECT id, m FROM inserted, unnest(ARRAY['action created', 'action started via Sidecar', 'action finished']) AS m
     )
     SELECT id FROM inserted ORDER BY id`,
    [rows.map((r) => r.hook), rows.map((r) => r.status), rows.map((r) => r.finishedDaysAgo)],
  );
  return inserted.map((row) => row.id);
}

async function remainingIds(db: Database): Promise<number[]> {
  const { rows } = await db.query<{ id: number }>(`SELECT id FROM ${db.schema}.actions ORDER BY id`);
  return rows.map((row) => row.id);
}

async function logCount(db: Database): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${db.schema}.action_logs`);
  return rows[0]?.n ?? 0;
}

describeEachDatabase('runner cleaner', import.meta.url, (ctx) => {
  it('deletes finished actions past their retention with their logs, and keeps every other row', async () => {
    const t = await startTestRunner(ctx.db, {
      start: false,
      config: { retentionHooks: { short_lived: 7 } },
      handlers: { declared_short: { run: async () => undefined, defaults: { retentionDays: 1 } } },
    });
    try {
      const ids = await seed(ctx.db, [
        { hook: 'h', status: 'complete', finishedDaysAgo: 32 }, // 0 deleted: complete after 31 days
        { hook: 'h', status: 'complete', finishedDaysAgo: 30 }, // 1 kept
        { hook: 'h', status: 'canceled', finishedDaysAgo: 32 }, // 2 deleted
        { hook: 'h', status: 'failed', finishedDaysAgo: 60 }, // 3 kept: failed stay 90 days
        { hook: 'h', status: 'failed', finishedDaysAgo: 91 }, // 4 deleted
        { hook: 'h', status: 'pending', finishedDaysAgo: null }, // 5 kept: not finished
        { hook: 'short_lived', status: 'complete', finishedDaysAgo: 8 }, // 6 deleted: RETENTION_HOOKS 7 days
        { hook: 'short_lived', status: 'failed', finishedDaysAgo: 8 }, // 7 deleted: every status alike
        { hook: 'short_lived', status: 'complete', finishedDaysAgo: 6 }, // 8 kept
        { hook: 'declared_short', status: 'complete', finishedDaysAgo: 2 }, // 9 deleted: handler default 1 day
        { hook: 'declared_short', status: 'complete', finishedDaysAgo: 0.5 }, // 10 kept
      ]);
      const result = await t.runner.clean();
      assert.equal(result.deleted, 6);
      assert.equal(result.caughtUp, true);
      const kept = [1, 3, 5, 8, 10].map((i) => ids[i] as number);
      assert.deepEqual(await remainingIds(ctx.db), kept);
      assert.equal(await logCount(ctx.db), kept.length * 3, 'logs of deleted actions are gone, the others kept');
      assert.equal((await t.runner.clean()).deleted, 0, 'a second pass finds nothing');
    } finally {
      await t.stop();
    }
  });

  it('keeps up with 1,000 completions a second: deletes 20,000 expired actions and 60,000 log lines in batches', async (test) => {
    const t = await startTestRunner(ctx.db, { start: false });
    try {
      await ctx.db.query(
        `INSERT INTO ${ctx.db.schema}.actions (hook, args, args_digest, status, schedule_type, scheduled_at, finished_at)
         SELECT 'bulk', '[]', sha256(convert_to('[]', 'UTF8')), 'complete', 'async', now() - interval '41 days', now() - interval '40 days' - make_interval(secs => g)
         FROM generate_series(1, 20000) AS g`,
      );
      await ctx.db.query(
        `INSERT INTO ${ctx.db.schema}.action_logs (action_id, message)
         SELECT a.id, m FROM ${ctx.db.schema}.actions a, unnest(ARRAY['action created', 'action started via Sidecar', 'action complete via Sidecar']) AS m`,
      );
      const [keep] = await seed(ctx.db, [{ hook: 'bulk', status: 'complete', finishedDaysAgo: 1 }]);
      let deleted = 0;
      let ms = 0;
      for (let pass = 0; pass < 20 && deleted < 20_000; pass++) {
        const result = await t.runner.clean();
        deleted += result.deleted;
        ms += result.ms;
      }
      const rate = Math.round(deleted / (ms / 1000));
      test.diagnostic(`cleaner on ${ctx.kind}: ${deleted} actions (+${deleted * 3} log lines) in ${ms} ms = ${rate} actions/s`);
      assert.equal(deleted, 20_000);
      assert.deepEqual(await remainingIds(ctx.db), [keep]);
      assert.equal(await logCount(ctx.db), 3);
    } finally {
      await t.stop();
    }
  });
});
