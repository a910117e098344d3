import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalTextOf, JsonSyntaxError, parseCanonical, parseJsonBody } from '../../../server/actions/args-canonical.ts';

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

  it('keeps a lone surrogate as an escape', () => {
    assert.equal(canon('["\\ud800x"]'), '["\\ud800x"]');
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
  it('remembers the canonical text of nested args for the route to read', () => {
    const body = parseJsonBody('{"hook":"h","args":{"n":12345678901234567890,"s":"\\/"}}') as { args: object };
    assert.equal(canonicalTextOf(body.args), '{"n":12345678901234567890,"s":"/"}');
  });
});
