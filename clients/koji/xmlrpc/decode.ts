// Decoding of XML-RPC calls and responses as a Koji hub (and Python's xmlrpc.client) writes
// them. The XML is parsed, never matched as text: the hub's whitespace is not uniform (see
// reference/koji-wire). fast-xml-parser checks well-formedness and builds an ordered tree; entity
// references are resolved here (only XML's five and numeric ones), and a DOCTYPE is refused
// outright, so no entity can expand (no "billion laughs").
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { XmlRpcParseError } from './errors';
import { XmlRpcDouble } from './values';
import type { XmlRpcStruct, XmlRpcValue } from './values';

export interface DecodeOptions {
  /**
   * Decode `<double>` as an XmlRpcDouble instead of a number, so that re-encoding keeps the type
   * (`1795310000.0` stays a double). For simulators and round trips; the client leaves it off.
   */
  keepDoubles?: boolean;
}

export interface XmlRpcFault {
  faultCode: number;
  faultString: string;
  /** Multicall entries add `traceback` (an array of strings). */
  [k: string]: XmlRpcValue;
}

export type DecodedResponse = { value: XmlRpcValue } | { fault: XmlRpcFault };

type Node = Record<string, unknown>;

/** Arrays/structs nested deeper than this are refused (no stack exhaustion from hostile input). */
const MAX_DEPTH = 100;

const parser = new XMLParser({
  preserveOrder: true,
  trimValues: false,
  parseTagValue: false,
  ignoreAttributes: true,
  processEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  removeNSPrefix: true,
  cdataPropName: '#cdata',
  commentPropName: '#comment',
  // Three tags per XML-RPC level (<value><array><data>) plus the envelope.
  maxNestedTags: 3 * MAX_DEPTH + 8,
});

const TEXT = '#text';
const CDATA = '#cdata';
const COMMENT = '#comment';
const SAFE_INT = /^[+-]?\d+$/;
const PY_FLOAT = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)$/i;
const BASE64 = /^[A-Za-z0-9+/=\s]*$/;

export function decodeCall(xml: string, options: DecodeOptions = {}): { method: string; params: XmlRpcValue[] } {
  const root = parseRoot(xml, 'methodCall');
  const ctx = { keepDoubles: options.keepDoubles === true };
  let method: string | undefined;
  let params: XmlRpcValue[] = [];
  for (const child of elements(root.children, 'methodCall')) {
    if (child.tag === 'methodName') method = textOf(child.children, 'methodName').trim();
    else if (child.tag === 'params') params = decodeParams(child.children, ctx);
    else throw new XmlRpcParseError(`unexpected <${child.tag}> in <methodCall>`);
  }
  if (method === undefined || method === '') throw new XmlRpcParseError('<methodCall> without a <methodName>');
  return { method, params };
}

export function decodeResponse(xml: string, options: DecodeOptions = {}): DecodedResponse {
  const root = parseRoot(xml, 'methodResponse');
  const ctx = { keepDoubles: options.keepDoubles === true };
  const [body, ...extra] = elements(root.children, 'methodResponse');
  if (body === undefined || extra.length > 0) throw new XmlRpcParseError('<methodResponse> must hold exactly one <params> or <fault>');
  if (body.tag === 'params') {
    const params = decodeParams(body.children, ctx);
    if (params.length !== 1) throw new XmlRpcParseError(`a response carries one <param>, found ${params.length}`);
    return { value: params[0]! };
  }
  if (body.tag === 'fault') {
    const values = elements(body.children, 'fault');
    if (values.length !== 1 || values[0]!.tag !== 'value') throw new XmlRpcParseError('<fault> must hold one <value>');
    const v = decodeValue(values[0]!.children, ctx);
    if (!isFaultStruct(v)) throw new XmlRpcParseError('<fault> value is not a {faultCode: int, faultString: string} struct');
    return { fault: v };
  }
  throw new XmlRpcParseError(`unexpected <${body.tag}> in <methodResponse>`);
}

