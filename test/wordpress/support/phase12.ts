/**
 * WeCoza's Phase-12 calls as its PHP writes them (reference wecoza-pipeline.md §2.1), and Action
 * Scheduler's read and cancel functions over what they created, against an API-only sidecar: nothing
 * runs, so every answer can be checked against the sidecar's own record of the action.
 *
 * Shared by the suite with the stand-in Action Scheduler active (the bridge is its store) and the one
 * without it (the bridge defines the as_* functions itself): the answers must be the same.
 */
import assert from 'node:assert/strict';
import { randomInt, randomUUID } from 'node:crypto';
import { it } from 'node:test';
import { postDelivery, SIDECAR_ID_FLOOR, type BridgeStack } from './bridge-stack.ts';

export const ROUTED = 'wecoza-notifications';

export interface SidecarAction {
  id: number;
  hook: string;
  args: unknown;
  group: string;
  status: string;
  priority: number;
  unique: boolean;
  schedule: { type: string; timestamp?: number };
  scheduled_timestamp: number;
}

export const sidecarAction = async (stack: BridgeStack, id: number): Promise<SidecarAction> => {
  const reply = await stack.api('GET', `/v1/actions/${id}`);
  assert.equal(reply.status, 200, `the sidecar has no action ${id}: ${JSON.stringify(reply.json)}`);
  return reply.json as SidecarAction;
};

/** The sidecar's actions of one hook, any status, in id order. */
export const sidecarActionsOf = async (stack: BridgeStack, hook: string): Promise<SidecarAction[]> => {
  const reply = await stack.api('POST', '/v1/actions/query', { hook, per_page: -1, orderby: 'action_id', status: ['pending', 'in-progress', 'complete', 'failed', 'canceled'] });
  assert.equal(reply.status, 200, JSON.stringify(reply.json));
  return reply.json.actions as SidecarAction[];
};

/** A WeCoza class_change_logs id no other test uses. */
const logIds = new Set<number>();
export const freshLogId = (): number => {
  for (;;) {
    const id = randomInt(1, 2_000_000_000);
    if (!logIds.has(id)) {
      logIds.add(id);
      return id;
    }
  }
};

interface RecordedCall {
  hook: string;
  args: unknown[];
  uri: string;
}

const chainCalls = (stack: BridgeStack, marker: string): Promise<RecordedCall[]> =>
  stack.site.call<RecordedCall[]>('wecoza_sidecar_test_calls', ['wecoza_test_chain']).then((calls) => calls.filter((call) => JSON.stringify(call.args).includes(marker)));

/**
 * Registers the tests (inside the caller's describe). `chainThroughActionScheduler` runs a local
 * Action Scheduler action through its queue runner (only with Action Scheduler loaded).
 */
