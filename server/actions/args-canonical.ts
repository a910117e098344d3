/**
 * The canonical text of a JSON value, and a JSON body parser that remembers it.
 *
 * Args are matched by equality of canonical text, so the text must not depend on how a client happened
 * to format or escape its JSON, yet must keep everything a PHP caller can tell apart:
 * - insignificant whitespace is dropped;
 * - strings are re-escaped minimally: `\/` becomes `/`, `\u00e9` becomes `é`; only `"`, `\` and
 *   control characters are escaped (lone surrogates stay as `\uXXXX`, they have no UTF-8 form);
 * - object keys keep their order (integer-like keys included: no engine reordering) and duplicates
 *   are refused, since PHP and JavaScript would each keep a different one;
 * - number literals are kept exactly as sent (`1.0`, `1e2`, `12345678901234567890`): no float rounding.
 *
 * `parseJsonBody` builds plain JS values for schema validation in the same pass, and records where in
 * the body every array and object it builds was written, so a route can ask for the exact text of
 * `args`: the canonical text is made on that request, from that span, and kept. Making it for every
 * object up front (the whole body, each of a batch's 1000 items) cost more than the rest of the parse.
 */

export class JsonSyntaxError extends Error {
  constructor(message: string, readonly position: number) {
    super(`${message} at position ${position}`);
    this.name = 'JsonSyntaxError';
  }
}

/** Where a body's array or object was written, until its canonical text is asked for. */
interface SourceSpan {
  src: string;
  start: number;
}

const canonicalTexts = new WeakMap<object, string | SourceSpan>();

/** The canonical text of an array or object built by `parseJsonBody` or `parseCanonical`. */
export function canonicalTextOf(value: object): string | undefined {
  const known = canonicalTexts.get(value);
  if (known === undefined || typeof known === 'string') return known;
  // The span was parsed once already (it is valid JSON); this pass only writes its text.
  const text = new Parser(known.src, true, known.start).parseValue(0).text;
  canonicalTexts.set(value, text);
  return text;
}

interface Parsed {
  value: unknown;
  text: string;
}

const FORBIDDEN_KEYS = new Set(['__proto__']);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * One pass over JSON text. With `withText` every value comes with its canonical text; without it
 * (`parseJsonBody`) texts are left empty and arrays and objects remember their span instead. Both
 * modes check exactly the same things and fail at the same positions with the same messages.
 */
class Parser {
  constructor(
    private readonly src: string,
    private readonly withText: boolean,
    private pos = 0,
  ) {}

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
      const key = this.parseString();
      // Every key read so far is an own property (`__proto__`, the one that would not be, is refused).
      if (Object.hasOwn(value, key)) throw new JsonSyntaxError(`duplicate key ${JSON.stringify(key)}`, keyPosition);
      if (FORBIDDEN_KEYS.has(key)) throw new JsonSyntaxError(`key ${JSON.stringify(key)} is not accepted`, keyPosition);
      this.skipWhitespace();
      if (this.src[this.pos] !== ':') throw new JsonSyntaxError('expected ":"', this.pos);
      this.pos++;
      this.skipWhitespace();
      const member = this.parseValue(depth + 1);
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
      const item = this.parseValue(depth + 1);
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
    canonicalTexts.set(value, this.withText ? text : { src: this.src, start });
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
        case 'u': {
          const hex = this.src.slice(this.pos, this.pos + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new JsonSyntaxError('bad \\u escape', this.pos - 2);
          out += String.fromCharCode(parseInt(hex, 16));
          this.pos += 4;
          break;
        }
        default:
          throw new JsonSyntaxError('bad escape', this.pos - 2);
      }
      chunkStart = this.pos;
    }
  }

  private parseNumber(): Parsed {
    NUMBER.lastIndex = this.pos;
    const found = NUMBER.exec(this.src);
    if (found === null) throw new JsonSyntaxError('bad number', this.pos);
    const literal = found[0];
    this.pos += literal.length;
    return { value: Number(literal), text: literal };
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

/** Quote a string minimally: `"`, `\` and C0 controls escaped; lone surrogates as `\uXXXX`. */
function quoteCanonical(value: string): string {
  let out = '"';
  let chunkStart = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    let escaped: string | null = null;
    if (code === 0x22) escaped = '\\"';
    else if (code === 0x5c) escaped = '\\\\';
    else if (code < 0x20) escaped = CONTROL_ESCAPES[code] ?? `\\u${code.toString(16).padStart(4, '0')}`;
    else if (code >= 0xd800 && code <= 0xdfff) {
      const next = value.charCodeAt(i + 1);
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      escaped = `\\u${code.toString(16)}`;
    }
    if (escaped !== null) {
      out += value.slice(chunkStart, i) + escaped;
      chunkStart = i + 1;
    }
  }
  return `${out}${value.slice(chunkStart)}"`;
}

const CONTROL_ESCAPES: Record<number, string> = { 0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0c: '\\f', 0x0d: '\\r' };

/** Parse a JSON document (a request body): plain JS values, with canonical texts remembered. */
export function parseJsonBody(text: string): unknown {
  return new Parser(text, false).parseDocument().value;
}

/** Parse JSON text and return its value and canonical text (query-string `args`, tests). */
export function parseCanonical(text: string): { value: unknown; canonical: string } {
  const parsed = new Parser(text, true).parseDocument();
  return { value: parsed.value, canonical: parsed.text };
}

/**
 * The canonical text of a value that did not come through the parser (built in code: the processor's
 * `{log_id}` args). Numbers go through JavaScript, so only values JS holds exactly belong here.
 */
export function canonicalize(value: unknown): string {
  if (value !== null && typeof value === 'object') {
    const remembered = canonicalTextOf(value);
    if (remembered !== undefined) return remembered;
  }
  return parseCanonical(JSON.stringify(value)).canonical;
}

export const MAX_ARGS_BYTES = 8000;

export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
