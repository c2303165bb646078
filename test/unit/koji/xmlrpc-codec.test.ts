// The codec against the recorded Koji 1.35.3 exchanges and against output of Python's own
// xmlrpc.client (expected strings below were produced by CPython 3, not by this codec).
import { describe, expect, it } from 'vitest';
import {
  XmlRpcDouble,
  XmlRpcEncodeError,
  XmlRpcParseError,
  asDouble,
  decodeCall,
  decodeResponse,
  encodeCall,
  encodeFault,
  encodeResponse,
  kwargs,
  pythonFloatRepr,
} from '../../../clients/koji/xmlrpc';
import type { XmlRpcValue } from '../../../clients/koji/xmlrpc';
import { exchange, isXmlResponse, isXmlRpcPost, loadExchanges } from './wire';

const all = loadExchanges();
const pythonCalls = all.filter((e) => e.sent_by === 'koji.ClientSession' && isXmlRpcPost(e));
const xmlResponses = all.filter(isXmlResponse);
// <dateTime.iso8601> decodes to a plain string by design (Koji sends times as strings), so the one
// response that carries one cannot be re-encoded with its original tag; it is checked on its own.
const hasDateTime = (e: { response: { body?: string } }) => (e.response.body ?? '').includes('<dateTime.iso8601>');

function valueOf(xml: string): XmlRpcValue {
  const r = decodeResponse(xml);
  if (!('value' in r)) throw new Error(`expected a value, got fault ${JSON.stringify(r.fault)}`);
  return r.value;
}

describe('recorded requests of koji.ClientSession', () => {
  it('there are plenty of them', () => {
    expect(pythonCalls.length).toBeGreaterThan(100);
  });

  it.each(pythonCalls.map((e) => [`${e.file}#${e.index} ${e.label.slice(0, 70)}`, e] as const))(
    're-encodes byte for byte: %s',
    (_name, e) => {
      const body = e.request.body!;
      const { method, params } = decodeCall(body, { keepDoubles: true });
      expect(encodeCall(method, params)).toBe(body);
      // Content-Length is the UTF-8 byte count.
      expect(String(Buffer.byteLength(encodeCall(method, params)))).toBe(e.request.headers['Content-Length']);
    },
  );

  it('builds login, kiwiBuild and echo(i8) from JS values exactly as python did', () => {
    expect(encodeCall('login', ['alice', 'alicepw', kwargs({ opts: null })])).toBe(exchange('01-login-session.json', "login('alice', 'alicepw') via").request.body);
    expect(
      encodeCall('kiwiBuild', [
        'f-target',
        ['x86_64', 'aarch64'],
        'git+https://pagure.io/fedora-kiwi-descriptions.git?#3f5d2c9a8b7e6d1f0a4c3b2e9d8f7a6b5c4d3e2f',
        'teams/cloud/cloud.kiwi',
        kwargs({ profile: 'Cloud-Base-Generic', release: '20261122.n.0', scratch: true }),
      ]),
    ).toBe(exchange('03-kiwi-completed-client.json', 'kiwiBuild(').request.body);
    expect(encodeCall('echo', [1099511627776, -3000000000, 2147483647, 2147483648, -2147483648, -2147483649, 0])).toBe(
      exchange('08-i8-large-values.json', 'echo(1099511627776').request.body,
    );
    expect(encodeCall('downloadTaskOutput', [18, 'disk.raw', kwargs({ offset: 3221229536, size: 32 })])).toBe(
      exchange('08-i8-large-values.json', 'offset=3221229536, size=32').request.body,
    );
  });
});

describe('recorded responses', () => {
  it('there are plenty of them', () => {
    expect(xmlResponses.length).toBeGreaterThan(150);
  });

  it.each(xmlResponses.filter((e) => !hasDateTime(e)).map((e) => [`${e.file}#${e.index} ${e.label.slice(0, 70)}`, e] as const))('decodes and re-encodes like the hub: %s', (_name, e) => {
    const body = e.response.body!;
    const r = decodeResponse(body, { keepDoubles: true });
    // The hub writes with the same marshaller, so our encoder reproduces its bodies too (the
    // simulator relies on it).
    const again = 'fault' in r ? encodeFault(r.fault.faultCode, r.fault.faultString) : encodeResponse(r.value);
    expect(again).toBe(body);
  });
});

