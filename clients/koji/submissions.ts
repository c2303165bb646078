// The three image submissions: the arguments as the python client sends them, and the request as
// the hub STORES it (what getTaskInfo(id, request=True) returns), so a lost submission can be
// recognised.
//
// Why look-before-submit: Koji has no client token. When the answer to kiwiBuild is lost (reset,
// timeout, worker crash), nothing tells a second submission apart from the first, and Temporal
// will retry the activity. So before (re)submitting, the activity asks the hub for a task of
// this user with the same method and the same stored request (findExistingTask) and adopts it.
// The hub normalises what it stores, which is why the comparison happens on the stored form:
//   kiwiBuild  -> method kiwiBuild, [target, arches(list), desc_url, desc_path, opts]; opts keep
//                 only truthy options (1.35 adds use_buildroot_repo: true, older hubs store it only
//                 when false); priority is not part of the request.
//   buildImageOz -> method image, [name, version, arches, target, inst_tree, opts or {}]
//   buildImage   -> method <img_type>, [name, version, arch, target, ksfile, opts or {}] (no img_type)
import { kwargs, XmlRpcDouble } from './xmlrpc';
import type { XmlRpcStruct, XmlRpcValue } from './xmlrpc';

export interface KiwiBuildArgs {
  target: string;
  arches: string[];
  descUrl: string;
  descPath: string;
  profile?: string;
  version?: string;
  release?: string;
  scratch?: boolean;
  optionalArches?: string[];
  repos?: string[];
  makePrep?: boolean;
  type?: string;
  typeAttr?: string[];
  resultBundleNameFormat?: string;
  /** The hub's default is true; only `false` is sent. */
  useBuildrootRepo?: boolean;
  repoReleasever?: string;
  /** Relative to the default priority; never negative (that needs admin, which we never ask for). */
  priority?: number;
}

/** Oz options as Koji names them (`koji image-build` sends them in this struct). */
export interface OzImageOpts {
  ksurl?: string;
  ksversion?: string;
  kickstart?: string;
  scratch?: boolean;
  repo?: string[];
  release?: string;
  skip_tag?: boolean;
  specfile?: string;
  distro?: string;
  format?: string[];
  disk_size?: string | number;
  ova_option?: string[];
  factory_parameter?: [string, string][];
  optional_arches?: string[];
  noverifyssl?: boolean;
  [k: string]: XmlRpcValue | undefined;
}

/** livecd / appliance / livemedia options. */
export interface LiveImageOpts {
  ksurl?: string;
  ksversion?: string;
  scratch?: boolean;
  repo?: string[];
  release?: string;
  skip_tag?: boolean;
  specfile?: string;
  format?: string;
  vcpu?: number;
  vmem?: number;
  [k: string]: XmlRpcValue | undefined;
}

/** Methods of the top-level tasks the pipeline's submissions make (kiwiBuild, buildImageOz ->
 *  image, buildImage -> livecd / appliance / livemedia); the hub adds others beside them
 *  (buildNotification, tagBuild) that are not builds. */
export const IMAGE_BUILD_TASK_METHODS = ['kiwiBuild', 'image', 'livecd', 'appliance', 'livemedia'] as const;

export type LiveImageType = 'livecd' | 'appliance' | 'livemedia';

/** What findExistingTask looks for: the task method and the request as the hub stores it. */
export interface TaskRequest {
  method: string;
  request: XmlRpcValue[];
}

function assertPriority(priority: number | undefined): void {
  if (priority !== undefined && (!Number.isInteger(priority) || priority < 0)) {
    throw new RangeError(`priority must be a non-negative integer (negative needs admin), got ${priority}`);
  }
}

/** Keyword options of kiwiBuild, truthy ones only, in the python client's order. */
function kiwiOptions(a: KiwiBuildArgs): XmlRpcStruct {
  const o: XmlRpcStruct = {};
  if (a.profile) o.profile = a.profile;
  if (a.version) o.version = a.version;
  if (a.release) o.release = a.release;
  if (a.scratch) o.scratch = true;
  if (a.optionalArches && a.optionalArches.length > 0) o.optional_arches = a.optionalArches;
  if (a.repos && a.repos.length > 0) o.repos = a.repos;
  if (a.makePrep) o.make_prep = true;
  if (a.type) o.type = a.type;
  if (a.typeAttr && a.typeAttr.length > 0) o.type_attr = a.typeAttr;
  if (a.resultBundleNameFormat) o.result_bundle_name_format = a.resultBundleNameFormat;
  if (a.useBuildrootRepo === false) o.use_buildroot_repo = false;
  if (a.repoReleasever) o.repo_releasever = a.repoReleasever;
  return o;
}

