/**
 * A plain WordPress site (no bridge) with the stand-in Action Scheduler and the probe plugin
 * (fixtures/wecoza-sidecar-as-probe), for the stand-in's own tests. The probe reads Action Scheduler
 * through its public API only, so these helpers would drive the real library the same way.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { createWordPressSite, logInAsAdmin, wordpressSkipReason, type WordPressSite } from './wordpress-site.ts';

export const PROBE_PLUGIN = 'wecoza-sidecar-as-probe/wecoza-sidecar-as-probe.php';

/** A date crossing the JSON boundary: unix seconds. */
export interface ProbeDate {
  '@date': number;
}

export const at = (unixSeconds: number): ProbeDate => ({ '@date': unixSeconds });
export const now = (): number => Math.floor(Date.now() / 1000);

/** An action as wecoza_sidecar_probe_export() shows it. */
export interface ProbeAction {
  class: string;
  hook: string;
  args: unknown;
  group: string;
  priority: number;
  finished: boolean;
  schedule: string;
  date: ProbeDate | null;
  recurring: boolean;
  recurrence: string | number | null;
  first_date: ProbeDate | null;
}

export interface ProbeActionView {
  action: ProbeAction;
  status: string | null;
  claim_id: number | null;
  logs: string[];
}

/** A store call recorded by the probe's wrapping store: [method, arguments]. */
export type StoreCall = [string, unknown[]];

export interface ProbeReply<T = unknown> {
  result: T;
  type: string;
  error: string | null;
  /** pre_as_* filters applied during the call, with their arguments after $pre. */
  pre: Array<[string, unknown[]]>;
  calls: StoreCall[];
}

export interface StandInSite {
  site: WordPressSite;
  /** One store/factory/logger method ('store:query_actions') or as_* function, through the probe. */
  probe<T = unknown>(target: string, args?: unknown[]): Promise<ProbeReply<T>>;
  /** The same, failing the test when the call threw. */
  value<T = unknown>(target: string, args?: unknown[]): Promise<T>;
  /** Several calls in one request. */
  batch(calls: Array<[string, unknown[]]>): Promise<Array<Omit<ProbeReply, 'calls'>>>;
  action(id: number): Promise<ProbeActionView>;
  /** Makes the runner's WP-Cron event due and requests /wp-cron.php (the run is over when it answers). */
  runWpCron(): Promise<void>;
  /** Filters the probe makes answer a fixed value from the next request on. */
  setFilters(filters: Record<string, unknown>): Promise<void>;
  /** GET of a wp-admin page as the administrator (redirects not followed). */
  admin(pathAndQuery: string): Promise<Response>;
}

export async function startStandInSite(): Promise<StandInSite> {
  const site = await createWordPressSite({ standInActionScheduler: true, bridge: false });
  try {
    return await probeSite(site);
  } catch (error) {
    await site.destroy();
    throw error;
  }
}

/** Activates the probe plugin on a site that has Action Scheduler (the stand-in, or the bridge's stack) and drives it. */
export async function probeSite(site: WordPressSite): Promise<StandInSite> {
  await site.call('activate_plugin', [PROBE_PLUGIN]);
  let cookies: string | null = null;
  const probe = <T>(target: string, args: unknown[] = []): Promise<ProbeReply<T>> => site.call<ProbeReply<T>>('wecoza_sidecar_probe_call', [target, args]);
  return {
    site,
    probe,
    async value<T>(target: string, args: unknown[] = []) {
      const reply = await probe<T>(target, args);
      assert.equal(reply.error, null, `${target}(${JSON.stringify(args)}) threw`);
      return reply.result;
    },
    batch: (calls) => site.call('wecoza_sidecar_probe_batch', [calls]),
    action: (id) => site.call<ProbeActionView>('wecoza_sidecar_probe_action', [id]),
    async runWpCron() {
      assert.equal(await site.call('wecoza_sidecar_probe_make_queue_due'), true);
      const response = await site.request('/wp-cron.php');
      await response.arrayBuffer();
      assert.equal(response.status, 200, 'GET /wp-cron.php');
    },
    async setFilters(filters) {
      await site.call('update_option', ['wecoza_sidecar_probe_filters', JSON.stringify(filters)]);
    },
    async admin(pathAndQuery) {
      cookies ??= await logInAsAdmin(site);
      return site.request(pathAndQuery, { headers: { cookie: cookies } });
    },
  };
}

/** One stand-in site per test file, like useBridgeStack. */
export async function useStandInSite(file: string): Promise<{ skip: string | undefined; live(): StandInSite }> {
  const skip = await wordpressSkipReason(file);
  let stack: StandInSite | null = null;
  before(async () => {
    if (skip === undefined) stack = await startStandInSite();
  }, { timeout: 180_000 });
  after(async () => {
    if (stack === null) return;
    const fatal = await stack.site.fatalErrors();
    const log = await stack.site.debugLog();
    await stack.site.destroy();
    assert.deepEqual(fatal, [], 'PHP fatal errors on the stand-in site');
    const ours = log.split('\n').filter((line) => /PHP (Warning|Notice|Deprecated)/.test(line) && /wecoza-sidecar-(stand-in-action-scheduler|as-probe)\//.test(line));
    assert.deepEqual(ours, [], 'PHP warnings, notices or deprecations raised in the stand-in or the probe');
  }, { timeout: 60_000 });
  return {
    skip,
    live() {
      assert.ok(stack, 'the stand-in WordPress site did not start');
      return stack;
    },
  };
}

/** A fresh hook name, so tests in one file never see each other's actions. */
let counter = 0;
export const uniqueHook = (prefix: string): string => `${prefix}_${process.pid}_${++counter}_${Math.random().toString(36).slice(2, 8)}`;
