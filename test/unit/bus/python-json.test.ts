// The body bytes must be what fedora-messaging's json.dumps(body) writes (vectors from CPython 3).
import { describe, expect, it } from 'vitest';
import { pythonJsonDumps, pythonNumber } from '../../../clients/bus/python-json';

describe('pythonJsonDumps', () => {
  it("writes json.dumps's default layout and ASCII escapes", () => {
    const v = {
      a: 1,
      b: [1, 2, { c: null, d: true, e: false }],
      s: 'h\u00e9llo "q" \\ \n\t\x01\x7f \u2603 \u{1F600}',
      f: 0.1,
      g: 1e-7,
      h: -2.5e-5,
      i: 123456.789,
      j: 1.5e-300,
      k: {},
      l: [],
      m: 0.0001,
      n: -0.5,
    };
    expect(pythonJsonDumps(v)).toBe(
      '{"a": 1, "b": [1, 2, {"c": null, "d": true, "e": false}], "s": "h\\u00e9llo \\"q\\" \\\\ \\n\\t\\u0001\\u007f \\u2603 \\ud83d\\ude00", ' +
        '"f": 0.1, "g": 1e-07, "h": -2.5e-05, "i": 123456.789, "j": 1.5e-300, "k": {}, "l": [], "m": 0.0001, "n": -0.5}',
    );
  });

  it('follows Python float repr at the edges', () => {
    expect(pythonNumber(3e15 + 0.5)).toBe('3000000000000000.5');
    expect(pythonNumber(12345678901234.56)).toBe('12345678901234.56');
    expect(pythonNumber(-0)).toBe('0');
  });

  it('drops undefined like JSON and refuses what Python would write differently', () => {
    expect(pythonJsonDumps({ a: undefined, b: 2 })).toBe('{"b": 2}');
    expect(() => pythonJsonDumps({ a: Number.NaN })).toThrow();
    expect(() => pythonJsonDumps({ a: 2 ** 60 })).toThrow(/2\^53/);
    expect(() => pythonJsonDumps({ a: 1.5e300 })).toThrow(/2\^53/);
  });

  it('parses back to the same value', () => {
    const v = { regions: { 'us-east-1': 'ami-0123456789abcdef0' }, release: 46, name: 'Fedora-Cloud-Base-AmazonEC2.x86_64-Rawhide-20261122.n.0' };
    expect(JSON.parse(pythonJsonDumps(v))).toEqual(v);
  });
});
