import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalMembers, canonicalize, JsonSyntaxError, JsonValueError, parseCanonical, parseJsonBody } from '../../../server/actions/args-canonical.ts';

const canon = (text: string): string => parseCanonical(text).canonical;

describe('parseCanonical', () => {
  it('drops insignificant whitespace and keeps key order', () => {
    assert.equal(canon('{ "b" : 1 ,\n "a" : [ 1 , 2 ] }'), '{"b":1,"a":[1,2]}');
  });

  it('keeps integer-like keys where they were sent', () => {
    assert.equal(canon('{"2":"c","0":"a"}'), '{"2":"c","0":"a"}');
  });

  it('keeps number literals exactly, beyond 2^53 and with fractions and exponents', () => {
    assert.equal(canon('[12345678901234567890, 1.0, 1e2, -0, 0.10]'), '[12345678901234567890,1.0,1e2,-0,0.10]');
  });

  it('treats an escaped slash and a plain slash as the same text', () => {
    assert.equal(canon('["a\\/b"]'), canon('["a/b"]'));
    assert.equal(canon('["a\\/b"]'), '["a/b"]');
  });

  it('turns unicode escapes into the characters they name', () => {
    assert.equal(canon('["caf\\u00e9", "\\ud83d\\ude00"]'), '["café","😀"]');
  });

  it('escapes only quotes, backslashes and control characters', () => {
    assert.equal(canon('["q\\"b\\\\n\\n\\u0001<>&"]'), '["q\\"b\\\\n\\n\\u0001<>&"]');
  });

  it('refuses a lone surrogate, escaped or raw, instead of keeping or replacing it', () => {
    for (const bad of ['["\\ud800x"]', '["\\udc00"]', '["\\ud800\\u0041"]', '["\ud800"]']) {
      assert.throws(() => parseCanonical(bad), /lone surrogate/, bad);
    }
  });

  it('refuses a NUL anywhere and says where it is', () => {
    const error = (() => {
      try {
        parseCanonical('{"actions":[{"hook":"a"},{"hook":"b\\u0000"}]}');
      } catch (caught) {
        return caught;
      }
      return null;
    })();
    assert.ok(error instanceof JsonValueError);
    assert.equal(error.where, 'actions[1].hook');
    assert.throws(() => parseCanonical('{"k\\u0000":1}'), JsonValueError);
  });

  it('refuses numbers beyond the double range and keeps the largest finite ones', () => {
    assert.throws(() => parseCanonical('[1e400]'), JsonValueError);
    assert.throws(() => parseCanonical(`[-1${'0'.repeat(400)}]`), JsonValueError);
    assert.equal(canon('[1.7976931348623157e308, 1e-400]'), '[1.7976931348623157e308,1e-400]');
  });

  it('tells types apart: "1" is not 1 and [] is not {}', () => {
    assert.notEqual(canon('["1"]'), canon('[1]'));
    assert.notEqual(canon('[]'), canon('{}'));
  });

  it('refuses duplicate keys, trailing commas, comments and trailing text', () => {
    for (const bad of ['{"a":1,"a":2}', '[1,]', '[1 /* x */]', '[1] x', '{"a":01}', '', '{"__proto__":{}}']) {
      assert.throws(() => parseCanonical(bad), JsonSyntaxError, bad);
    }
  });
});

describe('parseJsonBody', () => {
  it('records the canonical text of nested args for the route to read', () => {
    const { value, texts } = parseJsonBody('{"hook":"h","args":{"n":12345678901234567890,"s":"\\/"}}');
    assert.equal(texts.textOf((value as { args: object }).args), '{"n":12345678901234567890,"s":"/"}');
  });

  it('throws when asked for a value it did not parse, rather than guessing its text', () => {
    const { texts } = parseJsonBody('{"args":[1]}');
    assert.throws(() => texts.textOf([1]), /not parsed from the request body/);
    const other = parseJsonBody('{"args":[1]}');
    assert.throws(() => texts.textOf((other.value as { args: object }).args), /not parsed/);
  });
});

describe('canonicalMembers', () => {
  it('gives each member of an object or array its own canonical text, literal for literal', () => {
    assert.deepEqual(
      canonicalMembers('{"2":"c","n":12345678901234567890,"o":{"a":[1.0]}}').map((m) => [m.keyText, m.valueText]),
      [['"2"', '"c"'], ['"n"', '12345678901234567890'], ['"o"', '{"a":[1.0]}']],
    );
    assert.deepEqual(canonicalMembers('[1.0,"x",null]').map((m) => [m.key, m.valueText]), [[null, '1.0'], [null, '"x"'], [null, 'null']]);
    assert.deepEqual(canonicalMembers('[]'), []);
  });
});

describe('canonicalize', () => {
  it('writes code-built values in the canonical form', () => {
    assert.equal(canonicalize({ log_id: 7, delivery_id: 9 }), '{"log_id":7,"delivery_id":9}');
  });
});
