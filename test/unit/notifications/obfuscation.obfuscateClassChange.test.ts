import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { aliasForOrdinal, ID_MASK, maskEmails, maskPhoneNumbers, obfuscateClassChange } from '../../../server/notifications/obfuscation.ts';
import type { ClassChangeImages, JsonValue } from '../../../server/notifications/obfuscation.ts';
import { REFERENCE_CLASS_ROW } from '../../support/class-fixtures.ts';

function only(newRow: JsonValue): ClassChangeImages {
  return { new_row: newRow, diff: null, old_row: null };
}

/** The Phase-12 log row of reference §8, INSERT, diff = new_row. */
function sampleInsert(): ClassChangeImages {
  const row: JsonValue = { class_id: 1, ...structuredClone(REFERENCE_CLASS_ROW) };
  return { new_row: row, diff: structuredClone(row), old_row: null };
}

describe('obfuscateClassChange: reference §8 fixtures under the fixed rules', () => {
  it('replaces a learner name with Learner A and masks the id under a learners parent', () => {
    const result = obfuscateClassChange(only({ learners: [{ name: 'Thandi Mokoena', id: 42 }] }));
    assert.deepEqual(result.new_row, { learners: [{ name: 'Learner A', id: ID_MASK }] });
    assert.deepEqual(result.aliases, { 'Learner A': 'Thandi Mokoena' });
  });

  it('masks a phone number except its last two digits', () => {
    assert.deepEqual(obfuscateClassChange(only({ phone: '082 123 4567' })).new_row, { phone: 'XXXXXXXX67' });
  });

  it('masks the local part of an e-mail address and keeps the domain', () => {
    assert.deepEqual(obfuscateClassChange(only({ email: 'jane@acme.co.za' })).new_row, { email: '****@acme.co.za' });
  });

  it('keeps a date readable', () => {
    assert.deepEqual(obfuscateClassChange(only({ original_start_date: '2026-02-27' })).new_row, { original_start_date: '2026-02-27' });
  });

  it('keeps a foreign-key class id as the number it was', () => {
    assert.deepEqual(obfuscateClassChange(only({ class_id: 1 })).new_row, { class_id: 1 });
  });
});

describe('obfuscateClassChange: the sample class row', () => {
  it('aliases the learner in both new_row and diff with one alias', () => {
    const result = obfuscateClassChange(sampleInsert());
    const newRow = result.new_row as { learner_ids: Array<Record<string, JsonValue>> };
    const diff = result.diff as { learner_ids: Array<Record<string, JsonValue>> };
    assert.equal(newRow.learner_ids[0]?.['name'], 'Learner A');
    assert.equal(diff.learner_ids[0]?.['name'], 'Learner A');
    assert.deepEqual(result.aliases, { 'Learner A': 'Thandi Mokoena' });
  });

  it('leaves codes, foreign keys, dates, schedule and learner levels readable', () => {
    const newRow = obfuscateClassChange(sampleInsert()).new_row as Record<string, JsonValue>;
    assert.equal(newRow['class_code'], 'IMP021813');
    assert.equal(newRow['client_id'], 12);
    assert.equal(newRow['site_id'], 7);
    assert.equal(newRow['class_agent'], 3);
    assert.deepEqual(newRow['schedule_data'], { selectedDays: ['Monday', 'Thursday'], startDate: '2026-02-27' });
    assert.deepEqual(newRow['learner_ids'], [{ id: 42, name: 'Learner A', level: 'NL2', status: 'CIC - Currently in Class' }]);
  });

  it('does not modify its input', () => {
    const input = sampleInsert();
    const before = structuredClone(input);
    obfuscateClassChange(input);
    assert.deepEqual(input, before);
  });
});

describe('obfuscateClassChange: alias state shared across new_row, diff and old_row', () => {
  it('numbers aliases in the order new_row, diff, old_row', () => {
    const result = obfuscateClassChange({
      new_row: { learners: ['Sipho Dlamini'] },
      diff: { learners: { old: ['Anele Khumalo'], new: ['Sipho Dlamini'] } },
      old_row: { learners: ['Anele Khumalo', 'Zanele Nkosi'] },
    });
    assert.deepEqual(result.aliases, { 'Learner A': 'Sipho Dlamini', 'Learner B': 'Anele Khumalo', 'Learner C': 'Zanele Nkosi' });
    assert.deepEqual(result.old_row, { learners: ['Learner B', 'Learner C'] });
  });

  it('gives one alias to two spellings that differ only in case and spacing', () => {
    const result = obfuscateClassChange(only({ learners: ['Thandi Mokoena', ' thandi  MOKOENA '] }));
    assert.deepEqual(result.new_row, { learners: ['Learner A', 'Learner A'] });
    assert.equal(Object.keys(result.aliases).length, 1);
  });

  it('continues past Z with AA', () => {
    const names = Array.from({ length: 28 }, (_, index) => `Learner Person ${String(index).padStart(2, '0')}`);
    const result = obfuscateClassChange(only({ learners: names }));
    const aliases = (result.new_row as { learners: string[] }).learners;
    assert.equal(aliases[25], 'Learner Z');
    assert.equal(aliases[26], 'Learner AA');
    assert.equal(aliases[27], 'Learner AB');
  });

  it('starts again at Learner A for each change', () => {
    obfuscateClassChange(only({ learners: ['Sipho Dlamini'] }));
    assert.deepEqual(obfuscateClassChange(only({ learners: ['Anele Khumalo'] })).aliases, { 'Learner A': 'Anele Khumalo' });
  });
});

