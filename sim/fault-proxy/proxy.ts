// A fault-injecting reverse proxy for tests: it sits between a client (AWS SDK, Glance, Koji)
// and the real local service, forwards everything, and on rules answers with an error, drops
// the connection, delays, or rewrites the answer. Bodies stream through (large EBS blocks and
// S3 parts are never held whole), except small form/XML bodies, read to find the action.
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { seededRandom, type Random } from './prng';
import { bodyIsInspectable, describeRequest, type RequestInfo } from './request-info';
import { ArmedRule, matches, type FaultRule, type RequestMatcher, type ResponseDraft, type RewriteRule } from './rules';

export interface FaultProxyOptions {
  /** Upstream base URL, e.g. http://127.0.0.1:14566. */
  target: string;
  /** Seed of the PRNG that decides probabilistic rules (printed by `describe()`). */
  seed?: number;
  rules?: FaultRule[];
  rewrites?: RewriteRule[];
  /** Default 0: a free port. The local stack's AWS front uses a fixed one. */
  port?: number;
  /** Keep a record of every call (tests assert on them). Off for long-running use. Default true. */
  recordCalls?: boolean;
}

export interface CallRecord {
  seq: number;
  action: string;
  service: string | undefined;
  region: string | undefined;
  method: string;
  path: string;
  /** The parsed EC2/Query form, for assertions on parameters. */
  form: URLSearchParams | undefined;
  /** Request body bytes received from the client. */
  bytesIn: number;
  /** Name of the fault rule that fired, if any. */
  fault: string | undefined;
  faultKind: 'status' | 'reset' | 'delay' | undefined;
  /** Upstream's status; undefined when the request never reached upstream. */
  upstreamStatus: number | undefined;
  /** Status the client received; undefined when the connection was dropped. */
  clientStatus: number | undefined;
  rewritten: boolean;
}

export interface ActionCounters {
  requests: number;
  forwarded: number;
  /** Answered with a fault (status or reset; delays only slow a request down). */
  injected: number;
  /** Upstream answered 2xx: the service acted, whatever the client then saw. */
  succeeded: number;
  /** The client received a 2xx. */
  delivered: number;
  bytesIn: number;
}

export interface RuleHandle {
  readonly name: string;
  readonly seen: number;
  readonly fired: number;
  remove(): void;
}