describe('decoded values', () => {
  it('login result', () => {
    expect(valueOf(exchange('01-login-session.json', "login('alice', 'alicepw') via").response.body!)).toEqual({
      'session-id': 2,
      'session-key': '3-J7Xh4g1wl1xSoD8DZUS',
      'header-auth': true,
    });
  });

  it('i8 both ways; beyond MAX_SAFE_INTEGER as bigint', () => {
    expect(valueOf(exchange('08-i8-large-values.json', 'echo(1099511627776').response.body!)).toEqual([
      1099511627776, -3000000000, 2147483647, 2147483648, -2147483648, -2147483649, 0,
    ]);
    const typed = valueOf(exchange('08-i8-large-values.json', 'hand-written echo').response.body!) as XmlRpcValue[];
    expect(typed[0]).toBe(9223372036854775807n);
    expect(typed[1]).toBe(42);
    expect(typed[2]).toBe('untyped value is a string');
    expect(typed[3]).toBe(1.5);
    expect(typed[4]).toBe('20261122T01:02:03');
    expect(Buffer.isBuffer(typed[5])).toBe(true);
    expect((typed[5] as Buffer).toString('utf8')).toBe('Hello, koji!');
    expect(typed[6]).toBeNull();
    expect(typed[7]).toBe(false);
    expect(typed[8]).toBe('<&> unicode: éè ✓');
    expect(valueOf(exchange('08-i8-large-values.json', 'checkUpload(').response.body!)).toMatchObject({ size: 3221229568 });
  });

  it('the hand-written request with i4, untyped value, dateTime, base64', () => {
    const { method, params } = decodeCall(exchange('08-i8-large-values.json', 'hand-written echo').request.body!);
    expect(method).toBe('echo');
    expect(params.slice(0, 3)).toEqual([9223372036854775807n, 42, 'untyped value is a string']);
  });

  it('st_size is a string; doubles are numbers; keepDoubles keeps integral doubles typed', () => {
    const v = valueOf(exchange('08-i8-large-values.json', 'listTaskOutput(18, stat=True) -').response.body!) as Record<string, Record<string, XmlRpcValue>>;
    expect(v['disk.raw']).toEqual({ st_atime: 1795312564.7101233, st_ctime: 1795312564.7178404, st_mtime: 1795312564.7178404, st_size: '3221229568' });
    const kept = decodeResponse('<?xml version="1.0"?><methodResponse><params><param><value><double>5.0</double></value></param></params></methodResponse>', { keepDoubles: true });
    expect(kept).toEqual({ value: new XmlRpcDouble(5) });
  });

  it('downloadTaskOutput: base64 text inside a plain <string>', () => {
    const v = valueOf(exchange('08-i8-large-values.json', 'offset=3221229536, size=32').response.body!);
    expect(typeof v).toBe('string');
    expect(Buffer.from(v as string, 'base64').toString()).toBe('END-OF-SPARSE-DISK-IMAGE-MARKER\n');
  });

  it('nil for a missing task; faults with code and text', () => {
    expect(valueOf(exchange('09-missing-task.json', 'getTaskInfo(999999) -> nil').response.body!)).toBeNull();
    expect(decodeResponse(exchange('10-server-offline.json', 'getLoggedInUser()').response.body!)).toEqual({
      fault: { faultCode: 1014, faultString: 'server is offline' },
    });
  });

  it('multicall: [result] for success, fault structs (with traceback) for failures', () => {
    const v = valueOf(exchange('07-multicall-and-list-args.json', 'ClientSession.multicall(strict=False)').response.body!) as XmlRpcValue[];
    expect(Array.isArray(v)).toBe(true);
    const ok = v.filter((x) => Array.isArray(x));
    const faults = v.filter((x) => !Array.isArray(x)) as Record<string, XmlRpcValue>[];
    expect(ok.length).toBeGreaterThan(0);
    expect(faults.length).toBeGreaterThan(0);
    for (const f of faults) {
      expect(typeof f.faultCode).toBe('number');
      expect(typeof f.faultString).toBe('string');
    }
    expect(faults.some((f) => Array.isArray(f.traceback))).toBe(true);
  });
});

