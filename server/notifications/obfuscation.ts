/**
 * Masks personal data in a class change before any of it leaves the process (the OpenAI prompt).
 *
 * Rules (WeCoza's corrected "c47ae9c" set, reference/wecoza-pipeline.md §3.5):
 * - learner names become `Learner A` … `Learner Z`, `Learner AA` …; one name, one alias, across the
 *   new row, the diff and the old row, walked in that order so aliases are stable for a given row;
 * - e-mail addresses become `****@<domain>`;
 * - phone numbers (7–15 digits) keep only their last two digits;
 * - dates, timestamps and foreign-key ids stay readable: the model needs them to say what changed;
 * - ids are masked only under a learners parent and for identity-document keys (SA ID, passport).
 *
 * The alias map (alias → real name) is personal data. It is never stored in job arguments: the
 * e-mail handler rebuilds it from the source row with `rebuildAliasMap`, which walks exactly like
 * `obfuscateClassChange` and so yields the same aliases the model saw.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** alias → real name, in order of first appearance (`Learner A` first). */
export type AliasMap = Readonly<Record<string, string>>;

/** The three JSON columns of a `class_change_logs` row, as read from the source table. */
export interface ClassChangeImages {
  new_row: JsonValue | null;
  diff: JsonValue | null;
  old_row: JsonValue | null;
}

export interface ObfuscatedClassChange extends ClassChangeImages {
  aliases: AliasMap;
}

export const ID_MASK = 'ID-XXX';

const ALIAS_PREFIX = 'Learner ';
const LEARNER_PARENT_KEYS = new Set(['learners', 'students']);
const LEARNER_KEYS = new Set(['learner', 'student']);
const PHONE_KEY_TOKENS = new Set(['phone', 'mobile', 'cell', 'cellphone', 'tel', 'telephone', 'fax']);
const DATE_KEY_FRAGMENTS = ['date', 'time', '_at', 'created', 'updated', 'deleted', 'started', 'ended', 'validated'];
const MIN_PHONE_DIGITS = 7;
const MAX_PHONE_DIGITS = 15;

