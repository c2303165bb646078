// The body bytes exactly as fedora-messaging writes them: Python's json.dumps(body) with its
// defaults (", " and ": " separators, ensure_ascii=True, keys in insertion order). A consumer that
// re-encodes a message (Message._encoded_body) gets the bytes we sent.
//
// Numbers: integers are written as integers; a non-integer follows Python's float repr (shortest
// round-trip digits, exponent form below 1e-4 and from 1e16 on). NaN, Infinity and integers past
// 2^53 are refused: Python would write invalid JSON or a different number.

export function pythonJsonDumps(value: unknown): string {
  // Same value model as JSON.stringify: toJSON (Dates), undefined properties dropped.
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new TypeError(`cannot encode ${v} as JSON`);
    if (typeof v === 'bigint') throw new TypeError('cannot encode a bigint as JSON');
    return v;
  });
  if (text === undefined) throw new TypeError('cannot encode undefined as JSON');
  return encode(JSON.parse(text) as unknown);
}

function encode(v: unknown): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return pythonNumber(v);
    case 'string':
      return pythonString(v);
    case 'object':
      if (Array.isArray(v)) return v.length === 0 ? '[]' : `[${v.map(encode).join(', ')}]`;
      {
        const entries = Object.entries(v as Record<string, unknown>);
        return entries.length === 0 ? '{}' : `{${entries.map(([k, x]) => `${pythonString(k)}: ${encode(x)}`).join(', ')}}`;
      }
    default:
      throw new TypeError(`cannot encode a ${typeof v} as JSON`);
  }
}

export function pythonNumber(n: number): string {
  if (Number.isInteger(n)) {
    if (!Number.isSafeInteger(n)) throw new RangeError(`integer ${n} is beyond 2^53: it would not survive JSON`);
    return Object.is(n, -0) ? '0' : String(n);
  }
  // Shortest round-trip digits, then Python's repr layout.
  const [mant = '', expText = '0'] = n.toExponential().split('e');
  const exp = Number(expText);
  const neg = mant.startsWith('-');
  const digits = mant.replace(/^-/, '').replace('.', '');
  let out: string;
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    out = `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  } else if (exp < 0) {
    out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  } else if (digits.length <= exp + 1) {
    out = `${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  } else {
    out = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  }
  return neg ? `-${out}` : out;
}

const SHORT_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

/** json.encoder.py_encode_basestring_ascii: everything outside ' '..'~' as \uXXXX (UTF-16 units). */
export function pythonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    const code = s.charCodeAt(i);
    const short = SHORT_ESCAPES[ch];
    if (short !== undefined) out += short;
    else if (code >= 0x20 && code <= 0x7e) out += ch;
    else out += `\\u${code.toString(16).padStart(4, '0')}`;
  }
  return `${out}"`;
}
