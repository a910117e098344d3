/**
 * WeCoza's Phase-12 calls with the stand-in Action Scheduler active: the bridge is Action Scheduler's
 * store, so the same calls go through Action Scheduler's own functions, factory and store, and must
 * answer exactly as without it (bridge.phase12.absent). The sidecar is API-only: nothing runs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useBridgeStack } from './support/bridge-stack.ts';
import { phase12Tests } from './support/phase12.ts';
import { probeSite } from './support/stand-in.ts';

const { skip, live } = await useBridgeStack('bridge.phase12.standin', { standInActionScheduler: true, sidecarEnv: { SIDECAR_ROLE: 'api' } });

describe("WeCoza's Phase-12 calls with the stand-in Action Scheduler active", { skip }, () => {
  it("runs with Action Scheduler's functions and the bridge as its store", async () => {
    assert.equal(await live().site.call('wecoza_sidecar_test_is_mirroring'), false);
    const probe = await probeSite(live().site);
    const classes = await probe.site.call<{ store: string; logger: string }>('wecoza_sidecar_probe_classes');
    assert.equal(classes.store, 'WeCoza\\Sidecar\\Action_Scheduler\\Store');
    assert.equal(classes.logger, 'WeCoza\\Sidecar\\Action_Scheduler\\Logger');
  });

  phase12Tests(live, {
    async chainThroughActionScheduler() {
      await (await probeSite(live().site)).runWpCron();
    },
  });
});
