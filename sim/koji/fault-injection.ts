// Faults the simulator injects on request, programmatically (`sim.faults.set({...})`) or over
// HTTP (POST /sim/faults with the same JSON). Each rule fires on the next N matching requests,
// with a probability from a seeded PRNG (repeatable), or always while it is set.
import { seededRandom } from './prng';
import type { Random } from './prng';

export interface Trigger {
  /** Fire on the next N matching requests, then stop. */
  next?: number;
  /** Chance per matching request, drawn from the seeded PRNG. Default 1. */
  probability?: number;
  /** Let this many matching requests through before the rule may fire. */
  skip?: number;
  /** Hub rules: only these XML-RPC methods (multiCall counts as "multiCall"). */
  methods?: string[];
  /** File rules: only paths under /kojifiles/ that contain this text. */
  pathIncludes?: string;
}

export type FaultTarget = 'hub' | 'files';

export interface HttpErrorRule extends Trigger {
  target?: FaultTarget;
  /** Default 503. */
  status?: number;
  /** Hub only: run the call first, then answer with the error (the result is lost). */
  after?: boolean;
}

export interface ResetRule extends Trigger {
  target?: FaultTarget;
  /** Hub only: run the call first, then drop the connection (the result is lost). */
  after?: boolean;
  /** Files only: send this many body bytes, then drop the connection. Default 0. */
  afterBytes?: number;
}

export interface DelayRule extends Trigger {
  target?: FaultTarget | 'all';
  ms: number;
}

export interface BuildFailureRule extends Trigger {
  /** The arch whose subtask fails; default the first one. */
  arch?: string;
  /** Default: BuildError 1005 with the kind's message (kiwi: "Kiwi failed"). */
  faultCode?: number;
  faultString?: string;
}

type OneOrMany<T> = T | T[];

export interface KojiFaultConfig {
  /** Reseeds the PRNG (default: the simulator's seed). */
  seed?: number;
  /** Fault 1014 "server is offline" for XML-RPC calls, before any session or method check. */
  serverOffline?: OneOrMany<Trigger>;
  httpError?: OneOrMany<HttpErrorRule>;
  reset?: OneOrMany<ResetRule>;
  delay?: OneOrMany<DelayRule>;
  /** AuthExpired 1007 for the session of a matching call; that session stays expired. */
  authExpired?: OneOrMany<Trigger>;
  /** Builds submitted while armed fail (decided at submission). */
  buildFailure?: OneOrMany<BuildFailureRule>;
}

export type FaultKind = Exclude<keyof KojiFaultConfig, 'seed'>;
const KINDS: FaultKind[] = ['serverOffline', 'httpError', 'reset', 'delay', 'authExpired', 'buildFailure'];

interface Armed<R extends Trigger> {
  rule: R;
  remaining: number | undefined;
  skip: number;
}

export interface FaultRequest {
  target: FaultTarget;
  method?: string;
  path?: string;
}


export class KojiFaults {
  private rules = new Map<FaultKind, Armed<Trigger>[]>();
  private config: KojiFaultConfig = {};
  private rand: Random;
  readonly fired: Record<FaultKind, number> = { serverOffline: 0, httpError: 0, reset: 0, delay: 0, authExpired: 0, buildFailure: 0 };

  constructor(private readonly defaultSeed: number) {
    this.rand = seededRandom(defaultSeed);
  }

  /** Replaces every rule (and resets the counters). */
  set(config: KojiFaultConfig): void {
    validate(config);
    this.config = structuredClone(config);
    this.rand = seededRandom(config.seed ?? this.defaultSeed);
    this.rules.clear();
    for (const k of KINDS) this.fired[k] = 0;
    for (const k of KINDS) {
      const v = config[k];
      if (v === undefined) continue;
      this.rules.set(
        k,
        (Array.isArray(v) ? v : [v]).map((rule) => ({ rule: { ...rule }, remaining: rule.next, skip: rule.skip ?? 0 })),
      );
    }
  }

  clear(): void {
    this.set({});
  }

  snapshot(): { config: KojiFaultConfig; fired: Record<FaultKind, number> } {
    return { config: structuredClone(this.config), fired: { ...this.fired } };
  }

  /** The rule of `kind` that fires for this request, if any (consumes a "next" count). */
  check<K extends FaultKind>(kind: K, req: FaultRequest): RuleOf<K> | undefined {
    for (const armed of this.rules.get(kind) ?? []) {
      const r = armed.rule as Trigger & { target?: string };
      const target = r.target ?? (kind === 'delay' ? 'all' : 'hub');
      if (kind !== 'buildFailure' && kind !== 'authExpired' && target !== 'all' && target !== req.target) continue;
      if ((kind === 'serverOffline' || kind === 'authExpired') && req.target !== 'hub') continue;
      if (r.methods && (req.method === undefined || !r.methods.includes(req.method))) continue;
      if (r.pathIncludes !== undefined && (req.path === undefined || !req.path.includes(r.pathIncludes))) continue;
      if (armed.remaining !== undefined && armed.remaining <= 0) continue;
      if (armed.skip > 0) {
        armed.skip--;
        continue;
      }
      if (r.probability !== undefined && !(this.rand() < r.probability)) continue;
      if (armed.remaining !== undefined) armed.remaining--;
      this.fired[kind]++;
      return armed.rule as RuleOf<K>;
    }
    return undefined;
  }
}

type RuleOf<K extends FaultKind> = NonNullable<KojiFaultConfig[K]> extends OneOrMany<infer R> ? R : never;

function validate(c: KojiFaultConfig): void {
  if (c === null || typeof c !== 'object' || Array.isArray(c)) throw new TypeError('fault config must be an object');
  for (const k of Object.keys(c)) {
    if (k !== 'seed' && !KINDS.includes(k as FaultKind)) throw new TypeError(`unknown fault "${k}" (known: ${KINDS.join(', ')})`);
  }
  for (const k of KINDS) {
    const v = c[k];
    if (v === undefined) continue;
    for (const r of Array.isArray(v) ? v : [v]) {
      if (r === null || typeof r !== 'object') throw new TypeError(`${k}: a rule must be an object`);
      if (r.probability !== undefined && !(r.probability >= 0 && r.probability <= 1)) throw new TypeError(`${k}.probability must be in [0, 1]`);
      if (r.next !== undefined && !(Number.isInteger(r.next) && r.next >= 0)) throw new TypeError(`${k}.next must be a whole number`);
      if (k === 'delay' && !(typeof (r as DelayRule).ms === 'number' && (r as DelayRule).ms >= 0)) throw new TypeError('delay.ms must be a number of milliseconds');
    }
  }
}