/** kiwiBuild(target, arches, desc_url, desc_path, **options): positional + only truthy keywords. */
export function kiwiBuildParams(a: KiwiBuildArgs): XmlRpcValue[] {
  assertPriority(a.priority);
  const kw = kiwiOptions(a);
  if (a.priority) kw.priority = a.priority;
  const params: XmlRpcValue[] = [a.target, a.arches, a.descUrl, a.descPath];
  if (Object.keys(kw).length > 0) params.push(kwargs(kw));
  return params;
}

export function kiwiBuildTaskRequest(a: KiwiBuildArgs): TaskRequest {
  return { method: 'kiwiBuild', request: [a.target, a.arches, a.descUrl, a.descPath, kiwiOptions(a)] };
}

function compact(opts: { [k: string]: XmlRpcValue | undefined } | undefined): XmlRpcStruct | null {
  if (opts === undefined) return null;
  const o: XmlRpcStruct = {};
  for (const [k, v] of Object.entries(opts)) if (v !== undefined) o[k] = v;
  return o;
}

/** buildImageOz(name, version, arches, target, inst_tree, opts=opts, priority=priority) as `koji image-build` sends it. */
export function buildImageOzParams(name: string, version: string, arches: string[], target: string, instTree: string, opts?: OzImageOpts, priority?: number): XmlRpcValue[] {
  assertPriority(priority);
  return [name, version, arches, target, instTree, kwargs({ opts: compact(opts), priority: priority ?? null })];
}

export function buildImageOzTaskRequest(name: string, version: string, arches: string[], target: string, instTree: string, opts?: OzImageOpts): TaskRequest {
  return { method: 'image', request: [name, version, arches, target, instTree, compact(opts) ?? {}] };
}

/** buildImage(name, version, arch, target, ksfile, img_type, opts=opts, priority=priority) as `koji spin-livecd` sends it. */
export function buildImageParams(name: string, version: string, arch: string, target: string, ksfile: string, imgType: LiveImageType, opts?: LiveImageOpts, priority?: number): XmlRpcValue[] {
  assertPriority(priority);
  return [name, version, arch, target, ksfile, imgType, kwargs({ opts: compact(opts), priority: priority ?? null })];
}

export function buildImageTaskRequest(name: string, version: string, arch: string, target: string, ksfile: string, imgType: LiveImageType, opts?: LiveImageOpts): TaskRequest {
  return { method: imgType, request: [name, version, arch, target, ksfile, compact(opts) ?? {}] };
}

/** Hub-side defaults that may or may not appear in a stored request; dropped before comparing. */
const STORED_DEFAULTS: Record<string, Record<string, XmlRpcValue>> = {
  kiwiBuild: { use_buildroot_repo: true },
};

function normalize(v: XmlRpcValue, defaults: Record<string, XmlRpcValue> | undefined): unknown {
  if (v instanceof XmlRpcDouble) return v.value;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (Buffer.isBuffer(v)) return { $bytes: v.toString('base64') };
  if (Array.isArray(v)) return v.map((x) => normalize(x, undefined));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const item = v[k]!;
      if (defaults && k in defaults && sameValue(item, defaults[k]!)) continue;
      out[k] = normalize(item, undefined);
    }
    return out;
  }
  return v;
}

function sameValue(a: XmlRpcValue, b: XmlRpcValue): boolean {
  return JSON.stringify(normalize(a, undefined)) === JSON.stringify(normalize(b, undefined));
}

/** Does the request the hub stored for a task equal the one we would submit? (Member order ignored.) */
export function sameTaskRequest(method: string, ours: XmlRpcValue[], stored: XmlRpcValue[]): boolean {
  if (ours.length !== stored.length) return false;
  const defaults = STORED_DEFAULTS[method];
  const norm = (list: XmlRpcValue[]) => JSON.stringify(list.map((v) => normalize(v, defaults)));
  return norm(ours) === norm(stored);
}
