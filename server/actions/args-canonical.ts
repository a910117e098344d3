/**
 * The canonical text of a JSON value, and a JSON body parser that keeps it.
 *
 * Args are matched by equality of canonical text, so the text must not depend on how a client happened
 * to format or escape its JSON, yet must keep everything a PHP caller can tell apart:
 * - insignificant whitespace is dropped;
 * - strings are re-escaped minimally: `\/` becomes `/`, `\u00e9` becomes `é`; only `"`, `\` and
 *   control characters are escaped;
 * - object keys keep their order (integer-like keys included: no engine reordering) and duplicates
 *   are refused, since PHP and JavaScript would each keep a different one;
 * - number literals are kept exactly as sent (`1.0`, `1e2`, `12345678901234567890`): no float rounding.
 *
 * What no reader could hold is refused, never rewritten: a lone surrogate (it has no UTF-8 form; a
 * decoder would turn it into U+FFFD and two different keys would become one), a NUL (PostgreSQL text
 * and jsonb cannot store it), and a number beyond the double range (`1e400`: JavaScript reads it as
 * Infinity and PHP as INF, which `json_encode` then refuses, so such args could never be matched again).
 *
 * `parseJsonBody` builds plain JS values for schema validation in the same pass, and records where in
 * the body every array and object it builds was written, in a `CanonicalTexts` that travels with the
 * request; a route asks it for the exact text of `args`, made on that request from that span. Making
 * the text of every object up front (the whole body, each of a batch's 1000 items) cost more than the
 * rest of the parse. This is hand-written because no JSON library keeps literals, key order and spans
 * together (JSON.parse's source-text access gives primitives only, and no key order for integer keys).
 */

import { JsonSyntaxError, JsonValueError, quoteCanonical } from './json-text-errors.ts';

export { JsonSyntaxError, JsonValueError, formatPath } from './json-text-errors.ts';

/**
 * The canonical texts of one parsed body's arrays and objects, by identity. It belongs to the request
 * whose body it parsed; asking it about a value it did not build is a programming error and throws.
 */
export class CanonicalTexts {
  readonly #src: string;
  readonly #known = new Map<object, number | string>();

  constructor(src: string) {
    this.#src = src;
  }

  /** @internal the parser records each array and object it builds. */
  record(value: object, start: number): void {
    this.#known.set(value, start);
  }

  textOf(value: object): string {
    const known = this.#known.get(value);
    if (known === undefined) throw new Error('this value was not parsed from the request body: no canonical text is recorded for it');
    if (typeof known === 'string') return known;
    // The span was parsed once already (it is valid JSON); this pass only writes its text.
    const text = new Parser(this.#src, null, known).parseValue(0).text;
    this.#known.set(value, text);
    return text;
  }
}

interface Parsed {
  value: unknown;
  text: string;
}

const FORBIDDEN_KEYS = new Set(['__proto__']);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * One pass over JSON text. Without a `CanonicalTexts` to record into, every value comes with its
 * canonical text; with one (`parseJsonBody`) texts are left empty and arrays and objects record their
 * span instead. Both modes check exactly the same things and fail at the same positions.
 */
class Parser {
  private readonly withText: boolean;

  constructor(
    private readonly src: string,
    private readonly texts: CanonicalTexts | null,
    private pos = 0,
  ) {
    this.withText = texts === null;
  }

  parseDocument(): Parsed {
    this.skipWhitespace();
    const result = this.parseValue(0);
    this.skipWhitespace();
    if (this.pos !== this.src.length) throw new JsonSyntaxError('unexpected text after the JSON value', this.pos);
    return result;
  }

  parseValue(depth: number): Parsed {
    if (depth > 512) throw new JsonSyntaxError('nesting is deeper than 512 levels', this.pos);
    const ch = this.src[this.pos];
    switch (ch) {
      case '{':
        return this.parseObject(depth);
      case '[':
        return this.parseArray(depth);
      case '"': {
        const value = this.parseString();
        return { value, text: this.withText ? quoteCanonical(value) : '' };
      }
      case 't':
        return this.parseKeyword('true', true);
      case 'f':
        return this.parseKeyword('false', false);
      case 'n':
        return this.parseKeyword('null', null);
      default:
        if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) return this.parseNumber();
        throw new JsonSyntaxError(ch === undefined ? 'unexpected end of input' : `unexpected character ${JSON.stringify(ch)}`, this.pos);
    }
  }

