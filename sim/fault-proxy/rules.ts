// Rules: which requests a fault or a rewrite applies to, and when it fires.
import type { OutgoingHttpHeaders } from 'node:http';
import type { Random } from './prng';
import type { RequestInfo } from './request-info';

/** A literal, a pattern, one of a list, or a predicate. */
export type StringMatch = string | RegExp | readonly string[] | ((value: string) => boolean);

export interface RequestMatcher {
  method?: StringMatch;
  path?: StringMatch;
  /** The action name (see request-info.ts), e.g. "RegisterImage", "PutSnapshotBlock". */
  action?: StringMatch;
  /** The X-Amz-Target header. */
  target?: StringMatch;
  service?: StringMatch;
  region?: StringMatch;
  /** Every named query parameter must be present and match. */
  query?: Record<string, StringMatch>;
  /** Every named form field (EC2/Query body) must be present and match. */
  form?: Record<string, StringMatch>;
  where?: (req: RequestInfo) => boolean;
}

export type Fault =
  /** Answer with this status and body. `after: true` forwards first and loses the real answer. */
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string>; after?: boolean }
  /** Drop the connection. `after: true` forwards first, so the server acted but the client never hears. */
  | { kind: 'reset'; after?: boolean }
  /** Hold the request this long, then forward it. */
  | { kind: 'delay'; ms: number }
  /**
   * Answer from the proxy's own state (a simulator of calls the upstream lacks): the answer
   * `respond` returns, or, when it returns undefined, forward as if no rule had matched.
   */
  | { kind: 'respond'; respond: (req: RequestInfo) => Answer | undefined };

/** A whole answer made by the proxy itself. */
export interface Answer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export type StatusFault = Extract<Fault, { kind: 'status' }>;

export interface FaultRule {
  name?: string;
  match?: RequestMatcher;
  fault: Fault;
  /** Chance per matching request (seeded PRNG). Default 1. */
  probability?: number;
  /** Fire at most this many times ("the next N"), then stop. Default unlimited. */
  times?: number;
  /** Let this many matching requests through before the rule may fire. */
  skip?: number;
}

export interface ResponseDraft {
  status: number;
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

export interface RewriteContext {
  req: RequestInfo;
  /** How many responses this rewrite has seen, counting from 1. */
  nth: number;
}

export interface RewriteRule {
  name?: string;
  match?: RequestMatcher;
  /** Return a changed draft (or nothing to leave it). Only upstream answers are rewritten. */
  rewrite: (res: ResponseDraft, ctx: RewriteContext) => ResponseDraft | void;
}

export function matches(m: RequestMatcher | undefined, req: RequestInfo): boolean {
  if (!m) return true;
  if (m.method !== undefined && !matchString(m.method, req.method)) return false;
  if (m.path !== undefined && !matchString(m.path, req.path)) return false;
  if (m.action !== undefined && !matchString(m.action, req.action)) return false;
  if (m.target !== undefined && (req.target === undefined || !matchString(m.target, req.target))) return false;
  if (m.service !== undefined && (req.service === undefined || !matchString(m.service, req.service))) return false;
  if (m.region !== undefined && (req.region === undefined || !matchString(m.region, req.region))) return false;
  for (const [k, v] of Object.entries(m.query ?? {})) {
    const got = req.query.get(k);
    if (got === null || !matchString(v, got)) return false;
  }
  for (const [k, v] of Object.entries(m.form ?? {})) {
    const got = req.form?.get(k);
    if (got === undefined || got === null || !matchString(v, got)) return false;
  }
  return m.where ? m.where(req) : true;
}

function matchString(m: StringMatch, value: string): boolean {
  if (typeof m === 'string') return m === value;
  if (m instanceof RegExp) return m.test(value);
  if (typeof m === 'function') return m(value);
  return m.includes(value);
}

/** A rule with its own counters; decides, per matching request, whether it fires. */
export class ArmedRule {
  seen = 0;
  fired = 0;
  constructor(readonly rule: FaultRule) {}

  get label(): string {
    return this.rule.name ?? `${this.rule.fault.kind}${'status' in this.rule.fault ? ` ${this.rule.fault.status}` : ''}`;
  }

  /** Called only for matching requests. */
  shouldFire(random: Random): boolean {
    this.seen += 1;
    if (this.seen <= (this.rule.skip ?? 0)) return false;
    if (this.rule.times !== undefined && this.fired >= this.rule.times) return false;
    const p = this.rule.probability ?? 1;
    // Always draw, so one rule's outcome never shifts another rule's random sequence.
    const roll = random();
    if (p < 1 && roll >= p) return false;
    this.fired += 1;
    return true;
  }
}
