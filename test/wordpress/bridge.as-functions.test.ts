/**
 * The as_* functions the bridge defines when Action Scheduler is absent, called from PHP inside a real
 * WordPress and checked against what the sidecar itself holds and answers.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startBridgeStack, type BridgeStack } from './support/bridge-stack.ts';
import { waitFor, wordpressSkipReason } from './support/wordpress-site.ts';

const skip = await wordpressSkipReason('bridge.as-functions');
let stack: BridgeStack | null = null;

before(async () => {
  if (skip === undefined) stack = await startBridgeStack();
}, { timeout: 180_000 });

after(async () => {
  if (stack !== null) await stack.site.call('wecoza_sidecar_test_open_gate').catch(() => undefined);
  await stack?.stop();
}, { timeout: 60_000 });

function live(): BridgeStack {
  assert.ok(stack, 'the WordPress stack did not start');
  return stack;
}

/**
 * While the test-hooks gate is closed, a dispatched wecoza_test_hook waits inside WordPress, so its
 * action stays pending or in progress (whichever the runner reached) for as long as a test looks.
 */
async function withGateClosed<T>(body: () => Promise<T>): Promise<T> {
  await live().site.call('wecoza_sidecar_test_close_gate');
  try {
    return await body();
  } finally {
    await live().site.call('wecoza_sidecar_test_open_gate');
  }
}

/** The sidecar's own answer to has/next, through its query-string form (args as JSON text; absent = any). */
async function sidecarLookup(route: 'has' | 'next', hook: string, args: unknown, group: string): Promise<unknown> {
  const query = new URLSearchParams({ hook, group });
  if (args !== null) query.set('args', JSON.stringify(args));
  const reply = await live().api('GET', `/v1/actions/${route}?${query.toString()}`);
  assert.equal(reply.status, 200, JSON.stringify(reply.json));
  return route === 'has' ? reply.json.scheduled : reply.json.next;
}

describe('as_enqueue_async_action', { skip }, () => {
  it('is defined by the bridge because Action Scheduler is not loaded', async () => {
    assert.equal(await live().site.call('wecoza_sidecar_test_is_mirroring'), true);
  });

  it('returns an id, then 0 for its unique twin, and the sidecar holds one action with args {"x":1}', async () => {
    const [first, second, actions] = await withGateClosed(async () => {
      const call = (): Promise<number> => live().site.call<number>('as_enqueue_async_action', ['wecoza_test_hook', { x: 1 }, 'wecoza-tests', true]);
      const ids = [await call(), await call()];
      const listed = await live().api('GET', '/v1/actions?hook=wecoza_test_hook&group=wecoza-tests&status=pending,in-progress,complete,failed,canceled&per_page=-1');
      assert.equal(listed.status, 200);
      return [ids[0], ids[1], listed.json.actions as Array<{ id: number; args: unknown; unique: boolean }>] as const;
    });

    assert.ok(Number.isInteger(first) && (first as number) > 0, `first call returned ${JSON.stringify(first)}`);
    assert.equal(second, 0);
    assert.deepEqual(actions.map((action) => [action.id, action.args, action.unique]), [[first, { x: 1 }, true]]);
  });

  it('creates a new action once the unique twin has finished', async () => {
    const listed = await live().api('GET', '/v1/actions?hook=wecoza_test_hook&group=wecoza-tests&per_page=1&orderby=action_id&order=DESC');
    const twin = listed.json.actions[0] as { id: number } | undefined;
    assert.ok(twin, 'needs the action of the previous test');
    await waitFor(`action ${twin.id} to be run`, async () => {
      const reply = await live().api('GET', `/v1/actions/${twin.id}`);
      return reply.json.status === 'complete' ? true : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200 });

    const again = await live().site.call<number>('as_enqueue_async_action', ['wecoza_test_hook', { x: 1 }, 'wecoza-tests', true]);

    assert.ok(again > twin.id, `expected a new id above ${twin.id}, got ${again}`);
  });
});

describe('as_has_scheduled_action and as_next_scheduled_action', { skip }, () => {
  const later = Math.floor(Date.now() / 1000) + 3600;
  const nonce = randomUUID();

  before(async () => {
    if (skip !== undefined) return;
    const id = await live().site.call<number>('as_schedule_single_action', [later, 'wecoza_test_later', { k: nonce }, 'wecoza-tests']);
    assert.ok(id > 0, `as_schedule_single_action returned ${id}`);
  });

  // [hook, args (null = any), group ('' = any)] => what Action Scheduler would answer: has, next.
  const cases: Array<{ title: string; query: [string, unknown, string]; has: boolean; next: number | boolean | 'later' }> = [
    { title: 'exact hook, args and group', query: ['wecoza_test_later', { k: nonce }, 'wecoza-tests'], has: true, next: 'later' },
    { title: 'any args, any group', query: ['wecoza_test_later', null, ''], has: true, next: 'later' },
    { title: 'other args', query: ['wecoza_test_later', { k: 'other' }, 'wecoza-tests'], has: false, next: false },
    { title: 'argless only ([])', query: ['wecoza_test_later', [], ''], has: false, next: false },
    { title: 'other group', query: ['wecoza_test_later', { k: nonce }, 'another-group'], has: false, next: false },
    { title: 'unknown hook', query: ['wecoza_test_never_scheduled', null, ''], has: false, next: false },
  ];

  it('answer as the sidecar does, and as Action Scheduler would, for pending, absent and mismatched queries', async () => {
    const table: string[] = [];
    for (const { title, query, has, next } of cases) {
      const [hook, args, group] = query;
      const expectedNext = next === 'later' ? later : next;
      const phpHas = await live().site.call('as_has_scheduled_action', query);
      const phpNext = await live().site.call('as_next_scheduled_action', query);
      const sidecarHas = await sidecarLookup('has', hook, args, group);
      const sidecarNext = await sidecarLookup('next', hook, args, group);
      table.push(`${title}: php has=${phpHas} next=${phpNext}; sidecar has=${sidecarHas} next=${sidecarNext}; expected has=${has} next=${expectedNext}`);
      assert.deepEqual([phpHas, phpNext, sidecarHas, sidecarNext], [has, expectedNext, has, expectedNext], table.join('\n'));
    }
  });

  it('answer true for an async action that is waiting or running, as the sidecar does', async () => {
    const args = { held: nonce };
    await withGateClosed(async () => {
      const id = await live().site.call<number>('as_enqueue_async_action', ['wecoza_test_hook', args, 'wecoza-tests']);
      assert.ok(id > 0);
      const query = ['wecoza_test_hook', args, 'wecoza-tests'];
      const answers = [
        await live().site.call('as_has_scheduled_action', query),
        await live().site.call('as_next_scheduled_action', query),
        await sidecarLookup('has', 'wecoza_test_hook', args, 'wecoza-tests'),
        await sidecarLookup('next', 'wecoza_test_hook', args, 'wecoza-tests'),
      ];
      assert.deepEqual(answers, [true, true, true, true]);
    });
  });
});
