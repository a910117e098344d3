/**
 * Tools › Scheduled Actions of the stand-in, fetched over HTTP as the administrator: the list table
 * lists, searches, pages, sorts and filters by status through the store, shows the 3.8 columns and the
 * status counts, and its Run, Cancel and bulk Delete act on the action (nonce-checked), as in 3.8.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { now, uniqueHook, useStandInSite } from './support/stand-in.ts';

const { skip, live } = await useStandInSite('standin.admin');

const SCREEN = '/wp-admin/tools.php?page=action-scheduler';
const HOUR = 3600;

interface Row {
  id: number;
  hook: string;
  status: string;
  args: string;
  group: string;
  recurrence: string;
  schedule: string;
  logs: string[];
  runLink: string | null;
  cancelLink: string | null;
}

const decode = (html: string): string => html.replace(/&#0?38;|&amp;/g, '&').replace(/&#0?39;/g, "'").replace(/&quot;/g, '"').replace(/&gt;/g, '>').replace(/&lt;/g, '<');
const text = (html: string): string => decode(html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ').trim();

function cell(row: string, column: string): string {
  const match = new RegExp(`<td class='${column} column-${column}[^']*'[^>]*>([\\s\\S]*?)</td>`).exec(row);
  assert.ok(match, `no ${column} cell in ${row.slice(0, 200)}`);
  return match[1] as string;
}

/** The list table's rows, read from WP_List_Table's markup. */
function rowsOf(html: string): Row[] {
  const body = /<tbody id="the-list"[^>]*>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map(([, row = '']) => {
    const hookCell = cell(row, 'hook');
    const link = (action: string): string | null => {
      const href = new RegExp(`<a href="([^"]*row_action=${action}[^"]*)"`).exec(hookCell)?.[1];
      return href === undefined ? null : decode(href);
    };
    return {
      id: Number(/name="ID\[\]" type="checkbox" value="(\d+)"/.exec(row)?.[1]),
      hook: text(hookCell.split(/<div class="row-actions">|<button/)[0] ?? ''),
      status: text(cell(row, 'status')),
      args: text(cell(row, 'args')),
      group: text(cell(row, 'group')),
      recurrence: text(cell(row, 'recurrence')),
      schedule: text(cell(row, 'schedule')),
      logs: [...cell(row, 'log_entries').matchAll(/<li><strong>[^<]*<\/strong><br\/>([\s\S]*?)<\/li>/g)].map(([, line = '']) => text(line)),
      runLink: link('run'),
      cancelLink: link('cancel'),
    };
  });
}

/** Like assert.match, without printing a whole admin page when it fails. */
function assertHas(html: string, pattern: RegExp, what: string): void {
  if (!pattern.test(html)) assert.fail(`${what}: ${pattern} not found in ${text(/<div class="wrap">([\s\S]*)/.exec(html)?.[1] ?? html).slice(0, 1500)}`);
}

const totalOf = (html: string): number => Number(/<span class="displaying-num">(\d+) items?<\/span>/.exec(html)?.[1]);

