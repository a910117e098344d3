/**
 * Pending actions of routed groups that sit in Action Scheduler's tables (the stand-in's) move to the
 * sidecar once: on activation, again after a crash halfway, and when a group joins the routed list.
 * The sidecar is API-only, so what moved stays pending and can be compared field by field.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { probeOnce, SIDECAR_ID_FLOOR, useBridgeStack } from './support/bridge-stack.ts';
import { ROUTED, type SidecarAction } from './support/phase12.ts';

const { skip, live } = await useBridgeStack('bridge.move', { standInActionScheduler: true, sidecarEnv: { SIDECAR_ROLE: 'api' } });
const BRIDGE = 'wecoza-sidecar/wecoza-sidecar.php';
const now = Math.floor(Date.now() / 1000);

const useProbe = probeOnce(live);

interface Local {
  id: number;
  hook: string;
  args: Record<string, unknown>;
  priority: number;
  type: 'async' | 'single' | 'interval' | 'cron';
  date: number;
}

/** `count` actions in Action Scheduler's own tables (the bridge must be inactive), one schedule of each kind in turn. */
async function createLocal(count: number, group: string, token: string, options: { dated?: boolean } = {}): Promise<Local[]> {
  const probe = await useProbe();
  const calls: Array<[string, unknown[]]> = [];
  const planned: Array<Omit<Local, 'id' | 'date'>> = [];
  for (let n = 0; n < count; n++) {
    const hook = `wecoza_moved_${n % 3}`;
    const args = { token, n };
    const priority = n % 7;
    const at = now + 600 + 60 * n;
    // Dated only: nothing due now, for a move that runs on WP-Cron beside Action Scheduler's own runner.
    const types = options.dated === true ? (['single', 'interval', 'cron'] as const) : (['async', 'single', 'interval', 'cron'] as const);
    const type = types[n % types.length] as Local['type'];
    planned.push({ hook, args, priority, type });
    if (type === 'async') calls.push(['as_enqueue_async_action', [hook, args, group, false, priority]]);
    else if (type === 'single') calls.push(['as_schedule_single_action', [at, hook, args, group, false, priority]]);
    else if (type === 'interval') calls.push(['as_schedule_recurring_action', [at, 900, hook, args, group, false, priority]]);
    else calls.push(['as_schedule_cron_action', [at, '30 4 * * *', hook, args, group, false, priority]]);
  }
  const created = await probe.batch(calls);
  const ids = created.map((reply) => reply.result as number);
  const dates = await probe.batch(ids.map((id) => ['store:get_date', [id]]));
  return planned.map((item, index) => {
    assert.ok((ids[index] as number) > 0 && (ids[index] as number) < SIDECAR_ID_FLOOR, `Action Scheduler gave ${ids[index]}`);
    return { ...item, id: ids[index] as number, date: (dates[index]?.result as { '@date': number })['@date'] };
  });
}

async function sidecarByToken(token: string): Promise<SidecarAction[]> {
  const reply = await live().api('POST', '/v1/actions/query', { search: token, per_page: -1, orderby: 'action_id', status: ['pending', 'in-progress', 'complete', 'failed', 'canceled'] });
  assert.equal(reply.status, 200);
  return reply.json.actions as SidecarAction[];
}

/** Each local action's copy in the sidecar (by its args, which are unique), checked field by field. */
function assertMoved(local: Local[], held: SidecarAction[], group: string): Map<number, number> {
  assert.equal(held.length, local.length, `the sidecar holds ${held.length} copies of ${local.length} actions`);
  const copies = new Map<number, number>();
  for (const action of local) {
    const copy = held.filter((candidate) => JSON.stringify(candidate.args) === JSON.stringify(action.args));
    assert.equal(copy.length, 1, `copies of #${String(action.args.n)}`);
    const [moved] = copy as [SidecarAction];
    const where = `#${String(action.args.n)} (${action.type})`;
    assert.deepEqual([moved.hook, moved.group, moved.priority, moved.status, moved.schedule.type], [action.hook, group, action.priority, 'pending', action.type], where);
    assert.equal(moved.scheduled_timestamp, action.date, `${where}: date`);
    if (action.type === 'interval') assert.equal((moved.schedule as { interval?: number }).interval, 900, where);
    if (action.type === 'cron') assert.equal((moved.schedule as { cron?: string }).cron, '30 4 * * *', where);
    copies.set(action.id, moved.id);
  }
  return copies;
}