/** A struct shaped like an XML-RPC fault (also how failed multicall entries look). */
export function isFaultStruct(v: XmlRpcValue | undefined): v is XmlRpcFault {
  return (
    v !== null &&
    typeof v === 'object' &&
    !Array.isArray(v) &&
    !Buffer.isBuffer(v) &&
    !(v instanceof XmlRpcDouble) &&
    typeof v.faultCode === 'number' &&
    Number.isInteger(v.faultCode) &&
    typeof v.faultString === 'string'
  );
}

interface Element {
  tag: string;
  children: Node[];
}

function parseRoot(xml: string, expected: string): Element {
  if (typeof xml !== 'string') throw new XmlRpcParseError('XML-RPC body must be a string');
  // XML-RPC never carries a DTD; refusing it is what keeps entity expansion impossible.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new XmlRpcParseError('DOCTYPE / ENTITY declarations are not allowed in XML-RPC');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    throw new XmlRpcParseError(`malformed XML at line ${line}${col ? `, column ${col}` : ''}: ${msg}`);
  }
  let tree: Node[];
  try {
    tree = parser.parse(xml) as Node[];
  } catch (err) {
    throw new XmlRpcParseError(`malformed XML: ${(err as Error).message}`);
  }
  const roots = elements(tree, 'document');
  if (roots.length !== 1) throw new XmlRpcParseError(`expected one root element, found ${roots.length}`);
  const root = roots[0]!;
  if (root.tag !== expected) throw new XmlRpcParseError(`expected <${expected}>, found <${root.tag}>`);
  return root;
}

function tagOf(node: Node): string {
  const key = Object.keys(node).find((k) => k !== ':@');
  if (key === undefined) throw new XmlRpcParseError('empty XML node');
  return key;
}

/** The child elements, ignoring comments and whitespace; other text is an error. */
function elements(nodes: Node[], where: string): Element[] {
  const out: Element[] = [];
  for (const node of nodes) {
    const tag = tagOf(node);
    if (tag === COMMENT) continue;
    if (tag === TEXT) {
      if (String(node[TEXT]).trim() !== '') throw new XmlRpcParseError(`unexpected text in <${where}>: ${JSON.stringify(String(node[TEXT]).slice(0, 40))}`);
      continue;
    }
    if (tag === CDATA) throw new XmlRpcParseError(`unexpected CDATA in <${where}>`);
    out.push({ tag, children: node[tag] as Node[] });
  }
  return out;
}

/** The character data of an element that holds only text (entity references resolved). */
function textOf(nodes: Node[], where: string): string {
  let s = '';
  for (const node of nodes) {
    const tag = tagOf(node);
    if (tag === TEXT) s += decodeEntities(String(node[TEXT]));
    else if (tag === CDATA) s += (node[CDATA] as Node[]).map((n) => String(n[TEXT] ?? '')).join('');
    else if (tag !== COMMENT) throw new XmlRpcParseError(`unexpected <${tag}> inside <${where}>`);
  }
  return s;
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(raw: string): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&([^;]*);/g, (_m, ref: string) => {
    const named = NAMED[ref];
    if (named !== undefined) return named;
    const num = /^#(?:x([0-9A-Fa-f]+)|(\d+))$/.exec(ref);
    if (num) {
      const cp = num[1] !== undefined ? parseInt(num[1], 16) : parseInt(num[2]!, 10);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp === 0) throw new XmlRpcParseError(`invalid character reference &${ref};`);
      return String.fromCodePoint(cp);
    }
    throw new XmlRpcParseError(`undefined entity &${ref};`);
  });
}

interface Ctx {
  keepDoubles: boolean;
  depth?: number;
}


function decodeParams(nodes: Node[], ctx: Ctx): XmlRpcValue[] {
  return elements(nodes, 'params').map((param) => {
    if (param.tag !== 'param') throw new XmlRpcParseError(`unexpected <${param.tag}> in <params>`);
    const values = elements(param.children, 'param');
    if (values.length !== 1 || values[0]!.tag !== 'value') throw new XmlRpcParseError('<param> must hold one <value>');
    return decodeValue(values[0]!.children, ctx);
  });
}