/** status slug => count, from the links above the table. */
function statusCounts(html: string): Record<string, number> {
  const list = /<ul class="subsubsub">([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? '';
  return Object.fromEntries([...list.matchAll(/<li class="([a-z-]+)"><a [^>]*>[^<]*<\/a> \((\d+)\)<\/li>/g)].map(([, slug, count]) => [slug, Number(count)]));
}

async function page(query = ''): Promise<string> {
  const response = await live().admin(`${SCREEN}${query}`);
  const html = await response.text();
  assert.equal(response.status, 200, `GET ${SCREEN}${query}: ${html.slice(0, 300)}`);
  assertHas(html, /<h1 class="wp-heading-inline">Scheduled Actions<\/h1>/, 'screen heading');
  return html;
}

/** Follows a row or bulk action link: it redirects back to the screen, where the notice is shown. */
async function act(pathAndQuery: string): Promise<{ status: number; location: string; after: string }> {
  const response = await live().admin(pathAndQuery.replace(/^https?:\/\/[^/]+/, ''));
  await response.arrayBuffer();
  const location = response.headers.get('location') ?? '';
  const after = location === '' ? '' : await (await live().admin(location.replace(/^https?:\/\/[^/]+/, ''))).text();
  return { status: response.status, location, after };
}

describe('Tools › Scheduled Actions', { skip }, () => {
  const tag = uniqueHook('listing');
  const listed: number[] = [];

  before(async () => {
    if (skip !== undefined) return;
    const calls: Array<[string, unknown[]]> = [];
    for (let i = 0; i < 25; i++) calls.push(['as_schedule_single_action', [now() + HOUR + i * 60, `${tag}_${String(i).padStart(2, '0')}`, { n: i }, 'listing-group']]);
    for (const reply of await live().batch(calls)) listed.push(reply.result as number);
  });

  it('lists ten actions a page, searches hooks and pages through the matches', async () => {
    const first = await page(`&s=${tag}`);
    assert.equal(totalOf(first), 25);
    const rows = rowsOf(first);
    assert.deepEqual(rows.map((row) => row.id), listed.slice(0, 10), 'by scheduled date, ascending');
    assert.equal(rowsOf(await page(`&s=${tag}&paged=2`)).length, 10);
    const last = rowsOf(await page(`&s=${tag}&paged=3`));
    assert.deepEqual(last.map((row) => row.id), listed.slice(20));
    assertHas(first, new RegExp(`Search results for &quot;${tag}&quot;`), 'search subtitle');
  });

  it('shows hook, status, args, group, recurrence, scheduled date and log of each row, with Run and Cancel on pending rows', async () => {
    const [row] = rowsOf(await page(`&s=${tag}_07`));
    assert.ok(row);
    assert.deepEqual(
      { hook: row.hook, status: row.status, args: row.args, group: row.group, recurrence: row.recurrence, logs: row.logs },
      { hook: `${tag}_07`, status: 'Pending', args: "'n' => 7", group: 'listing-group', recurrence: 'Non-repeating', logs: ['action created'] },
    );
    assert.match(row.schedule, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 \(1 hour \d+ minutes?\)$/);
    assert.match(row.runLink ?? '', /row_action=run&row_id=\d+&nonce=[0-9a-f]+/);
    assert.match(row.cancelLink ?? '', /row_action=cancel&row_id=\d+&nonce=[0-9a-f]+/);
  });

  it('sorts by hook descending when asked', async () => {
    const rows = rowsOf(await page(`&s=${tag}&orderby=hook&order=desc`));
    assert.deepEqual(rows.map((row) => row.hook).slice(0, 3), [`${tag}_24`, `${tag}_23`, `${tag}_22`]);
  });

  it('shows the status counts of the store, with All and Past-due, and filters by status', async () => {
    const past = await live().site.call<number>('as_schedule_single_action', [now() - 600, uniqueHook('past_due')]);
    const done = await live().site.call<number>('as_schedule_single_action', [now() + HOUR, uniqueHook('done')]);
    await live().value('store:mark_complete', [done]);
    const html = await page();
    const store = await live().value<Record<string, string>>('store:action_counts');
    const counts = statusCounts(html);
    const expected: Record<string, number> = Object.fromEntries(Object.entries(store).map(([status, count]) => [status, Number(count)]));
    assert.deepEqual(counts, { all: Object.values(expected).reduce((a, b) => a + b, 0), ...expected, 'past-due': counts['past-due'] });
    assert.ok((counts['past-due'] ?? 0) >= 1);
    const pastDue = rowsOf(await page('&status=past-due'));
    assert.ok(pastDue.some((row) => row.id === past));
    assert.ok(pastDue.every((row) => row.status === 'Pending'));
    const complete = rowsOf(await page('&status=complete'));
    assert.ok(complete.some((row) => row.id === done) && complete.every((row) => row.status === 'Complete' && row.runLink === null));
    // Due actions: an info notice (its wording differs from 3.8's, which names its async runner).
    assertHas(html, /<div id="message" class="notice notice-info">\s*<p>[^<]+/, 'due-actions notice');
  });

  it('adds the Claim ID column on the in-progress view', async () => {
    const running = await live().site.call<number>('as_schedule_single_action', [now() + HOUR, uniqueHook('running')]);
    await live().value('store:log_execution', [running]);
    const html = await page('&status=in-progress');
    assertHas(html, /<th scope="col" id='claim_id'/, 'Claim ID column');
    assert.ok(rowsOf(html).some((row) => row.id === running && row.status === 'In-progress'));
  });

  it('runs a pending action from its Run link in the page request, with the context Admin List Table', async () => {
    const actionId = await live().site.call<number>('as_schedule_single_action', [now() + HOUR, 'wecoza_test_hook', ['run-from-admin']]);
    const [row] = rowsOf(await page('&s=run-from-admin'));
    assert.equal(row?.id, actionId);
    const { status, location, after } = await act(row?.runLink ?? '');
    assert.equal(status, 302);
    assert.doesNotMatch(location, /row_action|nonce/);
    assertHas(after, /Successfully executed action: <strong><code>wecoza_test_hook<\/code><\/strong>/, 'run notice');
    const view = await live().action(actionId);
    assert.equal(view.status, 'complete');
    assert.deepEqual(view.logs, ['action created', 'action started via Admin List Table', 'action complete via Admin List Table']);
    const calls = await live().site.call<Array<{ args: unknown[] }>>('wecoza_sidecar_test_calls', ['wecoza_test_hook']);
    assert.ok(calls.some((call) => call.args[0] === 'run-from-admin'));
  });

  it('cancels a pending action from its Cancel link', async () => {
    const actionId = await live().site.call<number>('as_schedule_single_action', [now() + HOUR, uniqueHook('cancel_me')]);
    const [row] = rowsOf(await page(`&s=cancel_me`)).filter((r) => r.id === actionId);
    const { after } = await act(row?.cancelLink ?? '');
    assertHas(after, /Successfully canceled action: /, 'cancel notice');
    assert.equal((await live().action(actionId)).status, 'canceled');
  });

  it('ignores a row action whose nonce does not match', async () => {
    const actionId = await live().site.call<number>('as_schedule_single_action', [now() + HOUR, uniqueHook('forged')]);
    const { status } = await act(`${SCREEN}&row_action=cancel&row_id=${actionId}&nonce=0123456789`);
    assert.equal(status, 302);
    assert.equal((await live().action(actionId)).status, 'pending');
  });

  it('deletes the checked actions with the bulk action, and refuses it without the form\'s nonce', async () => {
    const hook = uniqueHook('bulk_delete');
    const ids = [await live().site.call<number>('as_schedule_single_action', [now() + HOUR, hook]), await live().site.call<number>('as_schedule_single_action', [now() + HOUR, hook])];
    const html = await page(`&s=${hook}`);
    const nonce = /<input type="hidden" id="_wpnonce" name="_wpnonce" value="([0-9a-f]+)" \/>/.exec(html)?.[1];
    assert.ok(nonce);
    const query = ids.map((x) => `ID[]=${x}`).join('&');

    const refused = await live().admin(`${SCREEN}&action=delete&${query}&_wpnonce=0123456789`);
    assert.equal(refused.status, 403);
    await refused.arrayBuffer();
    assert.equal((await live().action(ids[0] as number)).status, 'pending');

    const { status } = await act(`${SCREEN}&action=delete&${query}&_wpnonce=${nonce}`);
    assert.equal(status, 302);
    for (const actionId of ids) assert.equal((await live().action(actionId)).action.class, 'ActionScheduler_NullAction');
  });

  it('warns on the dashboard about actions past due by more than a day', async () => {
    const hook = uniqueHook('stuck');
    await live().site.call('as_schedule_single_action', [now() - 2 * 86_400, hook]);
    await live().site.call('delete_transient', ['action_scheduler_last_pastdue_actions_check']);
    const response = await live().admin('/wp-admin/index.php');
    const html = await response.text();
    assert.equal(response.status, 200);
    assertHas(html, /<div class="notice notice-warning"><p><strong>Action Scheduler:<\/strong> \d+ [^<]*<a href="[^"]*page=action-scheduler[^"]*status=past-due[^"]*">/, 'past-due notice');
  });
});
