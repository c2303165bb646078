// Python's argument binding for hub methods, so a wrong call fails the way the hub reports it:
// ParameterError 1019 carrying CPython's TypeError text ("kiwiBuild() got an unexpected keyword
// argument 'x'", "... missing 3 required positional arguments: 'a', 'b', and 'c'"). Keyword
// arguments arrive as a trailing struct with `__starstar` set (koji.ClientSession's encoding).
import { isKwargs, STARSTAR } from '../../clients/koji/xmlrpc';
import type { XmlRpcValue } from '../../clients/koji/xmlrpc';
import { parameterError } from './koji-errors';

interface Param {
  name: string;
  /** Present when the parameter has a default. */
  default?: XmlRpcValue;
}

export interface Signature {
  /** As CPython names the function in messages: `kiwiBuild`, `RootExports.getTaskInfo`. */
  qualname: string;
  params: Param[];
  varargs: boolean;
  varkw: boolean;
  /** The parameter list as the hub's system.methodHelp prints it. */
  text: string;
  /** A bound method: CPython counts `self` in "takes N positional arguments". */
  bound: boolean;
}

/** `sig('RootExports.getTaskInfo', 'task_id, request=False, strict=False')` */
export function sig(qualname: string, text: string): Signature {
  const params: Param[] = [];
  let varargs = false;
  let varkw = false;
  for (const raw of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (raw.startsWith('**')) varkw = true;
    else if (raw.startsWith('*')) varargs = true;
    else {
      const eq = raw.indexOf('=');
      if (eq < 0) params.push({ name: raw });
      else params.push({ name: raw.slice(0, eq), default: pyLiteral(raw.slice(eq + 1)) });
    }
  }
  return { qualname, params, varargs, varkw, text, bound: qualname.includes('.') };
}

function pyLiteral(s: string): XmlRpcValue {
  if (s === 'None') return null;
  if (s === 'True') return true;
  if (s === 'False') return false;
  if (/^-?\d+$/.test(s)) return Number(s);
  if (/^'.*'$/.test(s)) return s.slice(1, -1);
  throw new Error(`unsupported default ${s}`);
}

export interface BoundArgs {
  /** Every named parameter, defaults filled in. */
  args: Record<string, XmlRpcValue>;
  /** Extra positional values (`*args`). */
  rest: XmlRpcValue[];
  /** Extra keyword values (`**kwargs`). */
  extra: Record<string, XmlRpcValue>;
  /** Which parameters the caller actually passed. */
  given: Set<string>;
}

/** Splits koji's trailing keyword struct off the positional params. */
export function splitKwargs(params: XmlRpcValue[]): { positional: XmlRpcValue[]; kw: Record<string, XmlRpcValue> } {
  const last = params[params.length - 1];
  if (params.length > 0 && isKwargs(last)) {
    const kw: Record<string, XmlRpcValue> = {};
    for (const [k, v] of Object.entries(last)) if (k !== STARSTAR) kw[k] = v;
    return { positional: params.slice(0, -1), kw };
  }
  return { positional: params, kw: {} };
}

export function bind(s: Signature, params: XmlRpcValue[]): BoundArgs {
  const { positional, kw } = splitKwargs(params);
  const fn = `${s.qualname}()`;
  const self = s.bound ? 1 : 0;
  const args: Record<string, XmlRpcValue> = {};
  const given = new Set<string>();
  const rest: XmlRpcValue[] = [];
  const extra: Record<string, XmlRpcValue> = {};

  if (positional.length > s.params.length && !s.varargs) {
    const required = s.params.filter((p) => !('default' in p)).length + self;
    const total = s.params.length + self;
    const n = positional.length + self;
    const takes =
      required === total
        ? `${total} positional argument${total === 1 ? '' : 's'}`
        : `from ${required} to ${total} positional arguments`;
    throw parameterError(`${fn} takes ${takes} but ${n} ${n === 1 ? 'was' : 'were'} given`);
  }
  positional.forEach((v, i) => {
    const p = s.params[i];
    if (p) {
      args[p.name] = v;
      given.add(p.name);
    } else rest.push(v);
  });
  for (const [k, v] of Object.entries(kw)) {
    const p = s.params.find((q) => q.name === k);
    if (!p) {
      if (!s.varkw) throw parameterError(`${fn} got an unexpected keyword argument '${k}'`);
      extra[k] = v;
      continue;
    }
    if (given.has(k)) throw parameterError(`${fn} got multiple values for argument '${k}'`);
    args[k] = v;
    given.add(k);
  }
  const missing = s.params.filter((p) => !given.has(p.name) && !('default' in p)).map((p) => `'${p.name}'`);
  if (missing.length > 0) {
    const list =
      missing.length === 1
        ? missing[0]
        : missing.length === 2
          ? `${missing[0]} and ${missing[1]}`
          : `${missing.slice(0, -1).join(', ')}, and ${missing[missing.length - 1]}`;
    throw parameterError(`${fn} missing ${missing.length} required positional argument${missing.length === 1 ? '' : 's'}: ${list}`);
  }
  for (const p of s.params) if (!given.has(p.name)) args[p.name] = p.default ?? null;
  return { args, rest, extra, given };
}
