// What hub methods see: the simulator's state, the caller (session and user), and small helpers
// that reproduce the hub's own checks (assertPerm, Python truthiness, int conversion).
import { XmlRpcDouble, isStruct } from '../../clients/koji/xmlrpc';
import type { XmlRpcValue } from '../../clients/koji/xmlrpc';
import type { BuildStore } from './builds';
import type { Engine } from './engine';
import type { KojiFaults } from './fault-injection';
import { actionNotAllowed, authError, parameterError, pythonError } from './koji-errors';
import type { Random } from './prng';
import type { BoundArgs, Signature } from './signature';
import type { Targets } from './targets';
import type { TaskFiles } from './task-files';
import type { TaskStore } from './task-store';
import type { SessionRecord, Sessions, UserRecord, Users } from './users';

export const KOJI_VERSION = '1.35.3';

export interface HubDeps {
  users: Users;
  sessions: Sessions;
  store: TaskStore;
  builds: BuildStore;
  engine: Engine;
  /** Orders lists a real hub returns in no fixed order (getTaskChildren). */
  shuffle: Random;
  targets: Targets;
  files: TaskFiles;
  faults: KojiFaults;
  /** Successful task submissions per owner and method ("exactly one Koji task"). */
  submissions: Map<string, number>;
}

export interface CallContext {
  session: SessionRecord | undefined;
  user: UserRecord | undefined;
  /** Set by a method that changed state; the call number is stored only then. */
  commit: boolean;
}

export type Handler = (a: BoundArgs, ctx: CallContext) => XmlRpcValue | Promise<XmlRpcValue>;

export interface MethodDef {
  sig: Signature;
  fn: Handler;
}

export type MethodTable = Record<string, MethodDef>;

export function submissionKey(owner: string, method: string): string {
  return `${owner}\t${method}`;
}

/** context.session.assertPerm: "<perm> permission required (logged in as <user>)". */
export function assertPerm(deps: HubDeps, ctx: CallContext, perm: string): void {
  if (!ctx.user) throw actionNotAllowed(`${perm} permission required (user not logged in)`);
  if (!deps.users.hasPerm(ctx.user, perm)) throw actionNotAllowed(`${perm} permission required (logged in as ${ctx.user.name})`);
}

export function assertLogin(ctx: CallContext): UserRecord {
  if (!ctx.user) throw authError('Not logged-in');
  return ctx.user;
}

/** Python's bool(). */
export function truthy(v: XmlRpcValue | undefined): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '' || v === 0n) return false;
  if (v instanceof XmlRpcDouble) return v.value !== 0;
  if (Array.isArray(v)) return v.length > 0;
  if (Buffer.isBuffer(v)) return v.length > 0;
  if (isStruct(v)) return Object.keys(v).length > 0;
  return true;
}

/** An integer argument (int, i8, or an integral double). */
export function toInt(v: XmlRpcValue | undefined, what: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof XmlRpcDouble && Number.isInteger(v.value)) return v.value;
  throw pythonError('TypeError', `${what}: an integer is required (got ${describe(v)})`);
}

/** koji's convert_value(v, cast=int): ints, and decimal strings. */
export function castInt(v: XmlRpcValue | undefined): bigint {
  if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) return BigInt(v.trim());
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (v instanceof XmlRpcDouble && Number.isInteger(v.value)) return BigInt(v.value);
  throw parameterError(`Invalid type for value '${describe(v)}': ${typeName(v)}, expected type <class 'int'>`);
}

function typeName(v: XmlRpcValue | undefined): string {
  if (v === null || v === undefined) return "<class 'NoneType'>";
  if (typeof v === 'string') return "<class 'str'>";
  if (typeof v === 'boolean') return "<class 'bool'>";
  if (typeof v === 'number' || v instanceof XmlRpcDouble) return "<class 'float'>";
  if (Array.isArray(v)) return "<class 'list'>";
  return "<class 'dict'>";
}

export function describe(v: XmlRpcValue | undefined): string {
  if (v instanceof XmlRpcDouble) return String(v.value);
  if (typeof v === 'bigint') return v.toString();
  return JSON.stringify(v) ?? 'None';
}

export function str(v: XmlRpcValue | undefined): string | null {
  return typeof v === 'string' ? v : null;
}

export function sessionInfo(s: SessionRecord): Record<string, XmlRpcValue> {
  return { 'session-id': s.id, 'session-key': s.key, 'header-auth': true };
}

export type { BoundArgs };
