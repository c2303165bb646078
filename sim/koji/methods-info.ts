// The informational hub methods the standard `koji` command line calls around builds: hosts and
// channels (list-hosts, taskinfo), tags and their build config (image-build, spin-livecd and the
// kiwi builder), permissions (list-permissions), the API listing (list-api), and the small
// look-ups buildinfo / list-builds / download-task make. Shapes follow kojihub 1.35.3's queries.
import { asDouble, isStruct } from '../../clients/koji/xmlrpc';
import type { XmlRpcValue } from '../../clients/koji/xmlrpc';
import { nowUs, pyTs } from './clock';
import { assertLogin, castInt, describe, truthy } from './hub-context';
import type { HubDeps, MethodTable } from './hub-context';
import { genericError, parameterError } from './koji-errors';
import { sig } from './signature';
import type { TargetRecord } from './targets';
import { CHANNELS } from './task-store';
import type { UserRecord } from './users';

/** The stock schema's permissions, in id order (schemas/schema.sql). */
export const PERMISSIONS: ReadonlyArray<[string, string]> = [
  ['admin', 'Full administrator access. Perform all actions.'],
  ['appliance', 'Create appliance builds - deprecated.'],
  ['dist-repo', 'Create a dist-repo.'],
  ['host', 'Add, remove, enable, disable hosts and channels.'],
  ['image', 'Start image tasks.'],
  ['image-import', 'Import image archives.'],
  ['livecd', 'Start livecd tasks.'],
  ['maven-import', 'Import maven archives.'],
  ['repo', 'Manage repos: newRepo, repoExpire, repoDelete, repoProblem.'],
  ['sign', 'Import RPM signatures and write signed RPMs.'],
  ['tag', 'Manage packages in tags: add, block, remove, and clone tags.'],
  ['target', 'Add, edit, and remove targets.'],
  ['win-admin', 'The default hub policy rule for "vm" requires this permission to trigger Windows builds.'],
  ['win-import', 'Import win archives.'],
  ['draft-promoter', 'The permission required in the default "draft_promotion" hub policy rule to promote draft build.'],
];

interface TagRecord {
  id: number;
  name: string;
  arches: string | null;
}