describe('encoding as CPython xmlrpc.client does', () => {
  it('strings, names, nested arrays, nil, booleans, base64 lines of 76, empty containers', () => {
    const expected =
      "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><struct>\n<member>\n<name>a&amp;b</name>\n<value><string>&lt;x&gt; \"q\" 's' &amp; é ✓</string></value>\n</member>\n<member>\n<name>list</name>\n<value><array><data>\n<value><int>1</int></value>\n<value><double>2.5</double></value>\n<value><boolean>1</boolean></value>\n<value><nil/></value><value><base64>\nAP8A/wD/AP8A/wD/AP8A/wD/AP8A/wD/AP8A/wD/AP8A/wD/AP8A/wD/AP8A/wD/AP8A/wD/AP8A\n/wD/AP8A/wD/AP8A/wD/AP8A/wD/AP8=\n</base64></value>\n</data></array></value>\n</member>\n<member>\n<name>empty</name>\n<value><struct>\n</struct></value>\n</member>\n<member>\n<name>earr</name>\n<value><array><data>\n</data></array></value>\n</member>\n<member>\n<name>b</name>\n<value><base64>\n</base64></value>\n</member>\n</struct></value>\n</param>\n</params>\n</methodResponse>\n";
    const value = {
      'a&b': '<x> "q" \'s\' & é ✓',
      list: [1, 2.5, true, null, Buffer.from('00ff'.repeat(40), 'hex')],
      empty: {},
      earr: [],
      b: Buffer.alloc(0),
    };
    expect(encodeResponse(value)).toBe(expected);
    expect(decodeResponse(expected)).toEqual({ value });
  });

  it('faults', () => {
    expect(encodeFault(1000, 'No such build target: x & <y>')).toBe(
      "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n<value><int>1000</int></value>\n</member>\n<member>\n<name>faultString</name>\n<value><string>No such build target: x &amp; &lt;y&gt;</string></value>\n</member>\n</struct></value>\n</fault>\n</methodResponse>\n",
    );
  });

  it('doubles as repr(float)', () => {
    const cases: [number, string][] = [
      [0.1, '0.1'], [1e16, '1e+16'], [1e-5, '1e-05'], [0.0001, '0.0001'], [123456789012345680.0, '1.2345678901234568e+17'],
      [1e22, '1e+22'], [5e-324, '5e-324'], [1.7976931348623157e308, '1.7976931348623157e+308'], [9999999999999998.0, '9999999999999998.0'],
      [1234567890123456.8, '1234567890123456.8'], [-0, '-0.0'], [100, '100.0'], [0.000123, '0.000123'], [2.5e-5, '2.5e-05'],
      [1795310000, '1795310000.0'], [-1.5e-7, '-1.5e-07'], [Infinity, 'inf'], [NaN, 'nan'], [1e15, '1000000000000000.0'], [123e18, '1.23e+20'],
      [1 / 3, '0.3333333333333333'],
    ];
    for (const [n, s] of cases) expect(pythonFloatRepr(n), String(n)).toBe(s);
    expect(encodeResponse(asDouble(1795310000))).toContain('<value><double>1795310000.0</double></value>\n');
    expect(encodeResponse(1795310000)).toContain('<value><int>1795310000</int></value>\n');
    expect(encodeResponse(2.5)).toContain('<double>2.5</double>');
  });

  it('integers: int32 -> <int>, beyond -> <i8>, bigint -> <i8>, beyond 64 bits refused', () => {
    expect(encodeResponse(2 ** 31)).toContain('<i8>2147483648</i8>');
    expect(encodeResponse(2 ** 60)).toContain('<i8>1152921504606846976</i8>');
    expect(encodeResponse(5n)).toContain('<i8>5</i8>');
    expect(encodeResponse(-(2n ** 63n))).toContain('<i8>-9223372036854775808</i8>');
    expect(() => encodeResponse(2n ** 63n)).toThrow(XmlRpcEncodeError);
    expect(() => encodeResponse(1e20)).toThrow(XmlRpcEncodeError);
  });

  it('refuses what XML-RPC cannot carry', () => {
    expect(() => encodeResponse({ a: undefined } as unknown as XmlRpcValue)).toThrow(XmlRpcEncodeError);
    expect(() => encodeResponse(new Date() as unknown as XmlRpcValue)).toThrow(XmlRpcEncodeError);
    expect(() => encodeResponse('bell\u0007')).toThrow(XmlRpcEncodeError);
    const loop: XmlRpcValue[] = [];
    loop.push(loop);
    expect(() => encodeResponse(loop)).toThrow(XmlRpcEncodeError);
    const shared = [1];
    expect(() => encodeResponse([shared, shared])).not.toThrow();
    expect(() => encodeCall('bad name<', [])).toThrow(XmlRpcEncodeError);
  });

  it('refuses a lone UTF-16 surrogate instead of sending U+FFFD; a whole pair is one character and goes through', () => {
    const cut = 'Fedora 🚀'.slice(0, -1); // the rocket's high surrogate, its low half cut off
    expect(() => encodeCall('echo', [cut])).toThrow(/lone UTF-16 surrogate \(U\+D83D at index 7\)/);
    expect(() => encodeCall('echo', ['\uDE80 low half first'])).toThrow(/lone UTF-16 surrogate \(U\+DE80 at index 0\)/);
    expect(() => encodeResponse({ [`name${cut}`]: 1 })).toThrow(XmlRpcEncodeError);
    expect(() => encodeResponse([['deep', cut]])).toThrow(XmlRpcEncodeError);
    const whole = encodeCall('echo', ['Fedora 🚀']);
    expect(whole).toContain('<value><string>Fedora 🚀</string></value>');
    expect(decodeCall(whole).params).toEqual(['Fedora 🚀']);
  });

  it('kwargs keeps the order, appends __starstar, drops undefined, keeps null', () => {
    expect(Object.entries(kwargs({ b: 1, a: null, c: undefined }))).toEqual([
      ['b', 1],
      ['a', null],
      ['__starstar', true],
    ]);
  });
});

