// The hub's dispatcher: method lookup, the caller's session (headers, else the deprecated query
// string), Python argument binding, multiCall with per-entry results or faults, and the rule
// that a session's call number is stored only when the call committed something.
import { isStruct } from '../../clients/koji/xmlrpc';
import type { XmlRpcValue } from '../../clients/koji/xmlrpc';
import type { CallContext, HubDeps, MethodTable } from './hub-context';
import { KojiFault, authError, genericError, kojiError, pseudoTraceback, pythonError } from './koji-errors';
import { buildRecordMethods } from './methods-build-records';
import { buildMethods } from './methods-builds';
import { fileMethods, handleUpload } from './methods-files';
import { infoMethods } from './methods-info';
import { sessionMethods } from './methods-session';
import { taskMethods } from './methods-tasks';
import { bind, sig } from './signature';

export interface SessionArgs {
  /** Lower-cased request headers. */
  headers: Record<string, string | string[] | undefined>;
  query: URLSearchParams;
}

/** Python's int(str): surrounding blanks and a sign allowed, else ValueError. */
function pyInt(raw: string): number {
  if (!/^\s*[+-]?\d+\s*$/.test(raw)) throw pythonError('ValueError', `invalid literal for int() with base 10: '${raw}'`);
  return Number(raw.trim());
}

const header = (h: SessionArgs['headers'], name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

export class Hub {
  readonly methods: MethodTable;

  constructor(
    readonly deps: HubDeps,
    private readonly log: (line: string) => void = () => {},
    hostName = 'builder1',
  ) {
    const api = () => [
      ...Object.entries(this.methods).map(([name, m]) => ({ name, text: m.sig.text })),
      { name: 'multiCall', text: 'calls' },
      { name: 'system.multicall', text: 'calls' },
    ];
    this.methods = {
      ...sessionMethods(deps),
      ...buildMethods(deps),
      ...buildRecordMethods(deps),
      ...taskMethods(deps),
      ...fileMethods(deps),
      ...infoMethods(deps, hostName, api),
      'system.listMethods': { sig: sig('RootExports.listMethods', ''), fn: () => Object.keys(this.methods).sort() },
      'system.methodSignature': { sig: sig('RootExports.methodSignature', 'method'), fn: () => 'signatures not supported' },
      'system.methodHelp': {
        sig: sig('RootExports.methodHelp', 'method'),
        fn: ({ args }) => {
          // An unknown method's help is "" (the CLI's list-api then says "Unknown method").
          const m = this.methods[String(args.method)];
          return m ? `${String(args.method)}(${m.sig.text})` : '';
        },
      },
    };
  }

  /** Who is calling: the session from the Koji-Session-* headers, else the query string. */
  resolveCaller(a: SessionArgs, method: string): { ctx: CallContext; callnum: number | null } {
    const ctx: CallContext = { session: undefined, user: undefined, commit: false };
    let id: number;
    let key: string;
    let callnum: number | null = null;
    const hid = header(a.headers, 'koji-session-id');
    if (hid !== undefined) {
      id = pyInt(hid);
      const hkey = header(a.headers, 'koji-session-key');
      if (hkey === undefined) throw pythonError('KeyError', "'HTTP_KOJI_SESSION_KEY'");
      key = hkey;
      const cn = header(a.headers, 'koji-session-callnum') ?? header(a.headers, 'koji-callnum');
      if (cn !== undefined) callnum = pyInt(cn);
    } else if ([...a.query.keys()].length > 0) {
      const qid = a.query.get('session-id');
      if (qid === null) throw authError("'session-id' not specified in session args");
      const qkey = a.query.get('session-key');
      if (qkey === null) throw authError("'session-key' not specified in session args");
      id = pyInt(qid);
      key = qkey;
      const cn = a.query.get('callnum');
      if (cn !== null) callnum = pyInt(cn);
    } else {
      return { ctx, callnum };
    }
    const session = this.deps.sessions.validate(id, key, callnum, method);
    if (this.deps.faults.check('authExpired', { target: 'hub', method })) {
      this.deps.sessions.expire(session);
      throw kojiError('AuthExpired', `session "${session.id}" has expired`);
    }
    ctx.session = session;
    ctx.user = this.deps.users.byId(session.userId);
    return { ctx, callnum };
  }

  /** One XML-RPC request (method already decoded). Throws KojiFault for a fault answer. */
  async handle(method: string, params: XmlRpcValue[], a: SessionArgs): Promise<XmlRpcValue> {
    const isMulti = method === 'multiCall' || method === 'system.multicall';
    if (!isMulti && !this.methods[method]) throw genericError(`Invalid method: ${method}`);
    const { ctx, callnum } = this.resolveCaller(a, method);
    const result = isMulti ? await this.multiCall(params, ctx) : await this.call(method, params, ctx);
    if (ctx.commit && ctx.session && callnum !== null) ctx.session.callnum = callnum;
    return result;
  }

  /** POST application/octet-stream: the upload handler, with the same session rules. */
  async upload(query: URLSearchParams, body: Buffer, a: SessionArgs): Promise<XmlRpcValue> {
    const { ctx, callnum } = this.resolveCaller(a, 'rawUpload');
    const r = await handleUpload(this.deps, ctx, query, body);
    if (ctx.commit && ctx.session && callnum !== null) ctx.session.callnum = callnum;
    return r;
  }

  async call(method: string, params: XmlRpcValue[], ctx: CallContext): Promise<XmlRpcValue> {
    const m = this.methods[method];
    if (!m) throw genericError(`Invalid method: ${method}`);
    try {
      return await m.fn(bind(m.sig, params), ctx);
    } catch (err) {
      if (err instanceof KojiFault) throw err;
      this.log(`${method}: unexpected error: ${(err as Error).stack ?? String(err)}`);
      throw pythonError('Exception', (err as Error).message);
    }
  }

  private async multiCall(params: XmlRpcValue[], ctx: CallContext): Promise<XmlRpcValue> {
    const m = sig('RootExports.multiCall', 'calls');
    const { args } = bind(m, params);
    if (!Array.isArray(args.calls)) throw pythonError('TypeError', 'multiCall expects a list of calls');
    const out: XmlRpcValue[] = [];
    for (const c of args.calls) {
      let name = '?';
      try {
        if (!isStruct(c) || typeof c.methodName !== 'string') throw genericError('invalid multicall entry');
        name = c.methodName;
        if (name === 'multiCall' || name === 'system.multicall') throw genericError('multicall cannot be nested');
        const p = Array.isArray(c.params) ? c.params : [];
        const inner: CallContext = { ...ctx, commit: false };
        out.push([await this.call(name, p, inner)]);
        if (inner.commit) ctx.commit = true;
      } catch (err) {
        const f = err instanceof KojiFault ? err : pythonError('Exception', String(err));
        out.push(f.isXmlRpcFault ? { faultCode: f.faultCode, faultString: f.message } : { faultCode: f.faultCode, faultString: f.message, traceback: pseudoTraceback(name, f) });
      }
    }
    return out;
  }
}
