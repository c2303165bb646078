// Logging in and out, who am I, and the hub's small informational and debug methods.
import type { XmlRpcValue } from '../../clients/koji/xmlrpc';
import { KOJI_VERSION, assertLogin, sessionInfo, str } from './hub-context';
import type { HubDeps, MethodTable } from './hub-context';
import { authError, genericError, pythonError } from './koji-errors';
import { sig } from './signature';

export function sessionMethods(d: HubDeps): MethodTable {
  return {
    login: {
      sig: sig('Session.login', 'username, password, opts=None, renew=False, exclusive=False'),
      fn: ({ args }, ctx) => {
        const s = d.sessions.login(str(args.username) ?? '', str(args.password) ?? '');
        ctx.commit = true;
        return sessionInfo(s);
      },
    },
    logout: {
      sig: sig('Session.logout', 'session_id=None'),
      fn: (_a, ctx) => {
        if (!ctx.session) throw authError('Not logged in');
        d.sessions.logout(ctx.session);
        ctx.commit = true;
        return null;
      },
    },
    subsession: {
      sig: sig('Session.subsession', ''),
      fn: (_a, ctx) => {
        const user = assertLogin(ctx);
        ctx.commit = true;
        return sessionInfo(d.sessions.create(user.id));
      },
    },
    getLoggedInUser: {
      sig: sig('RootExports.getLoggedInUser', ''),
      fn: (_a, ctx) => (ctx.user ? d.users.info(ctx.user) : null),
    },
    getUser: {
      sig: sig('RootExports.getUser', 'userInfo=None, strict=False, krb_princs=True, groups=False'),
      fn: ({ args }, ctx) => {
        const info = args.userInfo;
        const u = info === null ? ctx.user : typeof info === 'string' ? d.users.byName(info) : typeof info === 'number' ? d.users.byId(info) : undefined;
        if (!u) {
          if (args.strict === true) throw genericError(`No such user: ${String(info)}`);
          return null;
        }
        const out: Record<string, XmlRpcValue> = { id: u.id, name: u.name, status: 0, usertype: u.usertype };
        if (args.krb_princs !== false) out.krb_principals = [];
        return out;
      },
    },
    getPerms: {
      sig: sig('RootExports.getPerms', 'userID=None'),
      fn: ({ args }, ctx) => {
        const u = typeof args.userID === 'number' ? d.users.byId(args.userID) : ctx.user;
        return u ? [...u.perms].sort() : [];
      },
    },
    hasPerm: {
      sig: sig('RootExports.hasPerm', 'perm, strict=False'),
      fn: ({ args }, ctx) => d.users.hasPerm(ctx.user, str(args.perm) ?? ''),
    },
    getKojiVersion: { sig: sig('RootExports.getKojiVersion', ''), fn: () => KOJI_VERSION },
    getAPIVersion: { sig: sig('RootExports.getAPIVersion', ''), fn: () => 1 },
    hello: { sig: sig('RootExports.hello', '*args'), fn: () => 'Hello World' },
    echo: { sig: sig('RootExports.echo', '*args'), fn: ({ rest }) => rest },
    error: {
      sig: sig('RootExports.error', ''),
      fn: () => {
        throw genericError('test error');
      },
    },
    fault: {
      sig: sig('RootExports.fault', ''),
      fn: () => {
        throw pythonError('Exception', 'test exception');
      },
    },
  };
}