// An alias already in a text, kept out of reach of the free-text name pass.
const ALIAS_TEXT = /(?<![\p{L}\p{N}])Learner [A-Z]+(?![\p{L}\p{N}])/gu;
// A value that opens with a calendar date is a date or timestamp, whatever its key.
const LEADING_DATE = /^\d{4}-\d{2}-\d{2}/;
// Email local parts stop at characters that cannot sit in an unquoted address; the domain may be
// empty so that a bare "name@" still loses its local part.
const EMAIL = /[^\s@<>()[\]{},;:"'`]+@([A-Za-z0-9.-]*)/g;
// Digits joined by at most two phone separators each. The lookaheads stop a run from swallowing
// a date (2026-02-27, 27-02-2026) written next to it, so dates in free text stay readable.
const DATE_AHEAD = String.raw`(?!\d{4}-\d{2}-\d{2}|\d{2}[-/.]\d{2}[-/.]\d{4})`;
const PHONE_RUN = new RegExp(String.raw`(?<![\d+(])${DATE_AHEAD}[+(]?\d(?:[ ().-]{0,2}${DATE_AHEAD}\d)*`, 'g');

interface WalkState {
  readonly aliasByIdentity: Map<string, string>;
  readonly aliases: Record<string, string>;
}

/**
 * Obfuscates the new row, the diff and the old row of one class change with shared alias state.
 * Inputs are not modified.
 */
export function obfuscateClassChange(change: ClassChangeImages): ObfuscatedClassChange {
  const state: WalkState = { aliasByIdentity: new Map(), aliases: {} };
  const walked = [change.new_row, change.diff, change.old_row].map((image) => obfuscateRoot(image, state));
  // Names also turn up in free text (notes, descriptions) that the walk could not recognise as
  // names, possibly before the learner list that revealed them; a second pass catches those.
  const replaceNames = nameReplacer(state.aliases);
  const [new_row, diff, old_row] = walked.map((image) => (image === null ? null : mapStrings(image, replaceNames)));
  return { new_row: new_row ?? null, diff: diff ?? null, old_row: old_row ?? null, aliases: state.aliases };
}

/**
 * Rebuilds alias → real name for a source row at send time, so that no personal data has to
 * travel in job arguments. Same walk, same order, same aliases as `obfuscateClassChange`.
 */
export function rebuildAliasMap(change: ClassChangeImages): AliasMap {
  return obfuscateClassChange(change).aliases;
}

/** `1 → A`, `26 → Z`, `27 → AA`: bijective base 26, so there is no zero digit and no gap. */
export function aliasForOrdinal(ordinal: number): string {
  if (!Number.isInteger(ordinal) || ordinal < 1) {
    throw new RangeError(`alias ordinal must be a positive integer, got ${ordinal}`);
  }
  let letters = '';
  let rest = ordinal;
  while (rest > 0) {
    const digit = (rest - 1) % 26;
    letters = String.fromCharCode(65 + digit) + letters;
    rest = Math.floor((rest - 1) / 26);
  }
  return ALIAS_PREFIX + letters;
}

/** Replaces every e-mail address in a text with `****@<domain>`. */
export function maskEmails(text: string): string {
  return text.replace(EMAIL, (_match, domain: string) => `****@${domain}`);
}

/**
 * Replaces every phone-like run of 7–15 digits with `X` per digit except the last two. The
 * formatting of a masked run is dropped, because the spacing of a number can itself identify it.
 */
export function maskPhoneNumbers(text: string): string {
  return text.replace(PHONE_RUN, maskPhoneRun);
}

function maskPhoneRun(run: string): string {
  const digitCount = countDigits(run);
  if (digitCount <= MAX_PHONE_DIGITS) return digitCount < MIN_PHONE_DIGITS ? run : maskDigits(run);
  // Too long for one phone: in free text this is usually a phone written beside another number.
  // Cut it at spaces into chunks of at most 15 digits and judge each chunk on its own.
  const pieces = run.split(/( +)/);
  let out = '';
  let chunk = '';
  for (const piece of pieces) {
    if (piece.trim() === '') {
      chunk += piece;
      continue;
    }
    if (chunk !== '' && countDigits(chunk) + countDigits(piece) > MAX_PHONE_DIGITS) {
      const trailing = /( *)$/.exec(chunk)?.[1] ?? '';
      out += maskPhoneRunChunk(chunk.slice(0, chunk.length - trailing.length)) + trailing;
      chunk = '';
    }
    chunk += piece;
  }
  return out + maskPhoneRunChunk(chunk);
}

function maskPhoneRunChunk(chunk: string): string {
  const digitCount = countDigits(chunk);
  return digitCount >= MIN_PHONE_DIGITS && digitCount <= MAX_PHONE_DIGITS ? maskDigits(chunk) : chunk;
}

function maskDigits(run: string): string {
  const digits = run.replace(/\D/g, '');
  return 'X'.repeat(digits.length - 2) + digits.slice(-2);
}

function countDigits(text: string): number {
  return text.replace(/\D/g, '').length;
}

function obfuscateRoot(value: JsonValue | null, state: WalkState): JsonValue | null {
  return value === null ? null : walk(value, null, null, state);
}

/**
 * `key` is the value's own key (null for an array item or the root); `parent` is the nearest
 * enclosing object key. Array items inherit the array's own key as their parent, so
 * `{"learners": [{"name": …}]}` sees `name` under the parent `learners`.
 */
function walk(value: JsonValue, key: string | null, parent: string | null, state: WalkState): JsonValue {
  if (Array.isArray(value)) {
    const itemParent = key ?? parent;
    return value.map((item) => walk(item, null, itemParent, state));
  }
  if (value !== null && typeof value === 'object') {
    const childParent = key ?? parent;
    const out: { [key: string]: JsonValue } = {};
    for (const [childKey, child] of Object.entries(value)) {
      out[childKey] = walk(child, childKey, childParent, state);
    }
    return out;
  }
  if (typeof value === 'string') return obfuscateString(value, key, parent, state);
  if (typeof value === 'number') return obfuscateNumber(value, key, parent);
  return value;
}

function obfuscateString(value: string, key: string | null, parent: string | null, state: WalkState): string {
  if (isMaskedId(key, parent, false)) return value.trim() === '' ? value : ID_MASK;
  if (isLearnerName(value, key, parent)) return aliasFor(value, state);
  if (isDateKey(key) || LEADING_DATE.test(value)) return value;
  return maskPhoneNumbers(maskEmails(value));
}

function obfuscateNumber(value: number, key: string | null, parent: string | null): JsonValue {
  if (isMaskedId(key, parent, true)) return ID_MASK;
  // Phones stored as numbers lose their leading zero but are still phones; other numbers
  // (counts, durations, foreign keys) are left alone.
  if (key !== null && keyTokens(key).some((token) => PHONE_KEY_TOKENS.has(token))) {
    return maskPhoneNumbers(String(value));
  }
  return value;
}

function isMaskedId(key: string | null, parent: string | null, isNumber: boolean): boolean {
  const lowerKey = key?.toLowerCase() ?? '';
  if (lowerKey === 'sa_id' || lowerKey === 'sa_id_no' || lowerKey.includes('passport')) return true;
  if (!isLearnerParent(parent)) return false;
  // Bare numbers in a learner list (`learners: [42, 43]`) are learner ids; bare strings are names.
  if (key === null) return isNumber;
  return keyTokens(key).some((token) => token === 'id' || token === 'ids');
}

function isLearnerName(value: string, key: string | null, parent: string | null): boolean {
  if (value.trim() === '') return false;
  if (isLearnerParent(parent)) return true;
  if (key === null) return false;
  const lowerKey = key.toLowerCase();
  return lowerKey.includes('name') || LEARNER_KEYS.has(lowerKey);
}

function isLearnerParent(parent: string | null): boolean {
  return parent !== null && LEARNER_PARENT_KEYS.has(parent.toLowerCase());
}

function isDateKey(key: string | null): boolean {
  if (key === null) return false;
  const lowerKey = key.toLowerCase();
  return DATE_KEY_FRAGMENTS.some((fragment) => lowerKey.includes(fragment));
}

/** `learnerId` → [learner, id]; `sa_id_no` → [sa, id, no]. Substrings would match `valid`. */
function keyTokens(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((token) => token !== '');
}

function aliasFor(name: string, state: WalkState): string {
  // Spacing and case differences between two spellings of one name must not make two learners.
  const identity = name.trim().replace(/\s+/g, ' ').toLowerCase();
  const known = state.aliasByIdentity.get(identity);
  if (known !== undefined) return known;
  const alias = aliasForOrdinal(state.aliasByIdentity.size + 1);
  state.aliasByIdentity.set(identity, alias);
  state.aliases[alias] = name.trim();
  return alias;
}

function mapStrings(value: JsonValue, map: (text: string) => string): JsonValue {
  if (typeof value === 'string') return map(value);
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, map));
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: JsonValue } = {};
    for (const [key, child] of Object.entries(value)) out[key] = mapStrings(child, map);
    return out;
  }
  return value;
}

