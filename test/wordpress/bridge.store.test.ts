/**
 * The bridge as Action Scheduler's store, with the stand-in Action Scheduler active and an API-only
 * sidecar (nothing runs there, so every state a test sets up stays put): one id space over two
 * stores, real action objects for the sidecar's rows, reads merged in the query's order and paging,
 * counts of both, Action Scheduler's runner and cleaner kept off the sidecar's actions, and the local
 * part answering while the sidecar is away.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { probeOnce, SIDECAR_ID_FLOOR, siteSql, useBridgeStack } from './support/bridge-stack.ts';
import { ROUTED, sidecarAction } from './support/phase12.ts';
import type { ProbeActionView } from './support/stand-in.ts';

const { skip, live } = await useBridgeStack('bridge.store', { standInActionScheduler: true, sidecarEnv: { SIDECAR_ROLE: 'api' } });
const LOCAL = 'wecoza-tests';
const token = randomUUID();
const now = Math.floor(Date.now() / 1000);

const useProbe = probeOnce(live);

const mysql = (sql: string): Promise<string> => siteSql(live().site, sql);

interface Created {
  id: number;
  hook: string;
  args: Record<string, unknown>;
  group: string;
  priority: number;
  schedule: string;
  date: number | null;
}

/** One of each schedule, in turn; the same list is created in both stores. */
function plan(group: string): Array<Omit<Created, 'id'> & { call: [string, unknown[]] }> {
  return Array.from({ length: 20 }, (_, n) => {
    const hook = ['wecoza_alpha', 'Wecoza_Beta', 'wecoza_gamma'][n % 3] as string;
    const args = { token, n, store: group };
    const priority = n % 4;
    const at = now + 3600 + 60 * (n % 5);
    switch (n % 4) {
      case 0:
        return { hook, args, group, priority, schedule: 'ActionScheduler_NullSchedule', date: null, call: ['as_enqueue_async_action', [hook, args, group, false, priority]] };
      case 1:
        return { hook, args, group, priority, schedule: 'ActionScheduler_SimpleSchedule', date: at, call: ['as_schedule_single_action', [at, hook, args, group, false, priority]] };
      case 2:
        return { hook, args, group, priority, schedule: 'ActionScheduler_IntervalSchedule', date: at, call: ['as_schedule_recurring_action', [at, 600, hook, args, group, false, priority]] };
      default:
        // 05:00 UTC on some day: the first match at or after `at`.
        return { hook, args, group, priority, schedule: 'ActionScheduler_CronSchedule', date: null, call: ['as_schedule_cron_action', [at, '0 5 * * *', hook, args, group, false, priority]] };
    }
  });
}

async function create(group: string): Promise<Created[]> {
  const probe = await useProbe();
  const planned = plan(group);
  const replies = await probe.batch(planned.map((item) => item.call));
  return planned.map(({ call: _call, ...item }, index) => {
    const reply = replies[index] as { result: unknown; error: string | null };
    assert.equal(reply.error, null);
    return { ...item, id: reply.result as number };
  });
}

const local: Created[] = [];
const routed: Created[] = [];
const all = (): Created[] => [...local, ...routed];

/** fetch_action and get_status of each id, in one request. */
async function views(ids: number[]): Promise<Array<Pick<ProbeActionView, 'action' | 'status'>>> {
  const probe = await useProbe();
  const replies = await probe.batch(ids.flatMap((id): Array<[string, unknown[]]> => [['store:fetch_action', [id]], ['store:get_status', [id]]]));
  return ids.map((_, index) => ({ action: replies[2 * index]?.result as ProbeActionView['action'], status: replies[2 * index + 1]?.result as string }));
}