  /** The members of the top-level array or object, each with its canonical text (`canonicalMembers`). */
  parseMembers(): CanonicalMember[] {
    this.skipWhitespace();
    const open = this.src[this.pos];
    if (open !== '{' && open !== '[') throw new JsonSyntaxError('expected an array or an object', this.pos);
    const isObject = open === '{';
    const members: CanonicalMember[] = [];
    this.pos++;
    this.skipWhitespace();
    if (this.src[this.pos] === (isObject ? '}' : ']')) return members;
    for (;;) {
      this.skipWhitespace();
      let key: string | null = null;
      if (isObject) {
        key = this.parseString();
        this.skipWhitespace();
        this.pos++; // ':' (the text is canonical, so it is there)
      }
      const member = this.parseValue(1);
      members.push({ key, keyText: key === null ? null : quoteCanonical(key), value: member.value, valueText: member.text });
      this.skipWhitespace();
      if (this.src[this.pos++] !== ',') return members;
    }
  }

  private parseObject(depth: number): Parsed {
    const start = this.pos;
    this.pos++;
    const value: Record<string, unknown> = {};
    const parts: string[] | null = this.withText ? [] : null;
    this.skipWhitespace();
    if (this.src[this.pos] === '}') {
      this.pos++;
      return this.remember(value, start, '{}');
    }
    for (;;) {
      this.skipWhitespace();
      if (this.src[this.pos] !== '"') throw new JsonSyntaxError('expected a string key', this.pos);
      const keyPosition = this.pos;
      let key: string | undefined;
      let member: Parsed;
      try {
        key = this.parseString();
        // Every key read so far is an own property (`__proto__`, the one that would not be, is refused).
        if (Object.hasOwn(value, key)) throw new JsonSyntaxError(`duplicate key ${JSON.stringify(key)}`, keyPosition);
        if (FORBIDDEN_KEYS.has(key)) throw new JsonSyntaxError(`key ${JSON.stringify(key)} is not accepted`, keyPosition);
        this.skipWhitespace();
        if (this.src[this.pos] !== ':') throw new JsonSyntaxError('expected ":"', this.pos);
        this.pos++;
        this.skipWhitespace();
        member = this.parseValue(depth + 1);
      } catch (error) {
        // A NUL in the key itself is reported at this object.
        if (error instanceof JsonValueError && key !== undefined) error.path.unshift(key);
        throw error;
      }
      value[key] = member.value;
      parts?.push(`${quoteCanonical(key)}:${member.text}`);
      this.skipWhitespace();
      const next = this.src[this.pos];
      this.pos++;
      if (next === ',') continue;
      if (next === '}') break;
      throw new JsonSyntaxError('expected "," or "}"', this.pos - 1);
    }
    return this.remember(value, start, parts === null ? '' : `{${parts.join(',')}}`);
  }

  private parseArray(depth: number): Parsed {
    const start = this.pos;
    this.pos++;
    const value: unknown[] = [];
    const parts: string[] | null = this.withText ? [] : null;
    this.skipWhitespace();
    if (this.src[this.pos] === ']') {
      this.pos++;
      return this.remember(value, start, '[]');
    }
    for (;;) {
      this.skipWhitespace();
      let item: Parsed;
      try {
        item = this.parseValue(depth + 1);
      } catch (error) {
        if (error instanceof JsonValueError) error.path.unshift(value.length);
        throw error;
      }
      value.push(item.value);
      parts?.push(item.text);
      this.skipWhitespace();
      const next = this.src[this.pos];
      this.pos++;
      if (next === ',') continue;
      if (next === ']') break;
      throw new JsonSyntaxError('expected "," or "]"', this.pos - 1);
    }
    return this.remember(value, start, parts === null ? '' : `[${parts.join(',')}]`);
  }

  private remember(value: object, start: number, text: string): Parsed {
    this.texts?.record(value, start);
    return { value, text };
  }

