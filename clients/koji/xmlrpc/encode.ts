// Encoding, byte for byte as Python's xmlrpc.client.Marshaller (with koji.xmlrpcplus's <i8>
// extension) writes it: the recorded koji.ClientSession bodies in reference/koji-wire are the
// test vectors. The newlines are Python's: after every closing </value> except <nil/>'s, after
// <member>, <name>…</name>, <param>, </param>, and inside <base64> (76-column lines).
import { XmlRpcEncodeError } from './errors';
import { pythonFloatRepr } from './python-float';
import { isStruct, XmlRpcDouble } from './values';
import type { XmlRpcValue } from './values';

const XML_HEADER = "<?xml version='1.0'?>\n";
const INT32_MAX = 2 ** 31 - 1;
const INT32_MIN = -(2 ** 31);
const I8_MAX = 2n ** 63n - 1n;
const I8_MIN = -(2n ** 63n);
// Characters XML 1.0 cannot carry at all (Python would write them and the hub would answer 400).
// eslint-disable-next-line no-control-regex
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
// A UTF-16 surrogate without its other half (a string cut between the two): no Unicode character
// at all, so XML cannot carry it either. Encoding to UTF-8 would silently turn it into U+FFFD.
// With the `u` flag a well-formed pair is one code point and never matches.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const METHOD_NAME = /^[A-Za-z_][A-Za-z0-9_.:]*$/;

/** `<?xml version='1.0'?>\n<methodCall>\n<methodName>m</methodName>\n<params>\n…</params>\n</methodCall>\n` */
export function encodeCall(method: string, params: XmlRpcValue[]): string {
  if (!METHOD_NAME.test(method)) throw new XmlRpcEncodeError(`invalid method name ${JSON.stringify(method)}`);
  return `${XML_HEADER}<methodCall>\n<methodName>${method}</methodName>\n${encodeParams(params)}</methodCall>\n`;
}

/** A successful response carrying one value. */
export function encodeResponse(value: XmlRpcValue): string {
  return `${XML_HEADER}<methodResponse>\n${encodeParams([value])}</methodResponse>\n`;
}

/** A fault response: `<fault>` around the struct `{faultCode, faultString}`. */
export function encodeFault(code: number, message: string): string {
  if (!Number.isInteger(code)) throw new XmlRpcEncodeError(`fault code must be an integer, got ${code}`);
  const out: string[] = [XML_HEADER, '<methodResponse>\n<fault>\n'];
  dump({ faultCode: code, faultString: message }, out, new Set());
  out.push('</fault>\n</methodResponse>\n');
  return out.join('');
}

/** One value as Python's marshaller writes it (`<value>…</value>` plus its newline). */
export function encodeValue(value: XmlRpcValue): string {
  const out: string[] = [];
  dump(value, out, new Set());
  return out.join('');
}

function encodeParams(params: XmlRpcValue[]): string {
  const out: string[] = ['<params>\n'];
  const seen = new Set<object>();
  for (const p of params) {
    out.push('<param>\n');
    dump(p, out, seen);
    out.push('</param>\n');
  }
  out.push('</params>\n');
  return out.join('');
}

/** xml.sax.saxutils.escape as xmlrpc.client uses it: only &, < and > (quotes stay). */
function escape(s: string): string {
  if (NOT_XML_CHAR.test(s)) throw new XmlRpcEncodeError(`string holds a character XML cannot carry: ${JSON.stringify(s.slice(0, 80))}`);
  const lone = LONE_SURROGATE.exec(s);
  if (lone) {
    const unit = lone[0].charCodeAt(0).toString(16).toUpperCase();
    throw new XmlRpcEncodeError(
      `string holds a lone UTF-16 surrogate (U+${unit} at index ${lone.index}), a character XML cannot carry: ${JSON.stringify(s.slice(0, 80))}`,
    );
  }
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function dumpInteger(n: bigint, forceI8: boolean, out: string[]): void {
  if (n > I8_MAX || n < I8_MIN) throw new XmlRpcEncodeError(`integer ${n} exceeds XML-RPC limits (signed 64-bit)`);
  const tag = forceI8 || n > BigInt(INT32_MAX) || n < BigInt(INT32_MIN) ? 'i8' : 'int';
  out.push(`<value><${tag}>${n.toString()}</${tag}></value>\n`);
}

function dump(v: XmlRpcValue, out: string[], seen: Set<object>): void {
  if (v === null) {
    out.push('<value><nil/></value>');
    return;
  }
  switch (typeof v) {
    case 'boolean':
      out.push(`<value><boolean>${v ? '1' : '0'}</boolean></value>\n`);
      return;
    case 'number':
      if (Number.isInteger(v)) dumpInteger(BigInt(v), false, out);
      else out.push(`<value><double>${pythonFloatRepr(v)}</double></value>\n`);
      return;
    case 'bigint':
      dumpInteger(v, true, out);
      return;
    case 'string':
      out.push(`<value><string>${escape(v)}</string></value>\n`);
      return;
    case 'object':
      break;
    default:
      throw new XmlRpcEncodeError(`cannot marshal a value of type ${typeof v}`);
  }
  if (v instanceof XmlRpcDouble) {
    if (typeof v.value !== 'number') throw new XmlRpcEncodeError('XmlRpcDouble holds a non-number');
    out.push(`<value><double>${pythonFloatRepr(v.value)}</double></value>\n`);
    return;
  }
  if (Buffer.isBuffer(v)) {
    out.push(`<value><base64>\n${base64Lines(v)}</base64></value>\n`);
    return;
  }
  if (seen.has(v)) throw new XmlRpcEncodeError('cannot marshal recursive structures');
  seen.add(v);
  if (Array.isArray(v)) {
    out.push('<value><array><data>\n');
    for (const item of v) dump(item, out, seen);
    out.push('</data></array></value>\n');
  } else if (isStruct(v)) {
    out.push('<value><struct>\n');
    for (const [k, item] of Object.entries(v)) {
      if (item === undefined) throw new XmlRpcEncodeError(`struct member ${JSON.stringify(k)} is undefined`);
      out.push(`<member>\n<name>${escape(k)}</name>\n`);
      dump(item, out, seen);
      out.push('</member>\n');
    }
    out.push('</struct></value>\n');
  } else {
    throw new XmlRpcEncodeError(`cannot marshal an object of class ${(v as object).constructor?.name ?? 'unknown'}`);
  }
  seen.delete(v);
}

/** base64.encodebytes: lines of at most 76 characters, each ending with "\n" ("" for no bytes). */
function base64Lines(b: Buffer): string {
  const s = b.toString('base64');
  let out = '';
  for (let i = 0; i < s.length; i += 76) out += `${s.slice(i, i + 76)}\n`;
  return out;
}