describe('one id space over two stores', { skip }, () => {
  it('gives 20 actions in each store ids in two ranges that never meet', async () => {
    const probe = await useProbe();
    local.push(...(await create(LOCAL)));
    routed.push(...(await create(ROUTED)));

    for (const action of local) assert.ok(action.id > 0 && action.id < SIDECAR_ID_FLOOR, `local id ${action.id}`);
    for (const action of routed) assert.ok(action.id >= SIDECAR_ID_FLOOR && action.id < 5 * SIDECAR_ID_FLOOR, `sidecar id ${action.id}`);
    assert.equal(new Set(all().map((action) => action.id)).size, 40);
    // The sidecar holds exactly the routed ones, under the ids PHP got back.
    for (const action of routed) assert.deepEqual((await sidecarAction(live(), action.id)).args, action.args);
    assert.equal(await mysql(`SELECT count(*) FROM wp_actionscheduler_actions WHERE action_id >= ${SIDECAR_ID_FLOOR}`), '0');
  });

  it("answers fetch_action for every id with the right Action Scheduler action and schedule", async () => {
    const probe = await useProbe();
    const seen = await views(all().map((action) => action.id));
    all().forEach((expected, index) => {
      const { action, status } = seen[index] as Pick<ProbeActionView, 'action' | 'status'>;
      const where = `action ${expected.id} (${expected.group} #${String(expected.args.n)})`;
      assert.equal(status, 'pending', where);
      assert.equal(action.class, 'ActionScheduler_Action', where);
      assert.deepEqual([action.hook, action.args, action.group, action.priority, action.schedule], [expected.hook, expected.args, expected.group, expected.priority, expected.schedule], where);
      if (expected.date !== null) assert.deepEqual(action.date, { '@date': expected.date }, where);
      if (expected.schedule === 'ActionScheduler_IntervalSchedule') assert.equal(action.recurrence, 600, where);
      if (expected.schedule === 'ActionScheduler_CronSchedule') {
        assert.equal(action.recurrence, '0 5 * * *', where);
        assert.equal(((action.date as { '@date': number })['@date'] % 86_400) / 3600, 5, where);
      }
    });
  });

  it('answers a canceled sidecar action as ActionScheduler_CanceledAction and a finished one as ActionScheduler_FinishedAction', async () => {
    const probe = await useProbe();
    const [canceled, finished] = [routed[1] as Created, routed[5] as Created];
    assert.equal((await probe.probe('store:cancel_action', [canceled.id])).error, null);
    await live().sidecarSql(`UPDATE {{schema}}.actions SET status = 'complete', last_attempt_at = now(), finished_at = now() WHERE id = $1`, [finished.id]);

    const [c, f] = await views([canceled.id, finished.id]);
    assert.deepEqual([c?.status, c?.action.class, c?.action.schedule], ['canceled', 'ActionScheduler_CanceledAction', 'ActionScheduler_CanceledSchedule']);
    assert.deepEqual([f?.status, f?.action.class], ['complete', 'ActionScheduler_FinishedAction']);
    assert.equal((await sidecarAction(live(), canceled.id)).status, 'canceled');
  });

  it("lists the sidecar's log lines for its actions and writes none of its own for them", async () => {
    const probe = await useProbe();
    const view = await probe.action((routed[1] as Created).id);
    assert.deepEqual(view.logs, ['action created', 'action canceled']);
    const lines = (await live().api('GET', `/v1/actions/${(routed[1] as Created).id}/logs`)).json.logs.map((line: { message: string }) => line.message);
    assert.deepEqual(view.logs, lines);
    assert.equal(await mysql(`SELECT count(*) FROM wp_actionscheduler_logs WHERE action_id >= ${SIDECAR_ID_FLOOR}`), '0');
    // A local action keeps Action Scheduler's own lines.
    assert.deepEqual((await probe.action((local[0] as Created).id)).logs, ['action created']);
  });
});