describe('obfuscateClassChange: edge cases', () => {
  it('aliases values of keys that contain name, and of learner and student keys', () => {
    const result = obfuscateClassChange(only({ first_name: 'Thandi', learner: 'Sipho Dlamini', student: 'Anele Khumalo' }));
    assert.deepEqual(result.new_row, { first_name: 'Learner A', learner: 'Learner B', student: 'Learner C' });
  });

  it('leaves empty names empty and out of the alias map', () => {
    const result = obfuscateClassChange(only({ learners: [{ name: '', id: 7 }] }));
    assert.deepEqual(result.new_row, { learners: [{ name: '', id: ID_MASK }] });
    assert.deepEqual(result.aliases, {});
  });

  it('masks identity-document keys anywhere and keeps other ids', () => {
    const result = obfuscateClassChange(only({ sa_id_no: '8001015009087', sa_id: 8001015009087, passport_number: 'A1234567', agent_id: 9, site_id: '7' }));
    assert.deepEqual(result.new_row, { sa_id_no: ID_MASK, sa_id: ID_MASK, passport_number: ID_MASK, agent_id: 9, site_id: '7' });
  });

  it('masks bare numbers in a learner list and string ids under learners', () => {
    const result = obfuscateClassChange(only({ learners: [42, { learnerId: '42', level: 'NL2' }] }));
    assert.deepEqual(result.new_row, { learners: [ID_MASK, { learnerId: ID_MASK, level: 'Learner A' }] });
  });

  it('keeps timestamps by key and by leading date whatever their digit count', () => {
    const result = obfuscateClassChange(only({ updated_at: '2026-02-19T08:01:02', changed: '2026-02-18 13:23:39.301846+02', stamp_time: '20260218132339' }));
    assert.deepEqual(result.new_row, { updated_at: '2026-02-19T08:01:02', changed: '2026-02-18 13:23:39.301846+02', stamp_time: '20260218132339' });
  });

  it('leaves numbers of 6 digits and of 16 digits alone but masks 7 and 15', () => {
    const result = obfuscateClassChange(only({ a: '123456', b: '1234567', c: '123456789012345', d: '1234567890123456' }));
    assert.deepEqual(result.new_row, { a: '123456', b: 'XXXXX67', c: 'XXXXXXXXXXXXX45', d: '1234567890123456' });
  });

  it('masks phones stored as numbers under a phone key but not other large numbers', () => {
    const result = obfuscateClassChange(only({ mobile: 821234567, order_nr: 45123987 }));
    assert.deepEqual(result.new_row, { mobile: 'XXXXXXX67', order_nr: 45123987 });
  });

  it('masks e-mail addresses and phones inside free text but keeps the dates there', () => {
    const result = obfuscateClassChange(only({ notes: 'Call +27 82 123 4567 or mail jane@acme.co.za before 2026-03-01.' }));
    assert.deepEqual(result.new_row, { notes: 'Call XXXXXXXXX67 or mail ****@acme.co.za before 2026-03-01.' });
  });

  it('replaces learner names in free text, even text walked before the learner list', () => {
    const result = obfuscateClassChange(only({ notes: 'Thandi Mokoena missed class; Thandi will catch up.', learners: [{ name: 'Thandi Mokoena' }] }));
    assert.deepEqual(result.new_row, { notes: 'Learner A missed class; Learner A will catch up.', learners: [{ name: 'Learner A' }] });
  });

  it('matches a one-word learner name in free text only with its own capitalisation', () => {
    const result = obfuscateClassChange(only({ learners: ['May'], notes: 'We may start when May is back.' }));
    assert.deepEqual(result.new_row, { learners: ['Learner A'], notes: 'We may start when Learner A is back.' });
  });

  it('passes booleans, nulls and empty containers through unchanged', () => {
    const result = obfuscateClassChange({ new_row: { exam_class: true, seta: null, tags: [], extra: {} }, diff: null, old_row: null });
    assert.deepEqual(result.new_row, { exam_class: true, seta: null, tags: [], extra: {} });
    assert.equal(result.diff, null);
    assert.equal(result.old_row, null);
  });
});

describe('aliasForOrdinal', () => {
  it('counts in bijective base 26', () => {
    assert.deepEqual([1, 26, 27, 52, 53, 702, 703].map(aliasForOrdinal), [
      'Learner A', 'Learner Z', 'Learner AA', 'Learner AZ', 'Learner BA', 'Learner ZZ', 'Learner AAA',
    ]);
  });

  it('rejects zero', () => {
    assert.throws(() => aliasForOrdinal(0), RangeError);
  });
});

describe('maskEmails and maskPhoneNumbers', () => {
  it('strips the local part of an address that has no domain', () => {
    assert.equal(maskEmails('jane@'), '****@');
  });

  it('splits an over-long run at spaces so a phone beside another number is still masked', () => {
    assert.equal(maskPhoneNumbers('ref 02-2026 0821234567'), 'ref 02-2026 XXXXXXXX67');
  });

  it('does not treat a day-first date as a phone', () => {
    assert.equal(maskPhoneNumbers('moved to 27-02-2026'), 'moved to 27-02-2026');
  });
});