export function infoMethods(d: HubDeps, hostName: string, listApi: () => Array<{ name: string; text: string }>): MethodTable {
  const host = () => d.users.all().find((u) => u.usertype === 1 && u.name === hostName) ?? d.users.all().find((u) => u.usertype === 1)!;
  // The one build host (id 1): every arch a target builds, in the channels the recording's had.
  const hostInfo = (): Record<string, XmlRpcValue> => {
    const arches = [...new Set(d.targets.all().flatMap((t) => t.arches))];
    const busy = d.store.all().filter((t) => t.hostId === 1 && t.state === 1).length;
    return {
      id: 1,
      user_id: host().id,
      name: host().name,
      update_ts: pyTs(nowUs()),
      ready: true,
      task_load: asDouble(busy),
      arches: arches.join(' '),
      capacity: asDouble(2),
      description: null,
      comment: null,
      enabled: true,
    };
  };
  const hostChannels = ['default', 'image', 'livecd', 'appliance', 'livemedia'];
  const channelInfo = (name: string) => ({ id: CHANNELS[name]!, name, description: null, enabled: true, comment: null });
  const channelOf = (v: XmlRpcValue | undefined) => {
    const e = Object.entries(CHANNELS).find(([name, id]) => (typeof v === 'string' ? name === v : id === v));
    return e ? channelInfo(e[0]) : undefined;
  };

  const tags = (): TagRecord[] =>
    d.targets.all().flatMap((t: TargetRecord) => [
      { id: t.buildTagId, name: t.buildTagName, arches: t.arches.join(' ') },
      { id: t.destTagId, name: t.destTagName, arches: null },
    ]);
  const tagOf = (v: XmlRpcValue | undefined): TagRecord | undefined => {
    if (isStruct(v)) return tagOf(v.id ?? v.name);
    return tags().find((t) => (typeof v === 'string' ? t.name === v : t.id === v));
  };
  const tagInfo = (t: TagRecord): Record<string, XmlRpcValue> => ({
    id: t.id,
    name: t.name,
    perm_id: null,
    perm: null,
    arches: t.arches,
    locked: false,
    maven_support: false,
    maven_include_all: false,
    extra: {},
  });
  const userOf = (v: XmlRpcValue | undefined, current: UserRecord | undefined): UserRecord | undefined =>
    v === null || v === undefined ? current : typeof v === 'string' ? d.users.byName(v) : typeof v === 'number' ? d.users.byId(v) : undefined;

  return {
    getHost: {
      sig: sig('get_host', 'hostInfo, strict=False, event=None'),
      fn: ({ args }) => {
        const h = host();
        if (args.hostInfo === 1 || args.hostInfo === h.name) return hostInfo();
        if (truthy(args.strict)) throw genericError(`Invalid hostInfo: ${describe(args.hostInfo)}`);
        return null;
      },
    },
    listHosts: {
      sig: sig('RootExports.listHosts', 'arches=None, channelID=None, ready=None, enabled=None, userID=None, queryOpts=None'),
      fn: ({ args }) => {
        const h = hostInfo();
        if (args.arches !== null) {
          const want = Array.isArray(args.arches) ? args.arches.map(String) : [String(args.arches)];
          if (want.length === 0) throw genericError('arches option cannot be empty');
          if (!want.some((a) => String(h.arches).split(' ').includes(a))) return [];
        }
        if (args.channelID !== null) {
          const c = channelOf(args.channelID);
          if (!c) throw genericError(`No such channel: ${describe(args.channelID)}`);
          if (!hostChannels.includes(c.name)) return [];
        }
        if (args.ready === false || args.enabled === false) return [];
        if (args.userID !== null && userOf(args.userID, undefined)?.id !== h.user_id) return [];
        return [h];
      },
    },
    getLastHostUpdate: {
      sig: sig('RootExports.getLastHostUpdate', 'hostID, ts=False'),
      fn: ({ args }) => (truthy(args.ts) ? pyTs(nowUs()) : null),
    },
    getChannel: {
      sig: sig('get_channel', 'channelInfo, strict=False'),
      fn: ({ args }) => {
        const c = channelOf(args.channelInfo);
        if (!c && truthy(args.strict)) throw genericError('query returned no rows');
        return c ?? null;
      },
    },
    listChannels: {
      sig: sig('list_channels', 'hostID=None, event=None, enabled=None'),
      fn: ({ args }) => {
        const names = args.hostID === null ? Object.keys(CHANNELS) : args.hostID === 1 ? hostChannels : [];
        return names.map(channelInfo);
      },
    },
    getTag: {
      sig: sig('get_tag', 'tagInfo, strict=False, event=None, blocked=False'),
      fn: ({ args }) => {
        const t = tagOf(args.tagInfo);
        if (!t) {
          if (truthy(args.strict)) throw genericError(`No such tagInfo: ${typeof args.tagInfo === 'string' ? `'${args.tagInfo}'` : describe(args.tagInfo)}`);
          return null;
        }
        return tagInfo(t);
      },
    },
    getBuildConfig: {
      sig: sig('RootExports.getBuildConfig', 'tag, event=None'),
      fn: ({ args }) => {
        const t = tagOf(args.tag);
        if (!t) throw genericError(`No such tagInfo: ${describe(args.tag)}`);
        return { ...tagInfo(t), config_inheritance: { extra: {}, arches: null } };
      },
    },
    listTags: {
      sig: sig('RootExports.listTags', 'build=None, package=None, perms=True, queryOpts=None, pattern=None'),
      fn: ({ args }) => {
        let list = tags();
        if (args.build !== null) {
          const b = d.builds.find(args.build ?? null, true)!;
          list = list.filter((t) => b.tags.has(t.id));
        }
        return list.map((t) => ({ ...tagInfo(t), extra: undefined })).map(({ extra: _e, ...rest }) => rest);
      },
    },
    getUserPerms: {
      sig: sig('RootExports.getUserPerms', 'userID=None, with_groups=True'),
      fn: ({ args }, ctx) => {
        const u = userOf(args.userID, ctx.user);
        if (!u) throw genericError(`No such user: ${describe(args.userID)}`);
        return [...u.perms].sort();
      },
    },
    getUserPermsInheritance: {
      sig: sig('RootExports.getUserPermsInheritance', 'userID'),
      fn: ({ args }) => {
        const u = userOf(args.userID, undefined);
        if (!u) throw genericError(`No such user: ${describe(args.userID)}`);
        return Object.fromEntries([...u.perms].sort().map((p) => [p, [null]]));
      },
    },
    getAllPerms: {
      sig: sig('RootExports.getAllPerms', ''),
      fn: () => PERMISSIONS.map(([name, description], i) => ({ id: i + 1, name, description })),
    },
    getPackageID: {
      sig: sig('RootExports.getPackageID', 'name, strict=False'),
      fn: ({ args }) => {
        const id = d.builds.packageId(String(args.name));
        if (id === undefined && truthy(args.strict)) throw genericError(`No such package name: ${String(args.name)}`);
        return id ?? null;
      },
    },
    listVolumes: { sig: sig('list_volumes', ''), fn: () => [{ id: 0, name: 'DEFAULT' }] },
    getAllArches: { sig: sig('get_all_arches', ''), fn: () => [...new Set(d.targets.all().flatMap((t) => t.arches))].sort() },
    listBuildroots: {
      sig: sig('query_buildroots', 'hostID=None, tagID=None, state=None, rpmID=None, archiveID=None, taskID=None, buildrootID=None, repoID=None, queryOpts=None'),
      // Image builds here run without mock buildroot records.
      fn: () => [],
    },
    getChangelogEntries: {
      sig: sig('RootExports.getChangelogEntries', 'buildID=None, taskID=None, filepath=None, author=None, before=None, after=None, queryOpts=None, strict=False'),
      fn: () => [],
    },
    getPackageConfig: {
      sig: sig('RootExports.getPackageConfig', 'tag, pkg, event=None'),
      fn: ({ args }) => {
        const t = tagOf(args.tag);
        if (!t) throw genericError(`No such tagInfo: ${describe(args.tag)}`);
        return { package_id: d.builds.packageId(String(args.pkg)) ?? null, package_name: String(args.pkg), tag_id: t.id, tag_name: t.name, owner_id: 1, owner_name: 'admin', blocked: false, extra_arches: '' };
      },
    },
    getTaskDescendentsCount: {
      sig: sig('RootExports.getTaskDescendentsCount', 'task_id'),
      fn: ({ args }) => d.store.children(Number(castInt(args.task_id))).length,
    },
    _listapi: {
      sig: sig('HandlerRegistry.list_api', ''),
      // name, doc, argspec (Python's getfullargspec tuple), argdesc and args, as the hub lists them.
      fn: () =>
        listApi().map(({ name, text }) => {
          const params = text.split(',').map((p) => p.trim()).filter(Boolean);
          const args: XmlRpcValue[] = params.map((p) => (p.includes('=') ? [p.slice(0, p.indexOf('=')), pyValue(p.slice(p.indexOf('=') + 1))] : p));
          const plain = params.filter((p) => !p.startsWith('*')).map((p) => p.split('=')[0]!);
          const defaults = params.filter((p) => p.includes('=')).map((p) => pyValue(p.slice(p.indexOf('=') + 1)));
          const varargs = params.find((p) => p.startsWith('*') && !p.startsWith('**'))?.slice(1) ?? null;
          const varkw = params.find((p) => p.startsWith('**'))?.slice(2) ?? null;
          return { name, doc: null, argspec: [plain, varargs, varkw, defaults.length > 0 ? defaults : null, [], null, {}], argdesc: `(${params.join(', ')})`, args };
        }),
    },
    // The login check the CLI makes before uploading a kickstart (session.uploadWrapper).
    getSessionInfo: {
      sig: sig('Session.getSessionInfo', 'details=False, user_id=None'),
      fn: (_a, ctx) => {
        const u = assertLogin(ctx);
        return { 'session-id': ctx.session!.id, user_id: u.id, authtype: 1, expired: false, callnum: ctx.session!.callnum };
      },
    },
  };
}

function pyValue(s: string): XmlRpcValue {
  if (s === 'None') return null;
  if (s === 'True') return true;
  if (s === 'False') return false;
  if (/^-?\d+$/.test(s)) return Number(s);
  if (/^'.*'$/.test(s)) return s.slice(1, -1);
  throw parameterError(`unsupported default ${s}`);
}