describe('queries over both stores', { skip }, () => {
  const query = (extra: Record<string, unknown>): [string, unknown[]] => ['as_get_scheduled_actions', [{ search: token, per_page: -1, ...extra }, 'ids']];

  it('pages every order (none, date, hook, group, modified, action_id; both directions) through the merge, each id once', async () => {
    const probe = await useProbe();
    const orders = ['none', 'date', 'hook', 'group', 'modified', 'action_id'].flatMap((orderby) => ['ASC', 'DESC'].map((order) => ({ orderby, order })));
    const perPage = 7;
    const calls: Array<[string, unknown[]]> = [];
    for (const order of orders) {
      calls.push(query(order));
      for (let offset = 0; offset < 42; offset += perPage) calls.push(query({ ...order, per_page: perPage, offset }));
      calls.push(['store:query_actions', [{ search: token, ...order, per_page: perPage, offset: 14 }, 'count']]);
    }
    const replies = await probe.batch(calls);
    // What Action Scheduler orders by date: the scheduled date (an async action's is when it was enqueued).
    const [scheduled, enqueued] = await Promise.all([
      probe.batch(all().map((action) => ['store:fetch_action', [action.id]])),
      probe.batch(all().map((action) => ['store:get_date', [action.id]])),
    ]);
    const dates = new Map(
      all().map((action, index) => {
        const date = (scheduled[index]?.result as { date: { '@date': number } | null }).date ?? (enqueued[index]?.result as { '@date': number });
        return [action.id, date['@date']];
      }),
    );
    const byId = new Map(all().map((action) => [action.id, action]));

    let at = 0;
    for (const { orderby, order } of orders) {
      const where = `orderby ${orderby} ${order}`;
      const full = (replies[at++]?.result as string[]).map(Number);
      assert.deepEqual([...full].sort(), all().map((action) => action.id).sort(), `${where}: every action once`);
      const pages: number[] = [];
      for (let offset = 0; offset < 42; offset += perPage) pages.push(...(replies[at++]?.result as string[]).map(Number));
      assert.deepEqual(pages, full, `${where}: the pages of ${perPage} put together`);
      assert.equal(Number(replies[at++]?.result), 40, `${where}: count`);

      const direction = order === 'ASC' ? 1 : -1;
      const keyOf = (id: number): number | string => {
        const action = byId.get(id) as Created;
        if (orderby === 'date') return dates.get(id) as number;
        if (orderby === 'hook') return action.hook.toLowerCase();
        if (orderby === 'group') return action.group;
        if (orderby === 'action_id') return id;
        return 0;
      };
      for (let i = 1; i < full.length; i++) {
        const [a, b] = [keyOf(full[i - 1] as number), keyOf(full[i] as number)];
        assert.ok((a < b ? -1 : a > b ? 1 : 0) * direction <= 0, `${where}: ${String(a)} before ${String(b)} at ${i}`);
      }
      if (orderby === 'none') {
        const firstRemote = full.findIndex((id) => id >= SIDECAR_ID_FLOOR);
        assert.ok(full.slice(firstRemote).every((id) => id >= SIDECAR_ID_FLOOR), `${where}: Action Scheduler's rows, then the sidecar's`);
      }
    }
  });

  it("counts both stores' actions per status, and the past-due ones of both", async () => {
    const probe = await useProbe();
    const due = await probe.batch([
      ['as_schedule_single_action', [now - 600, 'wecoza_due', { token }, ROUTED]],
      ['as_schedule_single_action', [now - 600, 'wecoza_due', { token }, LOCAL]],
    ]);
    const [counts, extra, sidecar] = [
      (await probe.value<Record<string, string | number>>('store:action_counts')),
      (await probe.value<Record<string, number>>('store:extra_action_counts')),
      (await live().api('GET', '/v1/actions/counts')).json,
    ];
    for (const status of ['pending', 'canceled', 'complete']) {
      const listed = (await probe.value<string[]>('as_get_scheduled_actions', [{ status, per_page: -1 }, 'ids'])).length;
      assert.equal(Number(counts[status] ?? 0), listed, `${status}: action_counts and the merged list agree`);
      assert.ok(Number(counts[status] ?? 0) >= sidecar.counts[status], status);
    }
    assert.ok(Number(counts.pending) > sidecar.counts.pending, 'the local pending ones are counted too');
    assert.ok((extra['past-due'] ?? 0) >= 2 && (extra['past-due'] ?? 0) >= sidecar.past_due + 1, `past-due ${JSON.stringify(extra)} vs the sidecar's ${sidecar.past_due}`);
    assert.equal(due.every((reply) => reply.error === null), true);
  });
});

describe('actions of another group stay local', { skip }, () => {
  it('answers has, next and unschedule for a local group without calling the sidecar', async () => {
    const probe = await useProbe();
    const hook = `wecoza_local_${randomUUID().slice(0, 8)}`;
    const id = await probe.value<number>('as_schedule_single_action', [now + 900, hook, { token }, LOCAL]);
    assert.ok(id < SIDECAR_ID_FLOOR);
    await live().site.call('update_option', ['wecoza_sidecar_test_count_http', 'local_group']);
    const [has, next, unscheduled, after] = await probe.batch([
      ['as_has_scheduled_action', [hook, null, LOCAL]],
      ['as_next_scheduled_action', [hook, null, LOCAL]],
      ['as_unschedule_action', [hook, { token }, LOCAL]],
      ['as_has_scheduled_action', [hook, null, LOCAL]],
    ]);
    await live().site.call('delete_option', ['wecoza_sidecar_test_count_http']);
    assert.deepEqual([has?.result, next?.result, unscheduled?.result, after?.result], [true, now + 900, id, false]);
    assert.deepEqual(await live().site.call('get_option', ['wecoza_sidecar_test_http_local_group', []]), [], 'HTTP calls to the sidecar');
  });

  it("runs a local action with Action Scheduler's queue runner, as before", async () => {
    const probe = await useProbe();
    const nonce = randomUUID();
    const id = await probe.value<number>('as_enqueue_async_action', ['wecoza_test_hook', { nonce }, LOCAL]);
    await probe.runWpCron();
    const view = await probe.action(id);
    assert.equal(view.status, 'complete', JSON.stringify(view.logs));
    const calls = await live().site.call<Array<{ args: unknown[]; uri: string }>>('wecoza_sidecar_test_calls', ['wecoza_test_hook']);
    assert.match(calls.find((call) => call.args.includes(nonce))?.uri ?? '', /wp-cron\.php/);
  });
});

