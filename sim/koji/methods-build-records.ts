// Reading build records: getBuild (id, NVR or {name, version, release}), listBuilds with the
// filters `koji list-builds` and `koji taskinfo` use, getNextRelease, getBuildType and the image
// archives of a build (listArchives, getBuildLogs) as the hub answers for an image build.
import { isStruct } from '../../clients/koji/xmlrpc';
import type { XmlRpcValue } from '../../clients/koji/xmlrpc';
import type { BuildRecord } from './builds';
import { castInt, describe, truthy } from './hub-context';
import type { HubDeps, MethodTable } from './hub-context';
import { genericError } from './koji-errors';
import { sig } from './signature';

/** fnmatch's glob as a regular expression (`*`, `?`, `[...]`). */
function glob(pattern: string): RegExp {
  let re = '';
  for (const c of pattern) re += c === '*' ? '.*' : c === '?' ? '.' : /[.+^${}()|\\]/.test(c) ? `\\${c}` : c;
  return new RegExp(`^${re}$`);
}

/** queryOpts: order (a field, "-" for descending), offset, limit, countOnly. */
export function applyQueryOpts(rows: Array<Record<string, XmlRpcValue>>, q: XmlRpcValue | undefined, defaultOrder: string): XmlRpcValue {
  const opts = isStruct(q) ? q : {};
  const order = typeof opts.order === 'string' ? opts.order : defaultOrder;
  const desc = order.startsWith('-');
  const field = desc ? order.slice(1) : order;
  const key = (r: Record<string, XmlRpcValue>) => {
    const v = r[field];
    return typeof v === 'number' || typeof v === 'string' ? v : v !== null && typeof v === 'object' && 'value' in v ? Number(v.value) : '';
  };
  const sorted = [...rows].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    const c = x < y ? -1 : x > y ? 1 : 0;
    return desc ? -c : c;
  });
  if (truthy(opts.countOnly)) return sorted.length;
  const offset = typeof opts.offset === 'number' ? opts.offset : 0;
  return sorted.slice(offset, typeof opts.limit === 'number' ? offset + opts.limit : undefined);
}

export function buildRecordMethods(d: HubDeps): MethodTable {
  const listEntry = (b: BuildRecord): Record<string, XmlRpcValue> => {
    const { id: _id, cg_id: _cg, cg_name: _cgn, ...rest } = d.builds.info(b);
    return rest;
  };
  const imageArchives = (b: BuildRecord): Array<Record<string, XmlRpcValue>> => {
    const out: Array<Record<string, XmlRpcValue>> = [];
    for (const t of d.store.all().filter((x) => x.parent === b.taskId && x.state === 2 && x.method !== 'tagBuild')) {
      const r = d.store.result(t.id, false);
      if (!isStruct(r) || !Array.isArray(r.files)) continue;
      for (const f of r.files) {
        out.push({
          id: out.length + 1 + b.id * 1000,
          type_id: 0,
          type_name: String(f).split('.').pop() ?? 'img',
          build_id: b.id,
          buildroot_id: null,
          filename: String(f),
          size: 0,
          checksum: '',
          checksum_type: 2,
          arch: t.arch,
          btype: 'image',
          btype_id: 4,
          metadata_only: false,
          extra: null,
        });
      }
    }
    return out;
  };
  return {
    getBuild: {
      sig: sig('get_build', 'buildInfo, strict=False'),
      fn: ({ args }) => {
        const b = d.builds.find(args.buildInfo ?? null, truthy(args.strict));
        return b ? d.builds.info(b) : null;
      },
    },
    getNextRelease: {
      sig: sig('get_next_release', 'build_info, incr=1'),
      fn: ({ args }) => {
        const bi = isStruct(args.build_info) ? args.build_info : {};
        if (typeof bi.name !== 'string' || typeof bi.version !== 'string') throw genericError('name and version required');
        return d.builds.nextRelease(bi.name, bi.version);
      },
    },
    getBuildType: {
      sig: sig('get_build_type', 'buildInfo, strict=False'),
      fn: ({ args }) => {
        const b = d.builds.find(args.buildInfo ?? null, truthy(args.strict));
        return b ? { image: { build_id: b.id } } : null;
      },
    },
    getImageBuild: {
      sig: sig('get_image_build', 'buildInfo, strict=False'),
      fn: ({ args }) => {
        const b = d.builds.find(args.buildInfo ?? null, truthy(args.strict));
        return b ? { build_id: b.id } : null;
      },
    },
    getMavenBuild: { sig: sig('get_maven_build', 'buildInfo, strict=False'), fn: () => null },
    getWinBuild: { sig: sig('get_win_build', 'buildInfo, strict=False'), fn: () => null },
    listRPMs: {
      sig: sig('RootExports.listRPMs', 'buildID=None, buildrootID=None, imageID=None, componentBuildrootID=None, hostID=None, arches=None, queryOpts=None, draft=None'),
      fn: () => [],
    },
    listArchives: {
      sig: sig(
        'list_archives',
        'buildID=None, buildrootID=None, componentBuildrootID=None, hostID=None, type=None, filename=None, size=None, checksum=None, checksum_type=None, typeInfo=None, queryOpts=None, imageID=None, archiveID=None, strict=False',
      ),
      fn: ({ args }) => {
        if (args.buildID === null) return [];
        const b = d.builds.byId(Number(castInt(args.buildID)));
        if (!b) return [];
        const all = imageArchives(b);
        return args.type === null || args.type === 'image' ? all : [];
      },
    },
    getBuildLogs: {
      sig: sig('get_build_logs', 'build'),
      fn: () => [],
    },
    listBuilds: {
      sig: sig(
        'RootExports.listBuilds',
        'packageID=None, userID=None, taskID=None, prefix=None, state=None, volumeID=None, source=None, createdBefore=None, createdAfter=None, completeBefore=None, completeAfter=None, type=None, typeInfo=None, queryOpts=None, pattern=None, cgID=None, draft=None',
      ),
      fn: ({ args }) => {
        let builds = [...d.builds.all()];
        if (args.packageID !== null) {
          const pkg = typeof args.packageID === 'string' ? d.builds.packageId(args.packageID) : Number(castInt(args.packageID));
          if (pkg === undefined) return [];
          builds = builds.filter((b) => b.packageId === pkg);
        }
        if (args.userID !== null) {
          const u = typeof args.userID === 'string' ? d.users.byName(args.userID) : d.users.byId(Number(castInt(args.userID)));
          if (!u) return [];
          builds = builds.filter((b) => b.ownerId === u.id);
        }
        if (args.taskID !== null) {
          const t = Number(castInt(args.taskID));
          builds = builds.filter((b) => (t === -1 ? true : b.taskId === t));
        }
        if (args.state !== null) builds = builds.filter((b) => b.state === Number(castInt(args.state)));
        if (typeof args.prefix === 'string') builds = builds.filter((b) => b.name.toLowerCase().startsWith(String(args.prefix).toLowerCase()));
        if (typeof args.pattern === 'string') {
          const re = glob(args.pattern);
          builds = builds.filter((b) => re.test(`${b.name}-${b.version}-${b.release}`));
        }
        if (args.type !== null && args.type !== 'image') {
          if (!['rpm', 'maven', 'win', 'image'].includes(String(args.type))) throw genericError(`unsupported build type: ${describe(args.type)}`);
          builds = [];
        }
        if (truthy(args.draft)) builds = [];
        return applyQueryOpts(builds.map(listEntry), args.queryOpts, 'build_id');
      },
    },
  };
}

