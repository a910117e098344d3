import { randomUUID } from 'node:crypto';
import { startBridgeStack, type BridgeStack } from '../test/wordpress/support/bridge-stack.ts';
import { probeSite, type StandInSite } from '../test/wordpress/support/stand-in.ts';

/**
 * `npm run bench:bridge`: the bridge as Action Scheduler's store in a real WordPress (Debian's package,
 * MariaDB, `php -S`) with the stand-in Action Scheduler and a real sidecar process.
 *
 * - HTTP calls to the sidecar for one page of Tools › Scheduled Actions showing 20 sidecar rows, and
 *   for one as_has_scheduled_action() (a miss and a hit in a routed group, and a local group);
 * - the page time of that screen: 20 sidecar rows through the bridge's store, 20 of Action
 *   Scheduler's own rows through it, and the same 20 own rows on Action Scheduler's own store (the
 *   bridge's store switched off) as the baseline; and the time of one as_has_scheduled_action().
 *
 * Not a test: figures only. The sidecar runs on PostgreSQL when TEST_DATABASE_URL answers, else on
 * PGlite. BENCH_PAGE_LOADS sets the loads per variant (default 30).
 */
const LOADS = Number(process.env.BENCH_PAGE_LOADS ?? 30);
const WARM_UP = 3;
const HAS_CALLS = 100;
const ROWS = 20;
const ROUTED = 'wecoza-notifications';
const LOCAL = 'wecoza-bench';
const SCREEN = '/wp-admin/tools.php?page=action-scheduler';
const PER_PAGE_FILTER = 'tools_page_action_scheduler_per_page';

const out = (line: string): void => void process.stdout.write(`${line}\n`);
const ms = (value: number): string => `${value.toFixed(1)} ms`;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** Median and p95 of `LOADS` page loads after a warm-up; checks the page lists `ROWS` rows. */
async function pageTimes(probe: StandInSite, query: string): Promise<{ median: number; p95: number }> {
  const times: number[] = [];
  for (let round = 0; round < WARM_UP + LOADS; round++) {
    const started = performance.now();
    const response = await probe.admin(`${SCREEN}${query}`);
    const html = await response.text();
    const elapsed = performance.now() - started;
    const rows = (html.match(/name="ID\[\]" type="checkbox"/g) ?? []).length;
    if (response.status !== 200 || rows !== ROWS) throw new Error(`${SCREEN}${query}: HTTP ${response.status}, ${rows} rows`);
    if (round >= WARM_UP) times.push(elapsed);
  }
  times.sort((a, b) => a - b);
  return { median: quantile(times, 0.5), p95: quantile(times, 0.95) };
}

/** The sidecar calls one request makes (the test-hooks fixture lists them at shutdown). */
async function callsOf(stack: BridgeStack, name: string, request: () => Promise<unknown>): Promise<string[]> {
  await stack.site.call('update_option', ['wecoza_sidecar_test_count_http', name]);
  try {
    await request();
  } finally {
    await stack.site.call('delete_option', ['wecoza_sidecar_test_count_http']);
  }
  return stack.site.call<string[]>('get_option', [`wecoza_sidecar_test_http_${name}`, []]);
}

async function hasTime(stack: BridgeStack, group: string, hook: string): Promise<number> {
  // Distinct args per call, so the per-request cache never answers.
  const lists = Array.from({ length: HAS_CALLS }, (_, n) => [hook, { miss: n }, group]);
  const reply = await stack.site.call<{ per_call_ms: number }>('wecoza_sidecar_test_time_calls', ['as_has_scheduled_action', lists]);
  return reply.per_call_ms;
}