/**
 * Replaces whole real names, then their capitalised parts of three letters or more ("Thandi"),
 * with the alias. Lower-case particles ("van", "de") are left alone: they are common words.
 */
function nameReplacer(aliases: AliasMap): (text: string) => string {
  const rules: Array<{ pattern: RegExp; alias: string; length: number }> = [];
  for (const [alias, name] of Object.entries(aliases)) {
    const words = name.split(/\s+/).filter((word) => word !== '');
    // A full name in other case is still that person; a one-word name in lower case ("may") is
    // more likely an ordinary word.
    const flags = words.length > 1 ? 'giu' : 'gu';
    rules.push({ pattern: wholeWords(words.map(escapeRegExp).join('\\s+'), flags), alias, length: name.length });
    for (const part of name.split(/[\s-]+/)) {
      if (part.length >= 3 && /^\p{Lu}/u.test(part)) {
        rules.push({ pattern: wholeWords(escapeRegExp(part), 'gu'), alias, length: part.length });
      }
    }
  }
  if (rules.length === 0) return (text) => text;
  rules.sort((a, b) => b.length - a.length);
  // Replacements are parked behind private-use placeholders until the end, so that neither an
  // alias already in the text nor one just inserted is matched again by a later name part.
  return (text) => {
    const held: string[] = [];
    const hold = (value: string): string => `\uE000${held.push(value) - 1}\uE001`;
    let out = text.replace(ALIAS_TEXT, hold);
    for (const rule of rules) out = out.replace(rule.pattern, () => hold(rule.alias));
    return out.replace(/\uE000(\d+)\uE001/g, (_match, index: string) => held[Number(index)] ?? '');
  };
}

function wholeWords(source: string, flags: string): RegExp {
  return new RegExp(`(?<![\\p{L}\\p{N}])${source}(?![\\p{L}\\p{N}])`, flags);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