describe("Action Scheduler's runner and cleaner leave the sidecar's actions alone", { skip }, () => {
  it('neither runs, resets, fails nor deletes a sidecar action, while it cleans its own', async () => {
    const probe = await useProbe();
    const [due, running, old] = await probe.batch([
      ['as_schedule_single_action', [now - 60, 'wecoza_test_hook', { token, role: 'due' }, ROUTED]],
      ['as_schedule_single_action', [now + 60, 'wecoza_test_hook', { token, role: 'running' }, ROUTED]],
      ['as_schedule_single_action', [now + 60, 'wecoza_test_hook', { token, role: 'old' }, ROUTED]],
    ]).then((replies) => replies.map((reply) => reply.result as number));
    await live().sidecarSql(`UPDATE {{schema}}.actions SET status = 'in-progress', claim_token = gen_random_uuid(), last_attempt_at = now() - interval '20 minutes' WHERE id = $1`, [running]);
    await live().sidecarSql(`UPDATE {{schema}}.actions SET status = 'complete', last_attempt_at = now() - interval '60 days', finished_at = now() - interval '60 days' WHERE id = $1`, [old]);
    // A local action finished long ago: the cleaner's proof of having run.
    const localOld = await probe.value<number>('as_enqueue_async_action', ['wecoza_test_hook', { token, role: 'local-old' }, LOCAL]);
    await probe.runWpCron();
    assert.equal((await probe.action(localOld)).status, 'complete');
    await live().site.call('wecoza_sidecar_probe_age_action', [localOld, 60 * 86_400]);

    await probe.runWpCron();

    assert.equal((await probe.action(localOld)).action.class, 'ActionScheduler_NullAction', 'the cleaner did not run');
    const after = await Promise.all([due, running, old].map((id) => sidecarAction(live(), id as number)));
    assert.deepEqual(after.map((action) => action.status), ['pending', 'in-progress', 'complete']);
    const ran = await live().site.call<Array<{ args: unknown[] }>>('wecoza_sidecar_test_calls', ['wecoza_test_hook']);
    assert.equal(ran.some((call) => JSON.stringify(call.args).includes('"due"')), false, 'Action Scheduler ran a sidecar action');

    const claim = await probe.value<{ claim_id: number; actions: number[] }>('store:stake_claim', [100]);
    assert.ok(claim.actions.every((id) => id < SIDECAR_ID_FLOOR), `claimed ${claim.actions.join(', ')}`);
    await live().site.call('wecoza_sidecar_probe_release_claim', [claim.claim_id]);
    const refused = await probe.probe('store:delete_action', [old]);
    assert.match(refused.error ?? '', /lives in the WeCoza Sidecar/);
    assert.equal((await sidecarAction(live(), old as number)).status, 'complete');
  });
});

describe('while the sidecar is unreachable', { skip }, () => {
  it("answers the local part, and Action Scheduler's error values for the routed part, without a fatal", async () => {
    const probe = await useProbe();
    const localIds = (await probe.value<string[]>('as_get_scheduled_actions', [{ search: token, per_page: -1, orderby: 'action_id' }, 'ids'])).map(Number).filter((id) => id < SIDECAR_ID_FLOOR);
    const localHook = `wecoza_local_${randomUUID().slice(0, 8)}`;
    await probe.value('as_schedule_single_action', [now + 900, localHook, [], LOCAL]);
    await live().stopSidecar();

    const replies = await probe.batch([
      ['as_get_scheduled_actions', [{ search: token, per_page: -1, orderby: 'action_id' }, 'ids']],
      ['store:query_actions', [{ search: token }, 'count']],
      ['as_has_scheduled_action', ['wecoza_alpha', null, ROUTED]],
      ['as_next_scheduled_action', ['wecoza_alpha', null, ROUTED]],
      ['as_has_scheduled_action', [localHook, null, LOCAL]],
      ['as_enqueue_async_action', ['wecoza_enrich_notification', { log_id: 1 }, ROUTED]],
      ['store:fetch_action', [(routed[0] as Created).id]],
      ['as_enqueue_async_action', ['wecoza_test_hook', { token }, LOCAL]],
      ['store:action_counts', []],
    ]);
    for (const reply of replies) assert.equal(reply.error, null);
    const [listed, count, hasRouted, nextRouted, hasLocal, routedEnqueue, fetched, localEnqueue] = replies.map((reply) => reply.result);
    assert.deepEqual((listed as string[]).map(Number), localIds);
    assert.equal(Number(count), localIds.length);
    assert.deepEqual([hasRouted, nextRouted, hasLocal, routedEnqueue], [false, false, true, 0]);
    assert.deepEqual((fetched as { class: string }).class, 'ActionScheduler_NullAction');
    assert.ok((localEnqueue as number) > 0 && (localEnqueue as number) < SIDECAR_ID_FLOOR);
    const page = await probe.admin('/wp-admin/tools.php?page=action-scheduler');
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Scheduled Actions/);
    assert.deepEqual(await live().site.fatalErrors(), []);
  });
});
