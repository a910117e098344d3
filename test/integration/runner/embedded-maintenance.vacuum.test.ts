import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Database } from '../../../server/db/port.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { startTestRunner, waitFor } from '../../support/runner.ts';

async function maintenanceCounts(db: Database): Promise<{ vacuums: number; analyzes: number }> {
  const { rows } = await db.query<{ vacuums: number; analyzes: number }>(
    `SELECT vacuum_count::int AS vacuums, analyze_count::int AS analyzes FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'actions'`,
    [db.schema.replaceAll('"', '')],
  );
  return rows[0] ?? { vacuums: 0, analyzes: 0 };
}

describeEachDatabase('embedded maintenance', import.meta.url, (ctx) => {
  it('vacuums and analyzes the runner’s tables at start and after a burst of enqueues, as autovacuum would', { skip: ctx.kind === 'postgres' && 'PostgreSQL has autovacuum' }, async () => {
    const t = await startTestRunner(ctx.db, { handlers: { burst: async () => undefined } });
    try {
      const first = await waitFor(async () => {
        const counts = await maintenanceCounts(ctx.db);
        return counts.vacuums >= 1 && counts.analyzes >= 1 && counts;
      }, { what: 'the pass at start' });
      await t.enqueue(Array.from({ length: 1_000 }, (_, i) => ({ hook: 'burst', argsText: `[${i}]` })));
      await waitFor(async () => (await maintenanceCounts(ctx.db)).analyzes > first.analyzes, { what: 'the pass after the burst' });
    } finally {
      await t.stop();
    }
  });

  it('leaves vacuuming to autovacuum on PostgreSQL', { skip: ctx.kind === 'pglite' && 'the embedded database has no autovacuum' }, async () => {
    const t = await startTestRunner(ctx.db, { handlers: { burst: async () => undefined } });
    try {
      await t.enqueue(Array.from({ length: 1_000 }, (_, i) => ({ hook: 'burst', argsText: `[${i}]` })));
      await waitFor(async () => (await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${ctx.db.schema}.actions WHERE status = 'complete'`)).rows[0]?.n === 1_000, { what: 'the burst to run' });
      assert.equal((await maintenanceCounts(ctx.db)).vacuums, 0);
    } finally {
      await t.stop();
    }
  });
});
