/**
 * Action ids live in the sidecar's own range (server/db/action-id-range.ts), on a new database and on
 * one that was made before the range existed: WordPress answers for Action Scheduler's actions and
 * the sidecar's by id, so the two sets must never meet.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ACTION_ID_FLOOR_DEFAULT, ACTION_ID_MAX, ensureActionIdFloor, PROVISIONAL_ID_MIN } from '../../../server/db/action-id-range.ts';
import { loadMigrations, migrate } from '../../../server/db/migrator.ts';
import { withTestApp } from '../../support/app.ts';
import { describeEachDatabase } from '../../support/databases.ts';

const FLOOR = ACTION_ID_FLOOR_DEFAULT;

describeEachDatabase('action ids start at the sidecar floor', import.meta.url, (ctx) => {
  it('gives a new database ids from 10^15 up, below the provisional range and below 2^53', () =>
    withTestApp(ctx.db, async (t) => {
      const first = (await t.call('POST', '/v1/actions/async', { hook: 'h' })).json().action_id as number;
      const batch = (await t.call('POST', '/v1/actions/batch', { actions: [{ type: 'async', hook: 'h' }, { type: 'async', hook: 'h' }] })).json().results as Array<{ action_id: number }>;
      assert.equal(first, FLOOR);
      assert.deepEqual(batch.map((r) => r.action_id), [FLOOR + 1, FLOOR + 2]);
      assert.ok(ACTION_ID_MAX < PROVISIONAL_ID_MIN && PROVISIONAL_ID_MIN < Number.MAX_SAFE_INTEGER);
      // The id survives the JSON round trip exactly.
      assert.equal((await t.call('GET', `/v1/actions/${first}`)).json().id, first);
    }));

  it('stops the sequence before the provisional range instead of entering it', async () => {
    await ctx.db.query(`SELECT setval('${ctx.db.schema}.actions_id_seq', ${ACTION_ID_MAX}, true)`);
    await assert.rejects(ctx.db.query(`SELECT nextval('${ctx.db.schema}.actions_id_seq')`), /maximum value/);
  });

  it('raises the sequence to a higher SIDECAR_ACTION_ID_FLOOR at start-up and never lowers it', async () => {
    const sequence = async (): Promise<number> => {
      const { rows } = await ctx.db.query<{ next: number }>(`SELECT (CASE WHEN is_called THEN last_value + 1 ELSE last_value END)::bigint AS next FROM ${ctx.db.schema}.actions_id_seq`);
      return Number(rows[0]?.next);
    };
    assert.equal(await sequence(), FLOOR);
    await ensureActionIdFloor(ctx.db, 2 * FLOOR);
    assert.equal(await sequence(), 2 * FLOOR);
    await ensureActionIdFloor(ctx.db, FLOOR);
    assert.equal(await sequence(), 2 * FLOOR);
    await withTestApp(ctx.db, async (t) => {
      assert.equal((await t.call('POST', '/v1/actions/async', { hook: 'h' })).json().action_id, 2 * FLOOR);
    });
  });
});

describeEachDatabase('migration 006 on a database made before the id range', import.meta.url, (ctx) => {
  it('moves existing ids up by 10^15 with their log lines, and continues after the highest', async () => {
    const before = (await loadMigrations()).filter((migration) => migration.id < 6);
    await migrate(ctx.db, before);
    const s = ctx.db.schema;
    // Three actions as the old sequence numbered them, one of them running, each with a log line.
    await withTestApp(ctx.db, async (t) => {
      for (const hook of ['a', 'b', 'c']) assert.equal((await t.call('POST', '/v1/actions/async', { hook, args: [hook] })).statusCode, 201);
    });
    await ctx.db.query(`UPDATE ${s}.actions SET status = 'in-progress', claim_token = gen_random_uuid() WHERE id = 2`);
    const { rows: old } = await ctx.db.query<{ id: number }>(`SELECT id FROM ${s}.actions ORDER BY id`);
    assert.deepEqual(old.map((row) => row.id), [1, 2, 3]);

    assert.equal((await migrate(ctx.db)).applied[0], '006_action_id_range.sql');

    const { rows: moved } = await ctx.db.query<{ id: number; hook: string; status: string; lines: number }>(
      `SELECT a.id, a.hook, a.status, (SELECT count(*)::integer FROM ${s}.action_logs l WHERE l.action_id = a.id) AS lines FROM ${s}.actions a ORDER BY a.id`,
    );
    assert.deepEqual(moved, [
      { id: FLOOR + 1, hook: 'a', status: 'pending', lines: 1 },
      { id: FLOOR + 2, hook: 'b', status: 'in-progress', lines: 1 },
      { id: FLOOR + 3, hook: 'c', status: 'pending', lines: 1 },
    ]);
    const orphans = await ctx.db.query<{ n: number }>(`SELECT count(*)::integer AS n FROM ${s}.action_logs WHERE action_id < ${FLOOR}`);
    assert.equal(orphans.rows[0]?.n, 0);
    await withTestApp(ctx.db, async (t) => {
      assert.equal((await t.call('POST', '/v1/actions/async', { hook: 'd' })).json().action_id, FLOOR + 4);
      assert.equal((await t.call('GET', `/v1/actions/${FLOOR + 2}`)).json().hook, 'b');
      assert.equal((await t.call('GET', '/v1/actions/2')).statusCode, 404);
    });
  });

  it('gives an empty old database the floor as its next id', async () => {
    await migrate(ctx.db, (await loadMigrations()).filter((migration) => migration.id < 6));
    await migrate(ctx.db);
    await withTestApp(ctx.db, async (t) => {
      assert.equal((await t.call('POST', '/v1/actions/async', { hook: 'h' })).json().action_id, FLOOR);
    });
  });
}, { migrate: false });