async function main(): Promise<void> {
  out('bench/bridge: starting a WordPress site with the stand-in Action Scheduler and a sidecar…');
  const stack = await startBridgeStack({ standInActionScheduler: true });
  try {
    const probe = await probeSite(stack.site);
    const [sidecarToken, localToken] = [randomUUID(), randomUUID()];
    const at = Math.floor(Date.now() / 1000) + 86_400;
    const seeded = await probe.batch([
      ...Array.from({ length: ROWS }, (_, n): [string, unknown[]] => ['as_schedule_single_action', [at + n, 'wecoza_bench_hook', { sidecarToken, n }, ROUTED]]),
      ...Array.from({ length: ROWS }, (_, n): [string, unknown[]] => ['as_schedule_single_action', [at + n, 'wecoza_bench_hook', { localToken, n }, LOCAL]]),
    ]);
    if (seeded.some((reply) => reply.error !== null || !((reply.result as number) > 0))) throw new Error(`seeding failed: ${JSON.stringify(seeded.slice(0, 3))}`);
    await probe.setFilters({ [PER_PAGE_FILTER]: ROWS });

    // Warm the bridge's 60 s health probe and Action Scheduler's past-due check, so the count is a steady page's.
    await (await probe.admin(`${SCREEN}&s=${sidecarToken}`)).text();
    const pageCalls = await callsOf(stack, 'page', async () => (await probe.admin(`${SCREEN}&s=${sidecarToken}`)).text());
    const hasMiss = await callsOf(stack, 'miss', () => stack.site.call('as_has_scheduled_action', ['wecoza_bench_hook', { none: true }, ROUTED]));
    const hasHit = await callsOf(stack, 'hit', () => stack.site.call('as_has_scheduled_action', ['wecoza_bench_hook', { sidecarToken, n: 0 }, ROUTED]));
    const hasLocal = await callsOf(stack, 'local', () => stack.site.call('as_has_scheduled_action', ['wecoza_bench_hook', null, LOCAL]));

    const sidecarPage = await pageTimes(probe, `&s=${sidecarToken}`);
    const localThroughBridge = await pageTimes(probe, `&s=${localToken}`);
    const hasRouted = await hasTime(stack, ROUTED, 'wecoza_bench_hook');
    const hasLocalThroughBridge = await hasTime(stack, LOCAL, 'wecoza_bench_hook');

    await probe.setFilters({ [PER_PAGE_FILTER]: ROWS, wecoza_sidecar_action_scheduler_store: false });
    const classes = await stack.site.call<{ store: string }>('wecoza_sidecar_probe_classes');
    if (classes.store !== 'ActionScheduler_DBStore') throw new Error(`the baseline runs on ${classes.store}`);
    const baseline = await pageTimes(probe, `&s=${localToken}`);
    const hasBaseline = await hasTime(stack, LOCAL, 'wecoza_bench_hook');

    out('');
    out(`HTTP calls to the sidecar (counted by WordPress's http_api_debug)`);
    out(`  Tools › Scheduled Actions, ${ROWS} sidecar rows   ${pageCalls.length}  (${pageCalls.join(', ')})`);
    out(`  as_has_scheduled_action, routed group, miss   ${hasMiss.length}  (${hasMiss.join(', ')})`);
    out(`  as_has_scheduled_action, routed group, hit    ${hasHit.length}  (${hasHit.join(', ')})`);
    out(`  as_has_scheduled_action, local group          ${hasLocal.length}`);
    out('');
    out(`Page time, ${LOADS} loads each after ${WARM_UP} warm-up loads (median / p95)`);
    out(`  Action Scheduler's own store, ${ROWS} own rows   ${ms(baseline.median)} / ${ms(baseline.p95)}   (baseline)`);
    out(`  bridge's store, ${ROWS} own rows                 ${ms(localThroughBridge.median)} / ${ms(localThroughBridge.p95)}   (${(localThroughBridge.median / baseline.median).toFixed(2)} × baseline)`);
    out(`  bridge's store, ${ROWS} sidecar rows             ${ms(sidecarPage.median)} / ${ms(sidecarPage.p95)}   (${(sidecarPage.median / baseline.median).toFixed(2)} × baseline)`);
    out('');
    out(`as_has_scheduled_action, mean of ${HAS_CALLS} calls inside one request (distinct args: no cache)`);
    out(`  Action Scheduler's own store, local group     ${ms(hasBaseline)}   (baseline)`);
    out(`  bridge's store, local group                   ${ms(hasLocalThroughBridge)}   (${(hasLocalThroughBridge / hasBaseline).toFixed(2)} × baseline)`);
    out(`  bridge's store, routed group (one HTTP call)  ${ms(hasRouted)}   (${(hasRouted / hasBaseline).toFixed(2)} × baseline)`);
  } finally {
    await stack.stop();
  }
}

await main();
