// Users, permissions and password sessions, with the hub's session rules: a key per session,
// the last *committed* call number (RetryError on a repeat, SequenceError on a lower one),
// logout, subsessions and expiry (AuthExpired).
import { authError, kojiError } from './koji-errors';
import { randomAlnum } from './prng';
import type { Random } from './prng';

export interface UserRecord {
  id: number;
  name: string;
  /** null: cannot log in with a password (the build host). */
  password: string | null;
  perms: Set<string>;
  /** 0 normal user, 1 host. */
  usertype: 0 | 1;
}

export interface SessionRecord {
  id: number;
  key: string;
  userId: number;
  /** Call number of the last request that committed, or null. */
  callnum: number | null;
  expired: boolean;
  open: boolean;
}

/** Methods the hub lets a client repeat with the same call number (kojihub auth.py). */
const RETRYABLE = new Set([
  'host.taskWait',
  'host.taskUnwait',
  'host.taskSetWait',
  'host.updateHost',
  'host.setBuildRootState',
  'repoExpire',
  'repoDelete',
  'repoProblem',
]);

export class Users {
  private readonly list: UserRecord[] = [];

  add(name: string, password: string | null, perms: readonly string[] = [], usertype: 0 | 1 = 0): UserRecord {
    if (this.byName(name)) throw new Error(`user ${name} exists`);
    const u: UserRecord = { id: this.list.length + 1, name, password, perms: new Set(perms), usertype };
    this.list.push(u);
    return u;
  }

  byName(name: string): UserRecord | undefined {
    return this.list.find((u) => u.name === name);
  }

  byId(id: number): UserRecord | undefined {
    return this.list.find((u) => u.id === id);
  }

  all(): readonly UserRecord[] {
    return this.list;
  }

  /** Admin implies every permission, as on the hub. */
  hasPerm(user: UserRecord | undefined, perm: string): boolean {
    return user !== undefined && (user.perms.has(perm) || user.perms.has('admin'));
  }

  /** getLoggedInUser's shape. */
  info(u: UserRecord): Record<string, string | number | null | never[]> {
    return { id: u.id, name: u.name, status: 0, usertype: u.usertype, krb_principals: [], authtype: 0, krb_principal: null };
  }
}

export class Sessions {
  private readonly byId = new Map<number, SessionRecord>();
  private nextId = 1;

  constructor(
    private readonly users: Users,
    private readonly rand: Random,
  ) {}

  login(name: string, password: string): SessionRecord {
    const u = this.users.byName(name);
    if (!u || u.password === null || u.password !== password) throw authError('invalid username or password');
    return this.create(u.id);
  }

  create(userId: number): SessionRecord {
    const s: SessionRecord = {
      id: this.nextId++,
      key: `${userId}-${randomAlnum(this.rand, 19)}`,
      userId,
      callnum: null,
      expired: false,
      open: true,
    };
    this.byId.set(s.id, s);
    return s;
  }

  get(id: number): SessionRecord | undefined {
    return this.byId.get(id);
  }

  all(): SessionRecord[] {
    return [...this.byId.values()];
  }

  /**
   * The hub's checks, in its order: the key, expiry, then the call number against the last
   * committed one (same number -> RetryError unless the method is exempt; lower -> SequenceError).
   */
  validate(id: number, key: string, callnum: number | null, method: string): SessionRecord {
    const s = this.byId.get(id);
    if (!s || !s.open || s.key !== key) throw authError('Invalid session or bad credentials');
    if (s.expired) throw kojiError('AuthExpired', `session "${s.id}" has expired`);
    if (callnum !== null && s.callnum !== null) {
      if (s.callnum > callnum) throw kojiError('SequenceError', `${s.callnum} > ${callnum} (session ${s.id})`);
      if (s.callnum === callnum && !RETRYABLE.has(method)) {
        throw kojiError('RetryError', `unable to retry call ${callnum} (method ${method}) for session ${s.id}`);
      }
    }
    return s;
  }

  logout(s: SessionRecord): void {
    s.open = false;
  }

  expire(s: SessionRecord): void {
    s.expired = true;
  }
}