async function assertCanceledWithNewIds(copies: Map<number, number>): Promise<void> {
  const probe = await useProbe();
  const ids = [...copies.keys()];
  const replies = await probe.batch(ids.flatMap((id): Array<[string, unknown[]]> => [['store:get_status', [id]], ['logger:get_logs', [id]]]));
  ids.forEach((local, index) => {
    const status = replies[2 * index]?.result;
    const logs = (replies[2 * index + 1]?.result as Array<{ message: string }>).map((entry) => entry.message);
    assert.equal(status, 'canceled', `local action ${local}`);
    assert.equal(logs.at(-1), `moved to the WeCoza Sidecar as action ${copies.get(local)}`, `local action ${local}: ${JSON.stringify(logs)}`);
    assert.equal(logs.filter((line) => line.startsWith('moved to')).length, 1);
  });
}

describe('moving routed actions out of Action Scheduler’s tables', { skip }, () => {
  const token = randomUUID();
  let moved: Map<number, number>;

  it('moves 50 pending routed actions on activation, same hook, args, group, priority, date and schedule, each canceled with its new id', async () => {
    const probe = await useProbe();
    await live().site.call('deactivate_plugins', [BRIDGE]);
    const routed = await createLocal(50, ROUTED, token);
    const other = await createLocal(3, 'wecoza-tests', token);
    const done = await createLocal(1, ROUTED, `${token}-done`);
    await probe.value('store:cancel_action', [done[0]?.id]);

    await live().site.call('activate_plugin', [BRIDGE]);

    moved = assertMoved(routed, (await sidecarByToken(token)).filter((action) => action.group === ROUTED), ROUTED);
    await assertCanceledWithNewIds(moved);
    const statuses = await probe.batch(other.map((action) => ['store:get_status', [action.id]]));
    assert.deepEqual(statuses.map((reply) => reply.result), ['pending', 'pending', 'pending'], 'another group stays in Action Scheduler');
    assert.deepEqual(await sidecarByToken(`${token}-done`), [], 'a canceled action is not moved');
  });

  it('moves nothing twice when the bridge is activated again', async () => {
    await live().site.call('deactivate_plugins', [BRIDGE]);
    await live().site.call('activate_plugin', [BRIDGE]);
    assert.equal((await sidecarByToken(token)).filter((action) => action.group === ROUTED).length, 50);
    assert.deepEqual(await live().site.call('wecoza_sidecar_move_routed_actions'), { moved: 0, error: null });
    await assertCanceledWithNewIds(moved);
  });

  it('finishes a move that died after the sidecar took the batch, without a second copy', async () => {
    const crashed = `${token}-crash`;
    await live().site.call('deactivate_plugins', [BRIDGE]);
    const routed = await createLocal(6, ROUTED, crashed);
    await live().site.call('update_option', ['wecoza_sidecar_test_die_after_move', '1']);

    await assert.rejects(live().site.call('activate_plugin', [BRIDGE]), /exit code 70|code 70|failed/);

    // The sidecar has the batch; Action Scheduler's rows are canceled, unlogged, and journaled.
    assert.equal((await sidecarByToken(crashed)).length, 6);
    assert.notEqual(await live().site.call('get_option', ['wecoza_sidecar_move_journal', false]), false);
    await live().site.call('activate_plugin', [BRIDGE]);

    const copies = assertMoved(routed, await sidecarByToken(crashed), ROUTED);
    await assertCanceledWithNewIds(copies);
    assert.equal(await live().site.call('get_option', ['wecoza_sidecar_move_journal', false]), false);
  });

  it('moves the pending actions of a group added to the routed list', async () => {
    const added = `${token}-added`;
    const local = await createLocal(4, 'wecoza-extra', added, { dated: true });
    assert.deepEqual(await sidecarByToken(added), [], 'wecoza-extra is not routed yet');

    await live().site.call('update_option', ['wecoza_sidecar_routed_groups', `${ROUTED}\nwecoza-extra`]);
    // Any request notices the new group and schedules the move on WP-Cron's next run.
    const page = await live().site.request('/');
    await page.arrayBuffer();
    assert.ok(await live().site.call('wp_next_scheduled', ['wecoza_sidecar_move_routed_actions']));
    const response = await live().site.request('/wp-cron.php');
    await response.arrayBuffer();

    const copies = assertMoved(local, await sidecarByToken(added), 'wecoza-extra');
    await assertCanceledWithNewIds(copies);
    assert.deepEqual(await live().site.call('wecoza_sidecar_move_routed_actions'), { moved: 0, error: null });
  });
});
