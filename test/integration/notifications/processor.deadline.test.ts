import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createActionStore } from '../../../server/actions/store.ts';
import { testConfig } from '../../../server/config.ts';
import { createEvents } from '../../../server/events.ts';
import { createLockStore } from '../../../server/locks/store.ts';
import { createCursorStore } from '../../../server/notifications/cursor.ts';
import { createProcessor, PROCESS_LOCK_KEY } from '../../../server/notifications/processor.ts';
import { createSettingsStore } from '../../../server/notifications/settings.ts';
import { createSourceTable } from '../../../server/notifications/source.ts';
import { createHookPolicies } from '../../../server/hook-policies.ts';
import { createTransitions } from '../../../server/notifications/transitions.ts';
import { describeEachDatabase } from '../../support/databases.ts';
import { createTestSource } from '../../support/notifications.ts';

const FILE = import.meta.url;

describeEachDatabase('a processor pass that runs long', FILE, (ctx) => {
  it('starts no chunk after 85 s, keeps what it did, releases the lock and lets the next pass continue', async () => {
    const db = ctx.db;
    const table = await createTestSource(db, ctx.schemaName);
    await db.query(`INSERT INTO ${table} (operation, new_row, diff) SELECT 'INSERT', '{}'::jsonb, '{}'::jsonb FROM generate_series(1, 250)`);
    const source = createSourceTable({ db, sourceDb: null, table });
    const actions = createActionStore({ db, events: createEvents() });
    const locks = createLockStore(db);
    // Every reading of the clock is 30 s later: after the first chunk the pass is 90 s old.
    let clock = 0;
    const processor = createProcessor({
      db,
      source,
      settings: createSettingsStore({ db, config: testConfig({ notifyRecipientsInsert: ['a@example.com'] }) }),
      locks,
      cursor: createCursorStore({ db, source, startLogId: 0 }),
      scheduling: { schema: db.schema, source, policies: createHookPolicies(testConfig()), mailDomain: 'wecoza.example', transitions: createTransitions(db.schema), enqueueIn: (tx, items) => actions.enqueueIn(tx, items) },
      announce: () => undefined,
      openaiApiKey: 'sk-test',
      now: () => (clock += 30_000),
    });
    const first = await processor.run({ batchLimit: 500 });
    assert.deepEqual([first.status, first.scanned, first.cursor], ['processed', 100, 100]);
    assert.equal((await locks.get(PROCESS_LOCK_KEY))?.held, false);
    clock = 0;
    const second = await processor.run({ batchLimit: 500 });
    assert.deepEqual([second.scanned, second.cursor], [100, 200]);
  });
});
