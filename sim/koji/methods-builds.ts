// Starting image builds: kiwiBuild (the kiwi hub plugin), buildImageOz and buildImage, with the
// hub's checks in its order (permission, target, priority) and its way of storing the request.
import type { XmlRpcValue } from '../../clients/koji/xmlrpc';
import { assertPerm, submissionKey, toInt, truthy } from './hub-context';
import type { CallContext, HubDeps, MethodTable } from './hub-context';
import { actionNotAllowed, genericError, pythonError } from './koji-errors';
import { sig } from './signature';
import type { NewTask, TaskRecord } from './task-store';
import { PRIO_DEFAULT } from './task-store';

/** `if priority:` ... negative needs admin; the task gets PRIO_DEFAULT + priority. */
function taskPriority(d: HubDeps, ctx: CallContext, priority: XmlRpcValue): number {
  if (!truthy(priority)) return PRIO_DEFAULT;
  const p = toInt(priority, 'priority');
  if (p < 0 && !d.users.hasPerm(ctx.user, 'admin')) throw actionNotAllowed('only admins may create high-priority tasks');
  return PRIO_DEFAULT + p;
}

function submit(d: HubDeps, ctx: CallContext, task: NewTask, hubMethod: string): number {
  const t: TaskRecord = d.store.create(task);
  const owner = ctx.user!.name;
  const key = submissionKey(owner, t.method);
  d.submissions.set(key, (d.submissions.get(key) ?? 0) + 1);
  const rule = d.faults.check('buildFailure', { target: 'hub', method: hubMethod });
  d.engine.submit(t, rule ? { arch: rule.arch, faultCode: rule.faultCode, faultString: rule.faultString } : undefined);
  ctx.commit = true;
  return t.id;
}

/**
 * koji.parse_arches(arches, to_list=True, strict=True, allow_none): a list is joined with spaces
 * first (as the kiwi plugin does), then split on whitespace only; each arch must be
 * [a-zA-Z0-9_-]. None is an empty list only where allowed.
 */
export function parseArches(v: XmlRpcValue, allowNone: boolean): string[] {
  if (v === null && allowNone) return [];
  const text = Array.isArray(v) ? v.map((a) => (typeof a === 'string' ? a : String(a))).join(' ') : v;
  if (typeof text !== 'string') throw pythonError('AttributeError', `'${v === null ? 'NoneType' : typeof v}' object has no attribute 'split'`);
  const arches = text.split(/\s+/).filter(Boolean);
  for (const a of arches) if (!/^[a-zA-Z0-9_-]*$/.test(a)) throw genericError('Architecture can be only [a-zA-Z0-9_-]');
  return arches;
}

const KIWI_SIG =
  'target, arches, desc_url, desc_path, optional_arches=None, profile=None, scratch=False, priority=None, make_prep=False, repos=None, release=None, type=None, type_attr=None, result_bundle_name_format=None, use_buildroot_repo=True, version=None, repo_releasever=None';

/** The kiwi plugin stores only the options that were set, use_buildroot_repo always. */
const KIWI_OPTS = ['scratch', 'profile', 'release', 'optional_arches', 'repos', 'make_prep', 'type', 'type_attr', 'result_bundle_name_format', 'version', 'repo_releasever'];

export function buildMethods(d: HubDeps): MethodTable {
  return {
    kiwiBuild: {
      sig: sig('kiwiBuild', KIWI_SIG),
      fn: ({ args }, ctx) => {
        assertPerm(d, ctx, 'image');
        const target = d.targets.require(String(args.target));
        // koji.parse_arches(strict=True): an empty list is fine (the builder then builds every
        // arch of the build tag); a malformed arch is refused here, before any task exists.
        const arches = parseArches(args.arches ?? null, false);
        const optionalArches = parseArches(args.optional_arches ?? null, true);
        const priority = taskPriority(d, ctx, args.priority ?? null);
        const opts: Record<string, XmlRpcValue> = {};
        for (const k of KIWI_OPTS) if (truthy(args[k])) opts[k] = k === 'optional_arches' ? optionalArches : args[k]!;
        opts.use_buildroot_repo = args.use_buildroot_repo ?? true;
        return submit(
          d,
          ctx,
          {
            method: 'kiwiBuild',
            arch: 'noarch',
            owner: ctx.user!.id,
            channel: 'image',
            priority,
            request: [target.name, arches, args.desc_url ?? null, args.desc_path ?? null, opts],
          },
          'kiwiBuild',
        );
      },
    },
    buildImageOz: {
      sig: sig('RootExports.buildImageOz', 'name, version, arches, target, inst_tree, opts=None, priority=None'),
      fn: ({ args }, ctx) => {
        assertPerm(d, ctx, 'image');
        const priority = taskPriority(d, ctx, args.priority ?? null);
        const opts = args.opts ?? {};
        return submit(
          d,
          ctx,
          {
            method: 'image',
            arch: 'noarch',
            owner: ctx.user!.id,
            channel: 'image',
            priority,
            request: [args.name!, args.version!, args.arches!, args.target!, args.inst_tree!, opts],
          },
          'buildImageOz',
        );
      },
    },
    buildImage: {
      sig: sig('RootExports.buildImage', 'name, version, arch, target, ksfile, img_type, opts=None, priority=None'),
      fn: ({ args }, ctx) => {
        const type = String(args.img_type);
        if (!['livecd', 'appliance', 'livemedia'].includes(type)) throw genericError(`Unrecognized image type: ${type}`);
        assertPerm(d, ctx, type);
        const priority = taskPriority(d, ctx, args.priority ?? null);
        return submit(
          d,
          ctx,
          {
            method: type,
            arch: type === 'livemedia' ? 'noarch' : String(args.arch),
            owner: ctx.user!.id,
            channel: type,
            priority,
            request: [args.name!, args.version!, args.arch!, args.target!, args.ksfile!, args.opts ?? null],
          },
          'buildImage',
        );
      },
    },
    getBuildTarget: {
      sig: sig('RootExports.getBuildTarget', 'info, event=None, strict=False'),
      fn: ({ args }) => {
        const t = typeof args.info === 'number' ? d.targets.byId(args.info) : d.targets.get(String(args.info));
        if (!t) {
          if (args.strict === true) throw genericError(`No such build target: ${String(args.info)}`);
          return null;
        }
        return d.targets.info(t);
      },
    },
    getBuildTargets: {
      sig: sig('RootExports.getBuildTargets', 'info=None, event=None, buildTagID=None, destTagID=None, queryOpts=None'),
      fn: ({ args }) =>
        d.targets
          .all()
          .filter((t) => args.info === null || t.name === args.info || t.id === args.info)
          .filter((t) => args.buildTagID === null || t.buildTagId === args.buildTagID)
          .filter((t) => args.destTagID === null || t.destTagId === args.destTagID)
          .map((t) => d.targets.info(t)),
    },
  };
}