export function phase12Tests(live: () => BridgeStack, options: { chainThroughActionScheduler?: () => Promise<void> } = {}): void {
  const call = <T>(fn: string, args: unknown[]): Promise<T> => live().site.call<T>(fn, args);

  it('enqueues the enrichment as WeCoza does: the sidecar holds it and has/next answer for it', async () => {
    const args = { log_id: freshLogId() };
    const id = await call<number>('as_enqueue_async_action', ['wecoza_enrich_notification', args, ROUTED]);

    assert.ok(Number.isSafeInteger(id) && id >= SIDECAR_ID_FLOOR, `as_enqueue_async_action returned ${id}`);
    const held = await sidecarAction(live(), id);
    assert.deepEqual([held.hook, held.args, held.group, held.status, held.priority, held.unique, held.schedule.type], ['wecoza_enrich_notification', args, ROUTED, 'pending', 10, false, 'async']);
    assert.equal(await call('as_has_scheduled_action', ['wecoza_enrich_notification', args, ROUTED]), true);
    assert.equal(await call('as_has_scheduled_action', ['wecoza_enrich_notification', { log_id: -1 }, ROUTED]), false);
    assert.equal(await call('as_next_scheduled_action', ['wecoza_enrich_notification', args, ROUTED]), true, 'an async action answers true');
  });

  it('enqueues the e-mail with a recipient, without one, and the urgent one at priority 5', async () => {
    const logId = freshLogId();
    const withRecipient = { log_id: logId, recipient: 'ops@example.com', email_context: [] };
    const withoutRecipient = { log_id: logId };
    const ids = [
      await call<number>('as_enqueue_async_action', ['wecoza_send_notification_email', withRecipient, ROUTED]),
      await call<number>('as_enqueue_async_action', ['wecoza_send_notification_email', withoutRecipient, ROUTED]),
      await call<number>('as_enqueue_async_action', ['wecoza_send_notification_email', withoutRecipient, ROUTED, false, 5]),
    ];

    assert.equal(new Set(ids).size, 3, `ids ${ids.join(', ')}`);
    const held = await Promise.all(ids.map((id) => sidecarAction(live(), id)));
    assert.deepEqual(held.map((action) => [action.args, action.priority, action.group]), [
      [withRecipient, 10, ROUTED],
      [withoutRecipient, 10, ROUTED],
      [withoutRecipient, 5, ROUTED],
    ]);
    // as_get_scheduled_actions sees all three, in their order.
    const listed = await call<string[]>('as_get_scheduled_actions', [{ hook: 'wecoza_send_notification_email', group: ROUTED, per_page: -1, orderby: 'action_id', search: String(logId) }, 'ids']);
    assert.deepEqual(listed, ids.map(String));
  });

  it('checks as_has_scheduled_action before a unique enqueue, so the second pass enqueues nothing', async () => {
    const args = { log_id: freshLogId() };
    const created: number[] = [];
    for (let pass = 0; pass < 2; pass++) {
      if (!(await call<boolean>('as_has_scheduled_action', ['wecoza_enrich_notification', args, ROUTED]))) {
        created.push(await call<number>('as_enqueue_async_action', ['wecoza_enrich_notification', args, ROUTED, true]));
      }
    }
    assert.equal(created.length, 1);
    assert.ok((created[0] as number) >= SIDECAR_ID_FLOOR);
    // Without the check, the unique flag alone refuses the twin with Action Scheduler's 0.
    assert.equal(await call('as_enqueue_async_action', ['wecoza_enrich_notification', args, ROUTED, true]), 0);
    const held = (await sidecarActionsOf(live(), 'wecoza_enrich_notification')).filter((action) => JSON.stringify(action.args) === JSON.stringify(args));
    assert.deepEqual(held.map((action) => action.id), created);
  });

  it('routes an enqueue chained from inside a callback that WordPress runs for the sidecar', async () => {
    const args = { log_id: freshLogId(), recipient: 'chain@example.com' };
    const marker = String(args.log_id);
    const delivery = { action_id: SIDECAR_ID_FLOOR + randomInt(1_000_000_000), hook: 'wecoza_test_chain', args: ['wecoza_send_notification_email', args, ROUTED, 5], group: 'wecoza-tests', attempt: 1, claim_id: randomUUID() };

    const reply = await postDelivery(live().site, live().secret, delivery);

    assert.equal(reply.status, 200, JSON.stringify(reply.json));
    const [chained] = await chainCalls(live(), marker);
    assert.ok(chained, 'the callback did not run');
    assert.match(chained.uri, /rest_route=\/wecoza-sidecar\/v1\/run/);
    const id = chained.args[4] as number;
    assert.ok(id >= SIDECAR_ID_FLOOR, `the chained enqueue returned ${id}`);
    const held = await sidecarAction(live(), id);
    assert.deepEqual([held.hook, held.args, held.group, held.priority], ['wecoza_send_notification_email', args, ROUTED, 5]);
  });

  if (options.chainThroughActionScheduler !== undefined) {
    const runQueue = options.chainThroughActionScheduler;
    it("routes an enqueue chained from inside a callback that Action Scheduler's own queue runner runs", async () => {
      const args = { log_id: freshLogId() };
      const local = await call<number>('as_enqueue_async_action', ['wecoza_test_chain', ['wecoza_enrich_notification', args, ROUTED], 'wecoza-tests']);
      assert.ok(local > 0 && local < SIDECAR_ID_FLOOR, `the local action got id ${local}`);

      await runQueue();

      const [chained] = await chainCalls(live(), String(args.log_id));
      assert.ok(chained, 'the queue runner did not run the local action');
      const held = await sidecarAction(live(), chained.args[4] as number);
      assert.deepEqual([held.hook, held.args, held.group], ['wecoza_enrich_notification', args, ROUTED]);
    });
  }

  it('has, next, get, unschedule and unschedule-all see, time and cancel the sidecar actions', async () => {
    const hook = `wecoza_phase12_${randomUUID().slice(0, 8)}`;
    const now = Math.floor(Date.now() / 1000);
    const [early, late] = [now + 3600, now + 7200];
    const first = await call<number>('as_schedule_single_action', [late, hook, { n: 2 }, ROUTED]);
    const second = await call<number>('as_schedule_single_action', [early, hook, { n: 1 }, ROUTED]);
    const argless = await call<number>('as_schedule_single_action', [late, hook, [], ROUTED]);

    assert.equal(await call('as_has_scheduled_action', [hook]), true);
    assert.equal(await call('as_next_scheduled_action', [hook]), early);
    assert.equal(await call('as_next_scheduled_action', [hook, { n: 2 }, ROUTED]), late);
    assert.deepEqual(await call('as_get_scheduled_actions', [{ hook, per_page: -1 }, 'ids']), [String(second), String(first), String(argless)]);

    // A running action answers true, as Action Scheduler's in-progress does.
    await live().sidecarSql(`UPDATE {{schema}}.actions SET status = 'in-progress', claim_token = gen_random_uuid() WHERE id = $1`, [first]);
    assert.equal(await call('as_next_scheduled_action', [hook, { n: 2 }]), true);
    await live().sidecarSql(`UPDATE {{schema}}.actions SET status = 'pending', claim_token = NULL WHERE id = $1`, [first]);

    // as_unschedule_action cancels the earliest pending match and returns its id.
    assert.equal(await call('as_unschedule_action', [hook, { n: 1 }, ROUTED]), second);
    assert.equal((await sidecarAction(live(), second)).status, 'canceled');
    assert.equal(await call('as_unschedule_action', [hook, { n: 1 }, ROUTED]), null);
    assert.equal(await call('as_next_scheduled_action', [hook]), late);

    // With hook and group, the default [] args cancel only the argless action.
    assert.equal(await call('as_unschedule_all_actions', [hook, [], ROUTED]), null);
    assert.deepEqual([(await sidecarAction(live(), first)).status, (await sidecarAction(live(), argless)).status], ['pending', 'canceled']);
    // A hook alone cancels every pending one of the hook.
    await call('as_unschedule_all_actions', [hook]);
    assert.equal((await sidecarAction(live(), first)).status, 'canceled');
    assert.equal(await call('as_has_scheduled_action', [hook]), false);
    assert.equal(await call('as_next_scheduled_action', [hook]), false);
  });
}