export interface FaultProxy {
  readonly url: string;
  readonly port: number;
  readonly seed: number;
  addRule(rule: FaultRule): RuleHandle;
  addRewrite(rewrite: RewriteRule): { remove(): void };
  clearRules(): void;
  /** Every call since start (or the last resetStats), in arrival order. */
  readonly calls: readonly CallRecord[];
  /** Counters per action, optionally only for calls a matcher selects. */
  counters(filter?: (c: CallRecord) => boolean): Record<string, ActionCounters>;
  /** Shorthand: counters of one action (zeros when never seen). */
  count(action: string, filter?: (c: CallRecord) => boolean): ActionCounters;
  resetStats(): void;
  describe(): string;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

export async function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(opts.target);
  const seed = opts.seed ?? (Date.now() & 0x7fffffff);
  const random: Random = seededRandom(seed);
  let rules: ArmedRule[] = (opts.rules ?? []).map((r) => new ArmedRule(r));
  let rewrites: Array<{ rule: RewriteRule; seen: number }> = (opts.rewrites ?? []).map((rule) => ({ rule, seen: 0 }));
  let calls: CallRecord[] = [];
  let seq = 0;
  const agent = new Agent({ keepAlive: true, maxSockets: 128 });
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`fault proxy: ${(err as Error).message}`);
      } else {
        res.destroy();
      }
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const inspect = bodyIsInspectable(req.headers);
    const body = inspect ? await readAll(req) : undefined;
    const info = describeRequest(method, req.url ?? '/', req.headers, body);
    const record: CallRecord = {
      seq: ++seq,
      action: info.action,
      service: info.service,
      region: info.region,
      method,
      path: info.path,
      form: info.form,
      bytesIn: body?.length ?? 0,
      fault: undefined,
      faultKind: undefined,
      upstreamStatus: undefined,
      clientStatus: undefined,
      rewritten: false,
    };
    if (opts.recordCalls !== false) calls.push(record);
    const countIn = (chunk: Buffer) => (record.bytesIn += chunk.length);

    const armed = rules.find((r) => matches(r.rule.match, info) && r.shouldFire(random));
    let fault = armed?.rule.fault;
    if (fault?.kind === 'respond') {
      // A simulator's own answer is not a fault: it is recorded by name only.
      const answer = fault.respond(info);
      fault = answer ? { kind: 'status', status: answer.status, body: answer.body, ...(answer.headers ? { headers: answer.headers } : {}) } : undefined;
      if (armed && answer) record.fault = armed.label;
    } else if (armed && fault) {
      record.fault = armed.label;
      record.faultKind = fault.kind;
    }

    if (fault?.kind === 'delay') {
      const closed = await sleepUnlessClosed(fault.ms, req);
      if (closed) return;
    }
    if (fault && fault.kind !== 'delay' && !fault.after) {
      if (fault.kind === 'reset') {
        req.socket.destroy();
        return;
      }
      await drain(req, body, countIn);
      record.clientStatus = fault.status;
      res.writeHead(fault.status, { 'content-length': Buffer.byteLength(fault.body ?? ''), ...fault.headers });
      res.end(fault.body ?? '');
      return;
    }

    const active = rewrites.filter((r) => matches(r.rule.match, info));
    const ures = await forward(req, body, info, countIn);
    record.upstreamStatus = ures.statusCode;

    if (fault && fault.kind !== 'delay' && fault.after) {
      // The service acted; the client is told otherwise (or nothing).
      await drain(ures, undefined);
      if (fault.kind === 'reset') {
        req.socket.destroy();
        return;
      }
      record.clientStatus = fault.status;
      res.writeHead(fault.status, { 'content-length': Buffer.byteLength(fault.body ?? ''), ...fault.headers });
      res.end(fault.body ?? '');
      return;
    }

    const headers = copyHeaders(ures.headers);
    if (active.length === 0) {
      record.clientStatus = ures.statusCode ?? 502;
      res.writeHead(record.clientStatus, headers);
      ures.pipe(res);
      await new Promise<void>((resolve) => res.on('close', resolve));
      return;
    }
    let draft: ResponseDraft = { status: ures.statusCode ?? 502, headers, body: await readAll(ures) };
    for (const r of active) {
      r.seen += 1;
      const next = r.rule.rewrite(draft, { req: info, nth: r.seen });
      if (next) {
        draft = next;
        record.rewritten = true;
      }
    }
    delete draft.headers['content-length'];
    delete draft.headers['content-encoding'];
    record.clientStatus = draft.status;
    res.writeHead(draft.status, { ...draft.headers, 'content-length': draft.body.length });
    res.end(draft.body);
  }

  function forward(req: IncomingMessage, body: Buffer | undefined, info: RequestInfo, countIn: (c: Buffer) => void): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers };
      for (const h of HOP_BY_HOP) if (h !== 'transfer-encoding') delete headers[h];
      const ureq = httpRequest(
        { protocol: upstream.protocol, hostname: upstream.hostname, port: upstream.port, method: info.method, path: req.url, headers, agent },
        resolve,
      );
      ureq.on('error', reject);
      req.on('close', () => {
        if (!req.complete) ureq.destroy();
      });
      if (body) ureq.end(body);
      else {
        // Attached together with pipe(), so counting never switches the stream on early.
        req.on('data', countIn);
        req.pipe(ureq);
      }
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  const zero = (): ActionCounters => ({ requests: 0, injected: 0, forwarded: 0, succeeded: 0, delivered: 0, bytesIn: 0 });
  const counters = (filter?: (c: CallRecord) => boolean): Record<string, ActionCounters> => {
    const out: Record<string, ActionCounters> = {};
    for (const c of calls) {
      if (filter && !filter(c)) continue;
      const a = (out[c.action] ??= zero());
      a.requests += 1;
      a.bytesIn += c.bytesIn;
      if (c.faultKind === 'status' || c.faultKind === 'reset') a.injected += 1;
      if (c.upstreamStatus !== undefined) a.forwarded += 1;
      if (c.upstreamStatus !== undefined && c.upstreamStatus < 300) a.succeeded += 1;
      if (c.clientStatus !== undefined && c.clientStatus < 300) a.delivered += 1;
    }
    return out;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seed,
    addRule(rule) {
      const armed = new ArmedRule(rule);
      rules.push(armed);
      return {
        name: armed.label,
        get seen() {
          return armed.seen;
        },
        get fired() {
          return armed.fired;
        },
        remove: () => {
          rules = rules.filter((r) => r !== armed);
        },
      };
    },
    addRewrite(rule) {
      const entry = { rule, seen: 0 };
      rewrites.push(entry);
      return { remove: () => (rewrites = rewrites.filter((r) => r !== entry)) };
    },
    clearRules() {
      rules = [];
      rewrites = [];
    },
    get calls() {
      return calls;
    },
    counters,
    count: (action, filter) => counters(filter)[action] ?? zero(),
    resetStats() {
      calls = [];
    },
    describe: () => `fault proxy ${`http://127.0.0.1:${port}`} -> ${opts.target} (seed ${seed}, ${rules.length} rules)`,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      agent.destroy();
    },
  };
}

/** Matcher helper: every request of these actions. */
export const actions = (...names: string[]): RequestMatcher => ({ action: names });

function copyHeaders(h: IncomingMessage['headers']): ResponseDraft['headers'] {
  const out: ResponseDraft['headers'] = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

async function drain(stream: IncomingMessage, alreadyRead: Buffer | undefined, onData?: (c: Buffer) => void): Promise<void> {
  if (alreadyRead || stream.readableEnded) return;
  if (onData) stream.on('data', onData);
  await new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.resume();
  });
}

function sleepUnlessClosed(ms: number, req: IncomingMessage): Promise<boolean> {
  return new Promise((resolve) => {
    const onClose = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      req.socket.off('close', onClose);
      resolve(false);
    }, ms);
    req.socket.once('close', onClose);
  });
}
