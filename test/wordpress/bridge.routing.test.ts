/**
 * With Action Scheduler loaded (the stand-in fixture, built on 3.8's structure), the bridge routes the
 * configured groups to the sidecar and leaves the rest alone: through its store, or, when the store is
 * switched off, through the pre_as_* filters — one route per call, never both.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { probeOnce, SIDECAR_ID_FLOOR, useBridgeStack } from './support/bridge-stack.ts';

const { skip, live } = await useBridgeStack('bridge.routing', { standInActionScheduler: true });

interface LocalAction {
  id: number;
  hook: string;
  args: unknown;
  group: string;
}

/** Action Scheduler's own rows: the bridge's store also lists the sidecar's, whose ids start at 10^15. */
const localActions = async (): Promise<LocalAction[]> =>
  Object.values(await live().site.call<Record<string, LocalAction> | LocalAction[]>('wecoza_sidecar_stand_in_actions')).filter((action) => action.id < SIDECAR_ID_FLOOR);

async function sidecarActions(hook: string, group: string): Promise<Array<{ id: number; args: unknown; group: string }>> {
  const query = new URLSearchParams({ hook, group, status: 'pending,in-progress,complete,failed,canceled', per_page: '-1' });
  const reply = await live().api('GET', `/v1/actions?${query.toString()}`);
  assert.equal(reply.status, 200, JSON.stringify(reply.json));
  return reply.json.actions;
}

describe('as_enqueue_async_action with the stand-in Action Scheduler active', { skip }, () => {
  it('is answered by Action Scheduler, not defined by the bridge', async () => {
    assert.equal(await live().site.call('wecoza_sidecar_test_is_mirroring'), false);
  });

  it('sends a call in group wecoza-notifications to the sidecar and returns its id', async () => {
    const args = { routed: randomUUID() };
    const localBefore = await localActions();

    const id = await live().site.call<number>('as_enqueue_async_action', ['wecoza_test_routed', args, 'wecoza-notifications']);

    assert.ok(Number.isInteger(id) && id > 0, `as_enqueue_async_action returned ${JSON.stringify(id)}`);
    const held = await sidecarActions('wecoza_test_routed', 'wecoza-notifications');
    assert.deepEqual(held.map((action) => [action.id, action.args]), [[id, args]]);
    assert.deepEqual(await localActions(), localBefore, 'the stand-in stored the routed call as well');
  });

  it('leaves a call in another group to Action Scheduler', async () => {
    const args = { local: randomUUID() };

    const id = await live().site.call<number>('as_enqueue_async_action', ['wecoza_test_routed', args, 'wecoza-tests']);

    assert.ok(id > 0);
    const local = (await localActions()).filter((action) => action.hook === 'wecoza_test_routed' && action.group === 'wecoza-tests');
    assert.deepEqual(local.map((action) => [action.id, action.args]), [[id, args]]);
    assert.deepEqual(await sidecarActions('wecoza_test_routed', 'wecoza-tests'), []);
  });
});

describe('as_schedule_single_action with the stand-in Action Scheduler active', { skip }, () => {
  it('keeps a unique call in a routed group unique although Action Scheduler 3.8 does not pass $unique', async () => {
    const future = Math.floor(Date.now() / 1000) + 3600;
    const call = (): Promise<number> => live().site.call<number>('as_schedule_single_action', [future, 'wecoza_test_routed_single', { n: 1 }, 'wecoza-notifications', true]);

    const first = await call();
    const second = await call();

    assert.ok(first > 0, `first call returned ${first}`);
    assert.equal(second, 0);
    const held = await sidecarActions('wecoza_test_routed_single', 'wecoza-notifications');
    assert.deepEqual(held.map((action) => action.id), [first]);
    assert.deepEqual((await localActions()).filter((action) => action.hook === 'wecoza_test_routed_single'), []);
  });
});

describe("one route per call: the bridge's store, or the pre_as_* filters when the store is off", { skip }, () => {
  const useProbe = probeOnce(live);
  const countedEnqueue = async (name: string, args: Record<string, unknown>): Promise<{ id: number; calls: string[] }> => {
    await live().site.call('update_option', ['wecoza_sidecar_test_count_http', name]);
    // Dated an hour ahead, so the sidecar's runner leaves it pending for the reads below.
    const id = await live().site.call<number>('as_schedule_single_action', [Math.floor(Date.now() / 1000) + 3600, 'wecoza_test_routed', args, 'wecoza-notifications']);
    await live().site.call('delete_option', ['wecoza_sidecar_test_count_http']);
    return { id, calls: await live().site.call<string[]>('get_option', [`wecoza_sidecar_test_http_${name}`, []]) };
  };

  it('creates a routed action with one call through the store, and reads it back through Action Scheduler', async () => {
    const probe = await useProbe();
    assert.equal((await probe.site.call<{ store: string }>('wecoza_sidecar_probe_classes')).store, 'WeCoza\\Sidecar\\Action_Scheduler\\Store');
    const args = { once: randomUUID() };
    const { id, calls } = await countedEnqueue('store_on', args);
    assert.ok(id >= SIDECAR_ID_FLOOR);
    assert.deepEqual(calls, ['POST /v1/actions/single']);
    assert.equal(await live().site.call('as_has_scheduled_action', ['wecoza_test_routed', args, 'wecoza-notifications']), true);
  });

  it('routes through the pre_as_* filters when the store is switched off, and reads stay Action Scheduler’s', async () => {
    const probe = await useProbe();
    await probe.setFilters({ wecoza_sidecar_action_scheduler_store: false });
    try {
      assert.equal((await probe.site.call<{ store: string }>('wecoza_sidecar_probe_classes')).store, 'ActionScheduler_DBStore');
      const args = { fallback: randomUUID() };
      const { id, calls } = await countedEnqueue('store_off', args);
      assert.ok(id >= SIDECAR_ID_FLOOR, `the pre_as_* filter answered ${id}`);
      assert.deepEqual(calls, ['POST /v1/actions/single']);
      assert.deepEqual((await sidecarActions('wecoza_test_routed', 'wecoza-notifications')).filter((a) => JSON.stringify(a.args) === JSON.stringify(args)).map((a) => a.id), [id]);
      assert.deepEqual((await localActions()).filter((action) => JSON.stringify(action.args) === JSON.stringify(args)), []);
      // Without the store, Action Scheduler's own tables answer the reads: they do not know the action.
      assert.equal(await live().site.call('as_has_scheduled_action', ['wecoza_test_routed', args, 'wecoza-notifications']), false);
    } finally {
      await probe.setFilters({});
    }
  });
});