function decodeValue(nodes: Node[], parent: Ctx): XmlRpcValue {
  const ctx: Ctx = { keepDoubles: parent.keepDoubles, depth: (parent.depth ?? 0) + 1 };
  if (ctx.depth! > MAX_DEPTH) throw new XmlRpcParseError(`values nested deeper than ${MAX_DEPTH} levels`);
  const hasElement = nodes.some((n) => {
    const t = tagOf(n);
    return t !== TEXT && t !== CDATA && t !== COMMENT;
  });
  // <value>text</value> without a type element is a string (whitespace kept).
  if (!hasElement) return textOf(nodes, 'value');
  const typed = elements(nodes, 'value');
  if (typed.length !== 1) throw new XmlRpcParseError('<value> must hold one type element');
  const { tag, children } = typed[0]!;
  switch (tag) {
    case 'int':
    case 'i4':
    case 'i8':
    case 'i1':
    case 'i2':
    case 'biginteger':
      return decodeInteger(textOf(children, tag).trim(), tag);
    case 'boolean': {
      const t = textOf(children, tag).trim();
      if (t === '1') return true;
      if (t === '0') return false;
      throw new XmlRpcParseError(`bad boolean value ${JSON.stringify(t)}`);
    }
    case 'double':
    case 'float': {
      const t = textOf(children, tag).trim();
      if (!PY_FLOAT.test(t)) throw new XmlRpcParseError(`bad double value ${JSON.stringify(t)}`);
      const lower = t.toLowerCase().replace(/^\+/, '');
      const n = /nan$/.test(lower) ? NaN : /inf(inity)?$/.test(lower) ? (lower.startsWith('-') ? -Infinity : Infinity) : Number(t);
      return ctx.keepDoubles ? new XmlRpcDouble(n) : n;
    }
    case 'string':
    case 'dateTime.iso8601':
      return textOf(children, tag);
    case 'base64': {
      const t = textOf(children, tag);
      if (!BASE64.test(t)) throw new XmlRpcParseError('bad base64 data');
      return Buffer.from(t.replace(/\s+/g, ''), 'base64');
    }
    case 'nil':
      if (textOf(children, tag).trim() !== '') throw new XmlRpcParseError('<nil/> must be empty');
      return null;
    case 'array': {
      const data = elements(children, 'array');
      if (data.length !== 1 || data[0]!.tag !== 'data') throw new XmlRpcParseError('<array> must hold one <data>');
      return elements(data[0]!.children, 'data').map((v) => {
        if (v.tag !== 'value') throw new XmlRpcParseError(`unexpected <${v.tag}> in <data>`);
        return decodeValue(v.children, ctx);
      });
    }
    case 'struct':
      return decodeStruct(children, ctx);
    default:
      throw new XmlRpcParseError(`unknown XML-RPC type <${tag}>`);
  }
}

function decodeInteger(t: string, tag: string): number | bigint {
  if (!SAFE_INT.test(t)) throw new XmlRpcParseError(`bad <${tag}> value ${JSON.stringify(t)}`);
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : BigInt(t);
}

function decodeStruct(nodes: Node[], ctx: Ctx): XmlRpcStruct {
  const out: XmlRpcStruct = {};
  for (const member of elements(nodes, 'struct')) {
    if (member.tag !== 'member') throw new XmlRpcParseError(`unexpected <${member.tag}> in <struct>`);
    let name: string | undefined;
    let value: XmlRpcValue | undefined;
    let seenValue = false;
    for (const part of elements(member.children, 'member')) {
      if (part.tag === 'name' && name === undefined) name = textOf(part.children, 'name');
      else if (part.tag === 'value' && !seenValue) {
        value = decodeValue(part.children, ctx);
        seenValue = true;
      } else throw new XmlRpcParseError(`unexpected <${part.tag}> in <member>`);
    }
    if (name === undefined || !seenValue) throw new XmlRpcParseError('<member> needs a <name> and a <value>');
    // defineProperty, not assignment: a member called "__proto__" must stay a plain member.
    Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
