import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { obfuscateClassChange } from '../../../server/notifications/obfuscation.ts';
import type { ClassChangeImages, JsonValue } from '../../../server/notifications/obfuscation.ts';
import { buildPromptContext, buildSummaryMessages, describeChanges, NO_ISSUES_SENTENCE } from '../../../server/notifications/prompts.ts';
import type { ChatMessage, SourceChangeRow } from '../../../server/notifications/prompts.ts';

const PERSONAL_DATA = ['Thandi', 'Mokoena', 'Sipho', 'Dlamini', 'jane@acme.co.za', 'jane', '082 123 4567', '0821234567', '1234567'];

interface Row extends SourceChangeRow, ClassChangeImages {}

function insertRow(overrides: Record<string, JsonValue> = {}): Row {
  const newRow: Record<string, JsonValue> = {
    class_id: 1,
    class_code: 'IMP021813',
    class_subject: 'LO4',
    class_agent: 3,
    original_start_date: '2026-02-27',
    learner_ids: [{ id: 42, name: 'Thandi Mokoena', level: 'NL2', email: 'jane@acme.co.za', phone: '082 123 4567' }],
    class_notes_data: [{ note: 'Thandi will call from 0821234567' }],
    ...overrides,
  };
  return { operation: 'INSERT', changed_at: '2026-02-18 13:23:39.301846', class_id: 1, new_row: newRow, diff: newRow, old_row: null };
}

function updateRow(): Row {
  const oldLearners: JsonValue = [{ id: 42, name: 'Thandi Mokoena', level: 'NL2' }];
  const newLearners: JsonValue = [{ id: 42, name: 'Thandi Mokoena', level: 'NL2' }, { id: 43, name: 'Sipho Dlamini', level: 'NL1', email: 'jane@acme.co.za' }];
  return {
    operation: 'UPDATE',
    changed_at: '2026-02-19 08:01:02',
    class_id: 1,
    new_row: { class_id: 1, class_code: 'IMP021813', class_subject: 'LO4', class_agent: 5, learner_ids: newLearners },
    old_row: { class_id: 1, class_code: 'IMP021813', class_subject: 'LO4', class_agent: 3, learner_ids: oldLearners },
    diff: {
      class_agent: { old: 3, new: 5 },
      updated_at: { old: '2026-02-18T13:23:39', new: '2026-02-19T08:01:02' },
      learner_ids: { old: oldLearners, new: newLearners },
    },
  };
}

function messagesFor(row: Row): ChatMessage[] {
  return buildSummaryMessages(buildPromptContext(row, obfuscateClassChange(row)));
}

function allText(messages: ChatMessage[]): string {
  return messages.map((message) => message.content).join('\n');
}

function assertNoPersonalData(messages: ChatMessage[]): void {
  const text = allText(messages);
  for (const value of PERSONAL_DATA) assert.equal(text.includes(value), false, `prompt contains ${value}`);
}

describe('buildSummaryMessages for INSERT', () => {
  it('sends a system message then a user message', () => {
    assert.deepEqual(messagesFor(insertRow()).map((message) => message.role), ['system', 'user']);
  });

  it('carries the raw code, subject, learner count and the obfuscated new row', () => {
    const user = messagesFor(insertRow())[1]?.content ?? '';
    assert.match(user, /"class_code": "IMP021813"/);
    assert.match(user, /"class_subject": "LO4"/);
    assert.match(user, /"learner_count": 1/);
    assert.match(user, /"new_row": \{/);
    assert.match(user, /Learner A/);
  });

  it('asks for the no-issues sentence when nothing is missing', () => {
    const user = messagesFor(insertRow())[1]?.content ?? '';
    assert.ok(user.includes(NO_ISSUES_SENTENCE));
    assert.doesNotMatch(user, /no class code|No agent|no start date|No learners/);
  });

  it('lists exactly the real gaps: empty code, agent, start date and zero learners', () => {
    const user = messagesFor(insertRow({ class_code: '', class_agent: null, original_start_date: null, learner_ids: [] }))[1]?.content ?? '';
    assert.match(user, /The class has no class code\./);
    assert.match(user, /No agent is assigned to the class\./);
    assert.match(user, /The class has no start date\./);
    assert.match(user, /No learners are enrolled\./);
    assert.equal(user.includes(NO_ISSUES_SENTENCE), false);
  });

  it('accepts a schedule start date in place of the original start date', () => {
    const user = messagesFor(insertRow({ original_start_date: null, schedule_data: { startDate: '2026-03-02' } }))[1]?.content ?? '';
    assert.doesNotMatch(user, /no start date/);
  });

  it('puts no learner name, e-mail address or phone number in the INSERT prompt', () => {
    assertNoPersonalData(messagesFor(insertRow()));
  });
});

describe('buildSummaryMessages for UPDATE', () => {
  it('lists each changed field as old → new', () => {
    const user = messagesFor(updateRow())[1]?.content ?? '';
    assert.match(user, /- class_agent: 3 → 5/);
    assert.match(user, /- learner_ids: \[.*Learner A.*\] → \[.*Learner B.*\]/);
  });

  it('leaves out the updated_at bookkeeping field and unchanged fields', () => {
    const user = messagesFor(updateRow())[1]?.content ?? '';
    assert.doesNotMatch(user, /updated_at/);
    assert.doesNotMatch(user, /class_subject": \{/);
    assert.doesNotMatch(user, /"new_row"|"old_row"/);
  });

  it('tells the model to mention only what changed', () => {
    assert.match(messagesFor(updateRow())[0]?.content ?? '', /only what changed/i);
  });

  it('puts no learner name, e-mail address or phone number in the UPDATE prompt', () => {
    assertNoPersonalData(messagesFor(updateRow()));
  });
});

describe('buildSummaryMessages for other operations', () => {
  it('uses a short generic prompt naming the operation', () => {
    const row: Row = { ...updateRow(), operation: 'delete' };
    const messages = messagesFor(row);
    assert.match(messages[1]?.content ?? '', /change of type DELETE/);
    assert.match(messages[1]?.content ?? '', /at most 4/);
    assertNoPersonalData(messages);
  });
});

describe('describeChanges', () => {
  it('shows an emptied value as (empty)', () => {
    assert.deepEqual(describeChanges({ class_code: { old: 'IMP021813', new: '' } }), ['- class_code: "IMP021813" → (empty)']);
  });

  it('falls back to the new value when an entry is not an old/new pair', () => {
    assert.deepEqual(describeChanges({ class_type: 'Oral Assessment' }), ['- class_type: now "Oral Assessment"']);
  });

  it('returns nothing for a diff that is not an object', () => {
    assert.deepEqual(describeChanges(null), []);
  });
});

describe('buildPromptContext', () => {
  it('reads code and subject from the raw row, not the obfuscated one', () => {
    const row = insertRow({ class_code: 'IMP0218131', class_subject: 'LO4 2026' });
    const obfuscated = obfuscateClassChange(row);
    assert.equal((obfuscated.new_row as Record<string, JsonValue>)['class_code'], 'IMPXXXXX31');
    const context = buildPromptContext(row, obfuscated);
    assert.equal(context.class_code, 'IMP0218131');
    assert.equal(context.class_subject, 'LO4 2026');
  });

  it('turns a Date changed_at into ISO text', () => {
    const row = { ...insertRow(), changed_at: new Date('2026-02-18T11:23:39Z') };
    assert.equal(buildPromptContext(row, obfuscateClassChange(row)).changed_at, '2026-02-18T11:23:39.000Z');
  });
});
