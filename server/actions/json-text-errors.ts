/**
 * What the canonical JSON parser (args-canonical.ts) reports and how it quotes: its two errors, the
 * accessor path they name, and the minimal string quoting that canonical text uses. Kept apart so the
 * parser file holds only the parser.
 */

export class JsonSyntaxError extends Error {
  constructor(message: string, readonly position: number) {
    super(`${message} at position ${position}`);
    this.name = 'JsonSyntaxError';
  }
}

/** Valid JSON holding a value the sidecar refuses (NUL, a number beyond the double range). */
export class JsonValueError extends Error {
  /** Keys and indices from the document's root to the refused value, filled in as the parse unwinds. */
  readonly path: Array<string | number> = [];

  constructor(readonly reason: string) {
    super(reason);
    this.name = 'JsonValueError';
  }

  /** `actions[500].hook`: where the value is, as a JavaScript-like accessor. */
  get where(): string {
    return formatPath(this.path);
  }
}

/** `['actions', 500, 'hook']` → `actions[500].hook`; keys that are not identifiers are quoted. */
export function formatPath(path: ReadonlyArray<string | number>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${quoteCanonical(part)}]`;
  }
  return out;
}

/** Quote a string minimally: `"`, `\` and C0 controls escaped (the parser lets no lone surrogate in). */
export function quoteCanonical(value: string): string {
  let out = '"';
  let chunkStart = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    let escaped: string | null = null;
    if (code === 0x22) escaped = '\\"';
    else if (code === 0x5c) escaped = '\\\\';
    else if (code < 0x20) escaped = CONTROL_ESCAPES[code] ?? `\\u${code.toString(16).padStart(4, '0')}`;
    if (escaped !== null) {
      out += value.slice(chunkStart, i) + escaped;
      chunkStart = i + 1;
    }
  }
  return `${out}${value.slice(chunkStart)}"`;
}

const CONTROL_ESCAPES: Record<number, string> = { 0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0c: '\\f', 0x0d: '\\r' };
