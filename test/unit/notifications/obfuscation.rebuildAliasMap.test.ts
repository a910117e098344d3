import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { obfuscateClassChange, rebuildAliasMap } from '../../../server/notifications/obfuscation.ts';
import type { ClassChangeImages } from '../../../server/notifications/obfuscation.ts';

function updateRow(): ClassChangeImages {
  const oldLearners = [{ id: 42, name: 'Thandi Mokoena', level: 'NL2' }];
  const newLearners = [...oldLearners, { id: 43, name: 'Sipho Dlamini', level: 'NL1' }];
  return {
    new_row: { class_id: 1, class_code: 'IMP021813', learner_ids: newLearners },
    diff: { learner_ids: { old: oldLearners, new: newLearners } },
    old_row: { class_id: 1, class_code: 'IMP021813', learner_ids: oldLearners },
  };
}

describe('rebuildAliasMap', () => {
  it('returns the same aliases the obfuscated prompt used', () => {
    const row = updateRow();
    assert.deepEqual(rebuildAliasMap(row), obfuscateClassChange(row).aliases);
  });

  it('maps each alias to the real name as written in the row', () => {
    assert.deepEqual(rebuildAliasMap(updateRow()), { 'Learner A': 'Thandi Mokoena', 'Learner B': 'Sipho Dlamini' });
  });

  it('gives the same map on every call for the same row', () => {
    const first = rebuildAliasMap(updateRow());
    const second = rebuildAliasMap(JSON.parse(JSON.stringify(updateRow())) as ClassChangeImages);
    assert.deepEqual(second, first);
  });

  it('lists aliases in alphabetical order of assignment', () => {
    assert.deepEqual(Object.keys(rebuildAliasMap(updateRow())), ['Learner A', 'Learner B']);
  });

  it('returns an empty map for a row without learner names', () => {
    assert.deepEqual(rebuildAliasMap({ new_row: { class_id: 1, learner_ids: [] }, diff: null, old_row: null }), {});
  });

  it('finds names that appear only in the old row, such as a removed learner', () => {
    const aliases = rebuildAliasMap({
      new_row: { learner_ids: [] },
      diff: { learner_ids: { old: [{ id: 42, name: 'Thandi Mokoena' }], new: [] } },
      old_row: { learner_ids: [{ id: 42, name: 'Thandi Mokoena' }] },
    });
    assert.deepEqual(aliases, { 'Learner A': 'Thandi Mokoena' });
  });
});
