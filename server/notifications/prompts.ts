/**
 * Chat messages for the class-change summary, one prompt per operation. Every value that reaches
 * a message comes from the obfuscated change (aliases, masked contacts), except the operation,
 * time, class id and learner count, and the class code and subject, which are sent raw: they are
 * labels typed by staff, and masking rules would garble codes such as `IMP0218131`.
 */
import type { JsonValue, ObfuscatedClassChange } from './obfuscation.ts';

export interface ChatMessage {
  role: 'system' | 'user';
  content: string;
}

/** What the model is told about one change. */
export interface SummaryPromptContext {
  operation: string;
  changed_at: string;
  class_id: number | null;
  class_code: string | null;
  /** Raw, not relabelled: WeCoza lost it once by reading a renamed key (reference §7.6). */
  class_subject: string | null;
  learner_count: number;
  /** Gaps found by code in an INSERT, so the model reports real issues instead of guessing. */
  gaps: string[];
  /** The obfuscated diff (UPDATE and others) or the obfuscated new row (INSERT). */
  change: JsonValue | null;
}

export interface SourceChangeRow {
  operation: string;
  changed_at: string | Date;
  class_id: number | null;
  new_row: JsonValue | null;
}

export const NO_ISSUES_SENTENCE = 'No issues detected.';

// Bookkeeping columns that change on every save and say nothing to the reader.
const IGNORED_UPDATE_FIELDS = new Set(['updated_at']);
// A class row is a few KB; this only guards against a pathological diff running up the bill.
const MAX_CONTEXT_CHARS = 24_000;

/**
 * Builds the prompt context from the raw source row and its obfuscation. Raw values are read only
 * for class code, subject, learner count and the INSERT gap checks; the change itself is the
 * obfuscated one.
 */
export function buildPromptContext(row: SourceChangeRow, obfuscated: ObfuscatedClassChange): SummaryPromptContext {
  const operation = row.operation.toUpperCase();
  const newRow = asObject(row.new_row);
  const learnerIds = newRow?.['learner_ids'];
  const learnerCount = Array.isArray(learnerIds) ? learnerIds.length : 0;
  return {
    operation,
    changed_at: row.changed_at instanceof Date ? row.changed_at.toISOString() : row.changed_at,
    class_id: row.class_id,
    class_code: textOrNull(newRow?.['class_code']),
    class_subject: textOrNull(newRow?.['class_subject']),
    learner_count: learnerCount,
    gaps: operation === 'INSERT' ? findInsertGaps(newRow, learnerCount) : [],
    change: operation === 'INSERT' ? obfuscated.new_row : withoutBookkeeping(obfuscated.diff),
  };
}

function withoutBookkeeping(diff: JsonValue | null): JsonValue | null {
  const fields = asObject(diff);
  if (fields === null) return diff;
  return Object.fromEntries(Object.entries(fields).filter(([field]) => !IGNORED_UPDATE_FIELDS.has(field)));
}

/** The system and user messages for one change, chosen by operation. */
export function buildSummaryMessages(context: SummaryPromptContext): ChatMessage[] {
  switch (context.operation) {
    case 'INSERT':
      return buildInsertMessages(context);
    case 'UPDATE':
      return buildUpdateMessages(context);
    default:
      return buildGenericMessages(context);
  }
}

const SHARED_RULES = [
  'You write short notes for the operations team of WeCoza, a training provider, about changes to its classes.',
  'Be factual and brief; write plain Markdown bullets starting with "- ".',
  'Learners appear as aliases such as "Learner A". Use those aliases and never guess real names, e-mail addresses or phone numbers.',
  'Masked values (ID-XXX, ****@domain, XXXXXXX67) are intentional; do not comment on them.',
].join('\n');

function buildInsertMessages(context: SummaryPromptContext): ChatMessage[] {
  const issues = context.gaps.length === 0
    ? `There are no gaps. End with the sentence "${NO_ISSUES_SENTENCE}"`
    : `Report exactly these gaps, and no others, as the last bullet:\n${context.gaps.map((gap) => `  * ${gap}`).join('\n')}`;
  const instruction = [
    `A new class was created. In 2 or 3 bullets (at most 5), say what was created: code, subject, schedule, number of learners and the agent.`,
    issues,
    'Do not invent problems that are not listed.',
  ].join('\n');
  return [
    { role: 'system', content: SHARED_RULES },
    { role: 'user', content: `${instruction}\n\nContext (JSON):\n${formatContext(context, 'new_row')}` },
  ];
}

