import { randomUUID } from 'node:crypto';

/**
 * JSON text written into a response exactly as stored, never parsed and serialised again: stored args
 * keep their key order (`{"2":"c","0":"a"}`; a JS object would put "0" first) and their number literals
 * (`12345678901234567890`, `1.0`; JSON.parse would round the one and drop the other's fraction).
 *
 * A mapper puts `new RawJson(text)` where the value goes; the response serializer (server/http/
 * serializer.ts) lets fast-json-stringify write a placeholder string there and splices the text in.
 * JSON.rawJSON cannot do this: it takes primitives only.
 */
export class RawJson {
  constructor(readonly text: string) {}

  /** Called by the serializer's JSON.stringify: hands the text over, answers its placeholder. */
  toJSON(): string {
    if (collecting === null) throw new Error('RawJson was serialised outside serializeWithRawJson: its exact text would be lost');
    collecting.push(this.text);
    return `${PLACEHOLDER}${collecting.length - 1}`;
  }
}

/**
 * Unguessable per process (a private-use character and a random UUID), so no text a client stored can
 * be mistaken for a placeholder; the splice also checks it replaced exactly as many as were handed over.
 */
const PLACEHOLDER = `\u{E000}raw-json:${randomUUID()}:`;
const PLACEHOLDER_IN_OUTPUT = new RegExp(`"${PLACEHOLDER}(\\d+)"`, 'g');

/** The texts handed over during the serialisation in progress (serialisation is synchronous). */
let collecting: string[] | null = null;

/** Run a synchronous serializer over `data` and write every RawJson in it as its text. */
export function serializeWithRawJson(serialize: (data: unknown) => string, data: unknown): string {
  const outer = collecting;
  const texts: string[] = [];
  collecting = texts;
  let output: string;
  try {
    output = serialize(data);
  } finally {
    collecting = outer;
  }
  if (texts.length === 0) return output;
  let replaced = 0;
  const spliced = output.replace(PLACEHOLDER_IN_OUTPUT, (_, index: string) => {
    replaced++;
    return texts[Number(index)] as string;
  });
  if (replaced !== texts.length) throw new Error(`raw JSON splice replaced ${replaced} of ${texts.length} values`);
  return spliced;
}
