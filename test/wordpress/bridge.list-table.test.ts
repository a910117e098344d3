/**
 * Tools › Scheduled Actions of the stand-in Action Scheduler, with the bridge as its store, in headless
 * Chromium: the sidecar's actions listed beside Action Scheduler's own (status, args, group, schedule,
 * log lines), the status counts of both stores, Run and Cancel acting through the sidecar, bulk Delete
 * refused for sidecar rows, and a page of 20 sidecar rows costing at most three calls to the sidecar.
 * A screenshot of the screen is written to test-artifacts/screenshots/.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser, screenshot, type TestBrowser } from './support/browser.ts';
import { probeOnce, SIDECAR_ID_FLOOR, siteSql, useBridgeStack } from './support/bridge-stack.ts';
import { ROUTED, sidecarAction } from './support/phase12.ts';
import { ADMIN_PASSWORD, ADMIN_USER, waitFor } from './support/wordpress-site.ts';

const { skip, live } = await useBridgeStack('bridge.list-table', { standInActionScheduler: true });
const SCREEN = '/wp-admin/tools.php?page=action-scheduler';
const LOCAL = 'wecoza-tests';
const token = randomUUID();
const now = Math.floor(Date.now() / 1000);

const useProbe = probeOnce(live);
let browsing: Promise<{ browser: TestBrowser; page: Page }> | null = null;
const usePage = (): Promise<{ browser: TestBrowser; page: Page }> =>
  (browsing ??= (async () => {
    const browser = await launchBrowser();
    return { browser, page: await browser.logIn(live().site, ADMIN_USER, ADMIN_PASSWORD) };
  })());
after(async () => {
  if (browsing !== null) await (await browsing).browser.close();
});

const mysql = async (sql: string): Promise<number> => Number(await siteSql(live().site, sql));

async function open(query = ''): Promise<Page> {
  const { page } = await usePage();
  const response = await page.goto(`${live().site.url}${SCREEN}${query}`);
  assert.equal(response?.status(), 200);
  await page.waitForSelector('h1.wp-heading-inline');
  return page;
}

const row = (page: Page, id: number) => page.locator(`#the-list tr:has(input[name="ID[]"][value="${id}"])`);
const cellText = async (page: Page, id: number, column: string): Promise<string> => ((await row(page, id).locator(`td.column-${column}`).innerText()) ?? '').replace(/\s+/g, ' ').trim();

async function statusCounts(page: Page): Promise<Record<string, number>> {
  const items = await page.locator('ul.subsubsub li').evaluateAll((nodes) => nodes.map((node) => [(node as unknown as { className: string }).className, (node as unknown as { textContent: string }).textContent]));
  return Object.fromEntries(items.map(([slug, text]) => [String(slug).trim(), Number(/\((\d+)\)/.exec(String(text))?.[1] ?? 0)]));
}

/** The href of a row action link (the links show on hover; following the link is what a click does). */
async function rowActionHref(page: Page, id: number, action: 'run' | 'cancel'): Promise<string> {
  const href = await row(page, id).locator(`a[href*="row_action=${action}"]`).getAttribute('href');
  assert.ok(href, `no ${action} link on row ${id}`);
  return href.startsWith('http') ? href : `${live().site.url}${href}`;
}

const created: Record<string, number> = {};