function buildUpdateMessages(context: SummaryPromptContext): ChatMessage[] {
  const changes = describeChanges(context.change);
  const instruction = [
    'A class was updated. In at most 4 bullets, describe only the fields listed under "Changes", each as old → new.',
    'Never mention fields that are not listed.',
    'For learner lists, say which learners (by alias) were added or removed, or whose level or status changed.',
    'For event dates, point out dates that moved.',
    'Flag a risk only when the change itself shows it, such as an empty value replacing a filled one.',
  ].join('\n');
  const changeList = changes.length === 0 ? '(only bookkeeping timestamps changed)' : changes.join('\n');
  return [
    { role: 'system', content: `${SHARED_RULES}\nMention only what changed.` },
    {
      role: 'user',
      content: `${instruction}\n\nChanges:\n${changeList}\n\nContext (JSON):\n${formatContext(context, 'diff')}`,
    },
  ];
}

function buildGenericMessages(context: SummaryPromptContext): ChatMessage[] {
  const instruction = `A class change of type ${context.operation} was recorded. Summarise it in 2 or 3 bullets (at most 4).`;
  return [
    { role: 'system', content: SHARED_RULES },
    { role: 'user', content: `${instruction}\n\nContext (JSON):\n${formatContext(context, 'diff')}` },
  ];
}

/** One `- field: old → new` line per changed field of a `{field: {old, new}}` diff. */
export function describeChanges(diff: JsonValue | null): string[] {
  const fields = asObject(diff);
  if (fields === null) return [];
  const lines: string[] = [];
  for (const [field, change] of Object.entries(fields)) {
    if (IGNORED_UPDATE_FIELDS.has(field)) continue;
    const pair = asObject(change);
    if (pair !== null && 'old' in pair && 'new' in pair) {
      lines.push(`- ${field}: ${formatValue(pair['old'] ?? null)} → ${formatValue(pair['new'] ?? null)}`);
    } else {
      lines.push(`- ${field}: now ${formatValue(change)}`);
    }
  }
  return lines;
}

function findInsertGaps(newRow: Record<string, JsonValue> | null, learnerCount: number): string[] {
  const gaps: string[] = [];
  if (isBlank(newRow?.['class_code'])) gaps.push('The class has no class code.');
  if (isBlank(newRow?.['class_agent'])) gaps.push('No agent is assigned to the class.');
  const schedule = asObject(newRow?.['schedule_data'] ?? null);
  if (isBlank(newRow?.['original_start_date']) && isBlank(schedule?.['startDate'])) {
    gaps.push('The class has no start date.');
  }
  if (learnerCount === 0) gaps.push('No learners are enrolled.');
  return gaps;
}

function formatContext(context: SummaryPromptContext, changeLabel: 'new_row' | 'diff'): string {
  const payload = {
    operation: context.operation,
    changed_at: context.changed_at,
    class_id: context.class_id,
    class_code: context.class_code,
    class_subject: context.class_subject,
    learner_count: context.learner_count,
    [changeLabel]: context.change,
  };
  const text = JSON.stringify(payload, null, 2);
  return text.length <= MAX_CONTEXT_CHARS ? text : `${text.slice(0, MAX_CONTEXT_CHARS)}\n… (truncated)`;
}

function formatValue(value: JsonValue): string {
  if (value === null) return '(empty)';
  if (typeof value === 'string') return value.trim() === '' ? '(empty)' : JSON.stringify(value);
  return JSON.stringify(value);
}

function isBlank(value: JsonValue | undefined): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === 'string') return value.trim() === '';
  if (Array.isArray(value)) return value.length === 0;
  // An agent id of 0 is how an unset integer column reaches JSON from some form handlers.
  if (typeof value === 'number') return value === 0;
  return false;
}

function asObject(value: JsonValue | undefined | null): Record<string, JsonValue> | null {
  return value !== null && value !== undefined && typeof value === 'object' && !Array.isArray(value) ? value : null;
}

function textOrNull(value: JsonValue | undefined): string | null {
  if (typeof value === 'string') return value.trim() === '' ? null : value;
  if (typeof value === 'number') return String(value);
  return null;
}
