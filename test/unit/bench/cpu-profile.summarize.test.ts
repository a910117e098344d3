import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { summarizeCpuProfile, type CpuProfile } from '../../../bench/cpu-profile.ts';

// A hand-made profile: root → pg's query (2 samples) and the runner's claim (1), one GC sample, 1 ms apart.
const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 9 });
const profile: CpuProfile = {
  startTime: 0,
  endTime: 4_000,
  nodes: [
    { id: 1, callFrame: frame('(root)', ''), children: [2, 3, 4] },
    { id: 2, callFrame: frame('query', 'file:///app/node_modules/pg/lib/client.js') },
    { id: 3, callFrame: frame('claimDue', 'file:///app/server/runner/runner.ts') },
    { id: 4, callFrame: frame('(garbage collector)', '') },
  ],
  samples: [2, 3, 2, 4],
  timeDeltas: [1_000, 1_000, 1_000, 1_000],
};

describe('summarizeCpuProfile', () => {
  it('sums self time per group and per function from the sample deltas', () => {
    const summary = summarizeCpuProfile(profile);
    assert.equal(summary.totalMs, 4);
    assert.deepEqual(summary.groups, [
      ['package pg', 2],
      ['server/runner', 1],
      ['GC', 1],
    ]);
    assert.deepEqual(summary.functions[0], { name: 'query node_modules/pg/lib/client.js:10', ms: 2 });
  });

  it('falls back to hit counts spread over the profile when there are no deltas', () => {
    const summary = summarizeCpuProfile({ ...profile, samples: undefined, timeDeltas: undefined, nodes: profile.nodes.map((n) => ({ ...n, hitCount: n.id === 1 ? 0 : 1 })) });
    assert.equal(summary.totalMs, 4);
    assert.equal(summary.groups.length, 3);
  });
});