describe('Tools › Scheduled Actions with the bridge as the store', { skip }, () => {
  it("lists the sidecar's actions beside Action Scheduler's with status, args, group, schedule and log lines, and counts both stores", async () => {
    const probe = await useProbe();
    const ids = await probe.batch([
      ['as_enqueue_async_action', ['wecoza_test_hook', { list: token, role: 'ran' }, ROUTED]],
      ['as_schedule_single_action', [now + 3600, 'wecoza_test_hook', { list: token, role: 'run-me' }, ROUTED]],
      ['as_schedule_single_action', [now + 3600, 'wecoza_test_hook', { list: token, role: 'cancel-me' }, ROUTED]],
      ['as_schedule_recurring_action', [now + 7200, 600, 'wecoza_list_recurring', { list: token }, ROUTED]],
      ['as_schedule_single_action', [now + 3600, 'wecoza_list_local', { list: token, role: 'local' }, LOCAL]],
      ['as_schedule_single_action', [now + 3600, 'wecoza_list_local', { list: token, role: 'local-2' }, LOCAL]],
    ]);
    ['ran', 'runMe', 'cancelMe', 'recurring', 'local', 'local2'].forEach((name, index) => (created[name] = ids[index]?.result as number));
    assert.ok((created.ran as number) >= SIDECAR_ID_FLOOR && (created.local as number) < SIDECAR_ID_FLOOR);
    await waitFor('the async sidecar action to run', async () => ((await sidecarAction(live(), created.ran as number)).status === 'complete' ? true : undefined), { timeoutMs: 30_000, intervalMs: 200 });

    const page = await open();
    await screenshot(page, 'scheduled-actions-with-sidecar');

    const ran = created.ran as number;
    assert.match(await cellText(page, ran, 'hook'), /^wecoza_test_hook/);
    assert.equal(await cellText(page, ran, 'status'), 'Complete');
    assert.match(await cellText(page, ran, 'args'), new RegExp(`'list' => '${token}'`));
    assert.equal(await cellText(page, ran, 'group'), ROUTED);
    const logs = await row(page, ran).locator('td.column-log_entries li').allInnerTexts();
    assert.deepEqual(logs.map((line) => line.split('\n').at(-1)?.trim()), ['action created', 'action started via Sidecar', 'action complete via Sidecar']);

    const pending = created.runMe as number;
    assert.equal(await cellText(page, pending, 'status'), 'Pending');
    assert.match(await cellText(page, pending, 'schedule'), new RegExp(new Date((now + 3600) * 1000).toISOString().slice(0, 16).replace('T', ' ')));
    assert.equal(await cellText(page, pending, 'recurrence'), 'Non-repeating');
    assert.match(await cellText(page, created.recurring as number, 'recurrence'), /Every 10 minutes/);
    assert.equal(await cellText(page, created.local as number, 'group'), LOCAL, "Action Scheduler's own row is listed too");

    const counts = await statusCounts(page);
    const sidecar = (await live().api('GET', '/v1/actions/counts')).json.counts as Record<string, number>;
    const sum = (record: Record<string, number>): number => Object.values(record).reduce((total, n) => total + n, 0);
    assert.equal(counts.all, (await mysql('SELECT count(*) FROM wp_actionscheduler_actions')) + sum(sidecar), JSON.stringify(counts));
    assert.equal(counts.pending, (await mysql("SELECT count(*) FROM wp_actionscheduler_actions WHERE status = 'pending'")) + (sidecar.pending ?? 0));
    assert.equal(counts.complete, (await mysql("SELECT count(*) FROM wp_actionscheduler_actions WHERE status = 'complete'")) + (sidecar.complete ?? 0));
  });

  it('runs a sidecar row through the sidecar on Run, not inside the page request', async () => {
    const id = created.runMe as number;
    const page = await open();
    await page.goto(await rowActionHref(page, id, 'run'));
    await page.waitForSelector('h1.wp-heading-inline');

    assert.match(await page.locator('.wrap').innerText(), /Successfully executed action: wecoza_test_hook/);
    const action = await sidecarAction(live(), id);
    assert.equal(action.status, 'complete');
    const calls = await live().site.call<Array<{ args: unknown[]; uri: string }>>('wecoza_sidecar_test_calls', ['wecoza_test_hook']);
    const ranBy = calls.filter((call) => call.args.includes('run-me')).map((call) => call.uri);
    assert.equal(ranBy.length, 1, JSON.stringify(ranBy));
    assert.match(ranBy[0] as string, /rest_route=\/wecoza-sidecar\/v1\/run/, 'the hook ran in the page request');
    const lines = (await live().api('GET', `/v1/actions/${id}/logs`)).json.logs.map((line: { message: string }) => line.message);
    assert.deepEqual(lines, ['action created', 'action started via Sidecar', 'action complete via Sidecar']);
    assert.equal(await cellText(page, id, 'status'), 'Complete');
  });

  it('cancels a sidecar row through the sidecar on Cancel', async () => {
    const id = created.cancelMe as number;
    const page = await open();
    await page.goto(await rowActionHref(page, id, 'cancel'));
    await page.waitForSelector('h1.wp-heading-inline');

    assert.match(await page.locator('.wrap').innerText(), /Successfully canceled action: wecoza_test_hook/);
    assert.equal((await sidecarAction(live(), id)).status, 'canceled');
    assert.equal(await cellText(page, id, 'status'), 'Canceled');
  });

  it('refuses bulk Delete for sidecar rows with a notice, and deletes the local rows it was given', async () => {
    const [remote, local] = [created.recurring as number, created.local2 as number];
    const page = await open();
    await row(page, remote).locator('input[name="ID[]"]').check();
    await row(page, local).locator('input[name="ID[]"]').check();
    await page.selectOption('#bulk-action-selector-top', 'delete');
    await Promise.all([page.waitForNavigation(), page.click('#doaction')]);
    await page.waitForSelector('h1.wp-heading-inline');

    assert.match(await page.locator('.wecoza-sidecar-not-deleted').innerText(), /1 action was not deleted: it lives in the WeCoza Sidecar/);
    assert.equal(await mysql(`SELECT count(*) FROM wp_actionscheduler_actions WHERE action_id = ${local}`), 0);
    assert.equal((await sidecarAction(live(), remote)).status, 'pending');
    await screenshot(page, 'scheduled-actions-bulk-delete-refused');
  });

  it('costs at most three calls to the sidecar for a page of 20 sidecar rows', async () => {
    const probe = await useProbe();
    const page20 = randomUUID();
    await probe.batch(Array.from({ length: 20 }, (_, n) => ['as_schedule_single_action', [now + 3600 + n, 'wecoza_test_hook', { page20, n }, ROUTED]]));
    await probe.setFilters({ tools_page_action_scheduler_per_page: 20 });
    const query = `&s=${page20}`;
    await (await probe.admin(`${SCREEN}${query}`)).text();

    await live().site.call('update_option', ['wecoza_sidecar_test_count_http', 'page20']);
    const html = await (await probe.admin(`${SCREEN}${query}`)).text();
    await live().site.call('delete_option', ['wecoza_sidecar_test_count_http']);

    const rows = [...html.matchAll(/name="ID\[\]" type="checkbox" value="(\d+)"/g)].map((match) => Number(match[1]));
    assert.equal(rows.length, 20);
    assert.ok(rows.every((id) => id >= SIDECAR_ID_FLOOR));
    const calls = await live().site.call<string[]>('get_option', ['wecoza_sidecar_test_http_page20', []]);
    assert.ok(calls.length <= 3, `calls to the sidecar for one page: ${JSON.stringify(calls)}`);
    assert.deepEqual(calls.map((call) => call.split('?')[0]).sort(), ['GET /v1/actions/counts', 'POST /v1/actions/fetch', 'POST /v1/actions/query']);
    await probe.setFilters({});
  });
});
