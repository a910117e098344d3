/**
 * WeCoza's Phase-12 calls without Action Scheduler: the bridge defines the as_* functions itself and
 * every answer comes from the sidecar (API-only, so what the calls create stays as they left it).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useBridgeStack } from './support/bridge-stack.ts';
import { phase12Tests } from './support/phase12.ts';

const { skip, live } = await useBridgeStack('bridge.phase12.absent', { sidecarEnv: { SIDECAR_ROLE: 'api' } });

describe("WeCoza's Phase-12 calls with Action Scheduler absent", { skip }, () => {
  it('runs with the bridge defining the as_* functions', async () => {
    assert.equal(await live().site.call('wecoza_sidecar_test_is_mirroring'), true);
  });

  phase12Tests(live);
});