  private parseString(): string {
    const start = ++this.pos;
    let out = '';
    let chunkStart = start;
    for (;;) {
      const code = this.src.charCodeAt(this.pos);
      if (Number.isNaN(code)) throw new JsonSyntaxError('unterminated string', start - 1);
      if (code === 0x22) {
        out += this.src.slice(chunkStart, this.pos);
        this.pos++;
        return out;
      }
      if (code < 0x20) throw new JsonSyntaxError('control character in string', this.pos);
      if (code >= 0xd800 && code <= 0xdfff) {
        // A raw surrogate is fine only as the first half of a pair.
        const next = this.src.charCodeAt(this.pos + 1);
        if (code > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) throw new JsonSyntaxError('lone surrogate in string', this.pos);
        this.pos += 2;
        continue;
      }
      if (code !== 0x5c) {
        this.pos++;
        continue;
      }
      out += this.src.slice(chunkStart, this.pos);
      const escape = this.src[this.pos + 1];
      this.pos += 2;
      switch (escape) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u':
          out += this.parseUnicodeEscape();
          break;
        default:
          throw new JsonSyntaxError('bad escape', this.pos - 2);
      }
      chunkStart = this.pos;
    }
  }

  /** After `\u`: one character, or a surrogate pair written as two escapes. NUL is refused. */
  private parseUnicodeEscape(): string {
    const at = this.pos - 2;
    const code = this.readHex4(at);
    if (code === 0) throw new JsonValueError('contains a NUL character (U+0000), which text cannot hold');
    if (code < 0xd800 || code > 0xdfff) return String.fromCharCode(code);
    if (code <= 0xdbff && this.src.startsWith('\\u', this.pos)) {
      this.pos += 2;
      const low = this.readHex4(this.pos - 2);
      if (low >= 0xdc00 && low <= 0xdfff) return String.fromCharCode(code, low);
    }
    throw new JsonSyntaxError('lone surrogate in string (it has no UTF-8 form)', at);
  }

  private readHex4(escapeAt: number): number {
    const hex = this.src.slice(this.pos, this.pos + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new JsonSyntaxError('bad \\u escape', escapeAt);
    this.pos += 4;
    return parseInt(hex, 16);
  }

  private parseNumber(): Parsed {
    NUMBER.lastIndex = this.pos;
    const found = NUMBER.exec(this.src);
    if (found === null) throw new JsonSyntaxError('bad number', this.pos);
    const literal = found[0];
    const value = Number(literal);
    if (!Number.isFinite(value)) {
      throw new JsonValueError(`holds the number ${literal.length > 40 ? `${literal.slice(0, 40)}…` : literal}, beyond the double range (JavaScript and PHP read it as infinity)`);
    }
    this.pos += literal.length;
    return { value, text: literal };
  }

  private parseKeyword(word: string, value: boolean | null): Parsed {
    if (this.src.startsWith(word, this.pos)) {
      this.pos += word.length;
      return { value, text: word };
    }
    throw new JsonSyntaxError(`unexpected text (expected ${word})`, this.pos);
  }

  private skipWhitespace(): void {
    for (;;) {
      const code = this.src.charCodeAt(this.pos);
      if (code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09) this.pos++;
      else return;
    }
  }
}

/** Parse a JSON document (a request body): plain JS values, and where each array and object was written. */
export function parseJsonBody(text: string): { value: unknown; texts: CanonicalTexts } {
  const texts = new CanonicalTexts(text);
  return { value: new Parser(text, texts).parseDocument().value, texts };
}

/** Parse JSON text and return its value and canonical text (query-string `args`, tests). */
export function parseCanonical(text: string): { value: unknown; canonical: string } {
  const parsed = new Parser(text, null).parseDocument();
  return { value: parsed.value, canonical: parsed.text };
}

/** One member of an array (`key` null) or object, with its canonical texts. */
export interface CanonicalMember {
  key: string | null;
  keyText: string | null;
  value: unknown;
  valueText: string;
}

/**
 * The members of canonical array or object text, each with its own canonical text: what partial args
 * matching compares, literal for literal (a number member keeps `12345678901234567890`).
 */
export function canonicalMembers(canonical: string): CanonicalMember[] {
  return new Parser(canonical, null).parseMembers();
}

/**
 * The canonical text of a value built in code (the processor's `{log_id}` args). Numbers go through
 * JavaScript, so only values JS holds exactly belong here; text from a client goes through the parser.
 */
export function canonicalize(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new Error('canonicalize: the value has no JSON form');
  return parseCanonical(text).canonical;
}

export const MAX_ARGS_BYTES = 8000;

export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
