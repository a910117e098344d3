import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createActionStore } from '../../../server/actions/store.ts';
import { createEvents } from '../../../server/events.ts';
import { testConfig } from '../../../server/config.ts';
import { createHookPolicies } from '../../../server/hook-policies.ts';
import { createTransitions } from '../../../server/notifications/transitions.ts';
import { planRows, scheduleRowsIn, type AiAvailability, type SchedulingDeps } from '../../../server/notifications/scheduling.ts';
import { createSourceTable } from '../../../server/notifications/source.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { createTestSource } from '../../support/notifications.ts';

const FILE = import.meta.url;
const SETTINGS = { recipients: { INSERT: ['a@example.com', 'b@example.com'] }, ai: { enabled: true, model: 'gpt-4o-mini' }, updatedAt: new Date(0) };
const ROWS = Array.from({ length: 20 }, (_, i) => ({ log_id: i + 1, operation: 'INSERT', class_id: 1, class_code: 'IMP021813' }));

describeEachDatabase('scheduleRowsIn', FILE, (ctx) => {
  const depsFor = async (): Promise<SchedulingDeps> => {
    const table = await createTestSource(ctx.db, ctx.schemaName);
    const actions = createActionStore({ db: ctx.db, events: createEvents() });
    return {
      schema: ctx.db.schema,
      source: createSourceTable({ db: ctx.db, sourceDb: null, table }),
      policies: createHookPolicies(testConfig()),
      mailDomain: 'wecoza.example',
      transitions: createTransitions(ctx.db.schema),
      enqueueIn: (tx, items) => actions.enqueueIn(tx, items),
    };
  };
  const count = async (sql: string): Promise<number> => Number((await ctx.db.query<{ n: number }>(sql)).rows[0]?.n);

  it('gives each row one notification, one delivery per recipient and one action, however many transactions race (no lock)', async () => {
    const deps = await depsFor();
    const ai: AiAvailability = { kind: 'available', model: 'gpt-4o-mini' };
    const planned = planRows(ROWS, SETTINGS, ai);
    // Six passes whose lock had expired: only the notifications key and the unique actions stand between them.
    const results = await Promise.all(Array.from({ length: 6 }, () => ctx.db.transaction((tx) => scheduleRowsIn(tx, deps, planned, ai, new Date()))));
    assert.equal(results.reduce((sum, result) => sum + result.created.length, 0), ROWS.length);
    assert.equal(results.reduce((sum, result) => sum + result.enrichScheduled, 0), ROWS.length);
    const s = ctx.db.schema;
    assert.equal(await count(`SELECT count(*)::int AS n FROM ${s}.notifications`), ROWS.length);
    assert.equal(await count(`SELECT count(*)::int AS n FROM ${s}.deliveries`), ROWS.length * 2);
    assert.equal(await count(`SELECT count(*)::int AS n FROM ${s}.actions WHERE hook = 'wecoza_enrich_notification'`), ROWS.length);
    assert.equal(await count(`SELECT count(DISTINCT message_id)::int AS n FROM ${s}.deliveries`), ROWS.length * 2);
  });

  it('enqueues the e-mails directly with the skip record when AI is off, and leaves a row with a final summary alone', async () => {
    const deps = await depsFor();
    await ctx.db.query(`INSERT INTO ${deps.source.name} (log_id, operation, new_row, diff) SELECT g, 'INSERT', '{}'::jsonb, '{}'::jsonb FROM generate_series(1, 2) AS g`);
    const final = { summary: 'kept', status: 'success', error_code: null, error_message: null, attempts: 1, viewed: false, viewed_at: null, generated_at: null, model: 'm', tokens_used: 5, processing_time_ms: 9 };
    await ctx.db.query(`UPDATE ${deps.source.name} SET ai_summary = $1::jsonb WHERE log_id = 2`, [JSON.stringify(final)]);
    const ai: AiAvailability = { kind: 'skip', code: 'feature_disabled' };
    const heads = ROWS.slice(0, 2);
    const result = await ctx.db.transaction((tx) => scheduleRowsIn(tx, deps, planRows(heads, { ...SETTINGS, ai: { enabled: false, model: 'm' } }, ai), ai, new Date()));
    assert.deepEqual([result.enrichScheduled, result.emailScheduled], [0, 4]);
    const { rows } = await ctx.db.query<{ log_id: number; ai_summary: { status: string; error_code: string | null; summary: string | null } }>(`SELECT log_id, ai_summary FROM ${deps.source.name} ORDER BY log_id`);
    assert.deepEqual(rows.map((row) => [Number(row.log_id), row.ai_summary.status, row.ai_summary.error_code]), [[1, 'failed', 'feature_disabled'], [2, 'success', null]]);
    const states = await ctx.db.query<{ state: string }>(`SELECT state FROM ${ctx.db.schema}.notifications ORDER BY log_id`);
    assert.deepEqual(states.rows.map((row) => row.state), ['sending', 'sending']);
  });
});