describe('malformed input', () => {
  const bad: [string, string][] = [
    ['empty', ''],
    ['not XML', 'hello'],
    ['unclosed', "<?xml version='1.0'?><methodResponse><params><param><value><int>1</int></value></param></params>"],
    ['wrong root', '<methodCall><methodName>x</methodName></methodCall>'],
    ['two params', '<methodResponse><params><param><value>a</value></param><param><value>b</value></param></params></methodResponse>'],
    ['bad int', '<methodResponse><params><param><value><int>1.5</int></value></param></params></methodResponse>'],
    ['bad boolean', '<methodResponse><params><param><value><boolean>yes</boolean></value></param></params></methodResponse>'],
    ['unknown type', '<methodResponse><params><param><value><blob>x</blob></value></param></params></methodResponse>'],
    ['undefined entity', '<methodResponse><params><param><value>&nbsp;</value></param></params></methodResponse>'],
    ['fault without code', '<methodResponse><fault><value><struct><member><name>faultString</name><value>x</value></member></struct></value></fault></methodResponse>'],
    ['text in struct', '<methodResponse><params><param><value><struct>junk</struct></value></param></params></methodResponse>'],
    ['two roots', '<methodResponse><params><param><value>a</value></param></params></methodResponse><methodResponse/>'],
  ];
  it.each(bad)('rejects %s with XmlRpcParseError', (_n, xml) => {
    expect(() => decodeResponse(xml)).toThrow(XmlRpcParseError);
  });

  it('rejects entity declarations (no expansion, no billion laughs)', () => {
    const bomb =
      '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>' +
      '<methodResponse><params><param><value>&c;</value></param></params></methodResponse>';
    expect(() => decodeResponse(bomb)).toThrow(/DOCTYPE/);
  });

  it('rejects the bodies the real hub answered with HTTP 400', () => {
    const rejected = loadExchanges('11-http-and-protocol-errors.json').filter((e) => e.response.status === 400);
    expect(rejected.length).toBe(3);
    for (const e of rejected) expect(() => decodeCall(e.request.body ?? ''), e.label).toThrow(XmlRpcParseError);
  });

  it('keeps whitespace in strings, resolves character references, reads CDATA, ignores comments', () => {
    const xml = '<methodCall><methodName> x </methodName><params><!-- c --><param><value>  a &#233;&#x2713; <![CDATA[<&>]]></value></param></params></methodCall>';
    expect(decodeCall(xml)).toEqual({ method: 'x', params: ['  a é✓ <&>'] });
  });

  it('refuses absurdly deep nesting with a parse error, not a stack overflow', () => {
    const deep = '<value><array><data>'.repeat(500) + '</data></array></value>'.repeat(500);
    expect(() => decodeResponse(`<methodResponse><params><param>${deep}</param></params></methodResponse>`)).toThrow(XmlRpcParseError);
    const ok = '<value><array><data>'.repeat(50) + '</data></array></value>'.repeat(50);
    expect(() => decodeResponse(`<methodResponse><params><param>${ok}</param></params></methodResponse>`)).not.toThrow();
  });

  it('a struct member called __proto__ stays a plain member', () => {
    const v = valueOf('<methodResponse><params><param><value><struct><member><name>__proto__</name><value><int>1</int></value></member></struct></value></param></params></methodResponse>') as Record<string, XmlRpcValue>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__']);
  });
});
