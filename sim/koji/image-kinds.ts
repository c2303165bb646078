// What each kind of image build does, as kojid and its kiwi plugin do it: the subtasks a parent
// spawns (method, label, arglist), and the files and result struct of each subtask. Kiwi and Oz
// follow the recorded builder exchanges (03b, 04b); livecd, appliance and livemedia follow
// kojid's handlers without a recording to check them against.
import { basename } from 'node:path';
import { isStruct } from '../../clients/koji/xmlrpc';
import type { XmlRpcValue } from '../../clients/koji/xmlrpc';
import type { ImageFormat } from './disk-image';
import { FAULT_CODES } from './koji-errors';
import type { TargetRecord, Targets } from './targets';

/** The parent task methods this sim runs, by the hub method that creates them. */
export type ParentMethod = 'kiwiBuild' | 'image' | 'livecd' | 'appliance' | 'livemedia';

export type PlannedFile =
  | { name: string; kind: 'text'; content: string }
  | { name: string; kind: 'image'; format: ImageFormat }
  /** kiwi's checksum file: `<sha256 hex>  <image name>\n`. */
  | { name: string; kind: 'checksum'; of: string };

export interface ChildSpec {
  method: string;
  arch: string;
  label: string;
  request: XmlRpcValue[];
  /** Listed in optional_arches: its failure does not fail the build. */
  optional: boolean;
}

export interface ParentPlan {
  children: ChildSpec[];
  files: PlannedFile[];
  /** The builder refuses the request before spawning anything. */
  error?: { faultCode: number; faultString: string };
}

export interface ChildPlan {
  /** Written in this order. */
  files: PlannedFile[];
  result: Record<string, XmlRpcValue>;
  /** What host.moveImageBuildToScratch moves (the result's files and logs). */
  moveNames: string[];
  /** Written before a failing build gives up. */
  failureFiles: PlannedFile[];
  failure: { faultCode: number; faultString: string };
  /** Seeds the disk contents. */
  diskSeed: string;
  iso?: { volumeId: string };
  /** The request cannot build (e.g. an unknown format): fails whatever the fault settings. */
  forcedFailure?: boolean;
}

export interface KindOptions {
  /** The kiwi description's image name; the build is `<imageName>-<profile>`. */
  kiwiImageName: string;
  /** kiwi's version when the request names none (the description's `<version>`). */
  kiwiDefaultVersion: string;
  /** Release when the request names none (kojid asks getNextRelease: "1" for a new name). */
  defaultRelease: string;
  /** Which result files a kiwi profile yields (its kiwi type / format). */
  kiwiFormats: (profile: string | null, type: string | null) => KiwiFormat[];
}

export type KiwiFormat = 'qcow2' | 'raw.xz' | 'vhdfixed.xz' | 'tar.gz' | 'vmdk' | 'iso' | 'vagrant.libvirt.box' | 'vagrant.virtualbox.box' | 'oci.tar.xz';

/**
 * Fedora's profiles (fedora-images.md): AmazonEC2 raw.xz, Azure vhdfixed.xz, GCE tar.gz, the
 * Vagrant boxes per provider, container images as OCI archives, live media as ISOs, else qcow2.
 */
export function defaultKiwiFormats(profile: string | null, type: string | null): KiwiFormat[] {
  const p = `${profile ?? ''} ${type ?? ''}`;
  if (/AmazonEC2/i.test(p)) return ['raw.xz'];
  if (/Azure/i.test(p)) return ['vhdfixed.xz'];
  if (/GCE/i.test(p)) return ['tar.gz'];
  if (/Vagrant-libvirt/i.test(p)) return ['vagrant.libvirt.box'];
  if (/Vagrant-VirtualBox/i.test(p)) return ['vagrant.virtualbox.box'];
  if (/Container|Toolbox|\boci\b/i.test(p)) return ['oci.tar.xz'];
  if (/Live|\biso\b/i.test(p)) return ['iso'];
  return ['qcow2'];
}

const str = (v: XmlRpcValue | undefined): string | null => (typeof v === 'string' ? v : null);
const struct = (v: XmlRpcValue | undefined): Record<string, XmlRpcValue> => (isStruct(v) ? v : {});
const list = (v: XmlRpcValue | undefined): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? v.split(/[\s,]+/).filter(Boolean) : []);

/** kiwi's result bundle naming: %N name, %P profile, %A arch, %v version, %I bundle id, %T type. */
export function bundleName(format: string, f: { name: string; profile: string | null; arch: string; version: string; release: string; type: string | null }): string {
  return format.replace(/%([NPAvIT%])/g, (_m, c: string) =>
    c === 'N' ? f.name : c === 'P' ? (f.profile ?? '') : c === 'A' ? f.arch : c === 'v' ? f.version : c === 'I' ? f.release : c === 'T' ? (f.type ?? 'oem') : '%',
  );
}

const log = (seed: string, lines: string[]) => lines.map((l) => `${seed}: ${l}\n`).join('');

function textFile(name: string, content: string): PlannedFile {
  return { name, kind: 'text', content };
}

/** The parent's plan, from its stored request. */
export function planParent(method: ParentMethod, request: XmlRpcValue[], targets: Targets, opts: KindOptions): ParentPlan {
  switch (method) {
    case 'kiwiBuild':
      return planKiwiParent(request, targets, opts);
    case 'image':
      return planOzParent(request, targets, opts);
    default:
      return planImageParent(method, request, targets, opts);
  }
}

function targetOrError(targets: Targets, name: string | null): TargetRecord | { faultCode: number; faultString: string } {
  const t = name === null ? undefined : targets.get(name);
  return t ?? { faultCode: FAULT_CODES.GenericError, faultString: `No such build target: ${name}` };
}

/** kojid's check of the requested arches against the build tag's ("Invalid arch for build tag"). */
function archError(t: TargetRecord, arches: string[]): { faultCode: number; faultString: string } | undefined {
  if (t.arches.length === 0) return { faultCode: FAULT_CODES.BuildError, faultString: `No arches for tag ${t.buildTagName} [${t.buildTagId}]` };
  const bad = arches.find((a) => !t.arches.includes(a));
  if (bad !== undefined) return { faultCode: FAULT_CODES.BuildError, faultString: `Invalid arch for build tag: ${bad}` };
  if (arches.length === 0) return { faultCode: FAULT_CODES.BuildError, faultString: 'No arches to build' };
  return undefined;
}

function planKiwiParent(request: XmlRpcValue[], targets: Targets, o: KindOptions): ParentPlan {
  const [target, archesV, descUrl, descPath, optsV] = request;
  const opts = struct(optsV);
  const t = targetOrError(targets, str(target));
  if ('faultCode' in t) return { children: [], files: [], error: t };
  // kiwi's builder: no arches asked for means every arch of the build tag.
  const asked = list(archesV);
  const arches = asked.length > 0 ? asked : [...t.arches];
  const optional = list(opts.optional_arches);
  const err = archError(t, arches);
  if (err) return { children: [], files: [], error: err };
  const profile = str(opts.profile);
  const name = profile ? `${o.kiwiImageName}-${profile}` : o.kiwiImageName;
  const version = str(opts.version) ?? o.kiwiDefaultVersion;
  const release = str(opts.release) ?? o.defaultRelease;
  const childOpts = { ...opts, optional_arches: optional };
  const children = arches.map((arch) => ({
    method: 'createKiwiImage',
    arch,
    label: arch,
    optional: optional.includes(arch),
    request: [name, version, release, arch, targets.info(t), t.buildTagId, targets.repoInfo(t), descUrl ?? null, descPath ?? null, childOpts],
  }));
  const files = [textFile('checkout.log', log('checkout', [`git clone ${str(descUrl) ?? ''}`, `checked out ${str(descPath) ?? ''}`]))];
  return { children, files };
}

function planOzParent(request: XmlRpcValue[], targets: Targets, o: KindOptions): ParentPlan {
  const [name, version, archesV, target, instTree, optsV] = request;
  const opts = struct(optsV);
  const t = targetOrError(targets, str(target));
  if ('faultCode' in t) return { children: [], files: [], error: t };
  const arches = list(archesV);
  const optional = list(opts.optional_arches);
  const err = archError(t, arches);
  if (err) return { children: [], files: [], error: err };
  const release = str(opts.release) ?? o.defaultRelease;
  const children = arches.map((arch) => ({
    method: 'createImage',
    arch,
    label: arch,
    optional: optional.includes(arch),
    request: [name ?? null, version ?? null, release, arch, targets.info(t), t.buildTagId, targets.repoInfo(t), (str(instTree) ?? '').replace(/\$arch/g, arch), opts],
  }));
  return { children, files: [] };
}

const CHILD_METHOD: Record<string, string> = { livecd: 'createLiveCD', appliance: 'createAppliance', livemedia: 'createLiveMedia' };

function planImageParent(method: ParentMethod, request: XmlRpcValue[], targets: Targets, o: KindOptions): ParentPlan {
  const [name, version, archV, target, ksfile, optsV] = request;
  const opts = struct(optsV);
  const t = targetOrError(targets, str(target));
  if ('faultCode' in t) return { children: [], files: [], error: t };
  // livecd and appliance build one arch; livemedia a list (and spawns one child per arch).
  const arches = method === 'livemedia' ? list(archV) : [str(archV) ?? ''];
  const err = archError(t, arches);
  if (err) return { children: [], files: [], error: err };
  const release = str(opts.release) ?? o.defaultRelease;
  const children = arches.map((arch) => ({
    method: CHILD_METHOD[method]!,
    arch,
    label: method === 'livemedia' ? arch : method,
    optional: false,
    request: [name ?? null, version ?? null, release, arch, targets.info(t), t.buildTagId, targets.repoInfo(t), ksfile ?? null, opts],
  }));
  return { children, files: [] };
}

/** The child's files and result, from its own arglist (as kojid's handler gets it). */
export function planChild(method: string, taskId: number, request: XmlRpcValue[], o: KindOptions): ChildPlan {
  const [nameV, versionV, releaseV, archV, targetInfoV] = request;
  const name = str(nameV) ?? 'image';
  const version = str(versionV) ?? '1';
  const release = str(releaseV) ?? o.defaultRelease;
  const arch = str(archV) ?? 'noarch';
  const buildTag = str(struct(targetInfoV).build_tag_name) ?? 'build';
  const nvr = `${name}-${version}-${release}`;
  const diskSeed = `${method}:${nvr}:${arch}`;
  switch (method) {
    case 'createKiwiImage':
      return planKiwiChild(taskId, request, { name, version, release, arch, diskSeed }, o);
    case 'createImage':
      return planOzChild(taskId, request, { name, version, release, arch, diskSeed, buildTag });
    default:
      return planLiveChild(method, taskId, request, { name, version, release, arch, diskSeed });
  }
}

interface Nvra {
  name: string;
  version: string;
  release: string;
  arch: string;
  diskSeed: string;
}

const KIWI_EXT: Record<KiwiFormat, ImageFormat> = {
  qcow2: 'qcow2',
  'raw.xz': 'raw.xz',
  'vhdfixed.xz': 'vhdfixed.xz',
  'tar.gz': 'tar.gz',
  vmdk: 'vmdk',
  iso: 'iso',
  'vagrant.libvirt.box': 'vagrant.libvirt.box',
  'vagrant.virtualbox.box': 'vagrant.virtualbox.box',
  'oci.tar.xz': 'oci.tar.xz',
};

function planKiwiChild(taskId: number, request: XmlRpcValue[], n: Nvra, o: KindOptions): ChildPlan {
  const descPath = str(request[8]) ?? 'image.kiwi';
  const opts = struct(request[9]);
  const profile = str(opts.profile);
  const type = str(opts.type);
  const fmt = str(opts.result_bundle_name_format) ?? '%N.%A-%v-%I';
  const base = bundleName(fmt, { name: n.name, profile, arch: n.arch, version: n.version, release: n.release, type });
  const kiwiLog = `${basename(descPath).replace(/\.kiwi$/, '')}.${n.arch}.kiwi`;
  const images = o.kiwiFormats(profile, type).map((f) => ({ name: `${base}.${f}`, format: KIWI_EXT[f] }));
  const resultFiles = images.flatMap((i) => [i.name, `${i.name}.sha256`]);
  const imageRootLog = `image-root.${n.arch}.log`;
  const files: PlannedFile[] = [
    textFile(kiwiLog, `<?xml version="1.0" encoding="utf-8"?>\n<image schemaversion="7.4" name="${n.name}">\n  <!-- prepared by koji-sim for ${n.arch} -->\n</image>\n`),
    textFile('mock_output.log', log(`mock-${n.arch}`, ['INFO: mock.py version 5.x starting', 'Finish: run'])),
    textFile('root.log', log(`root-${n.arch}`, ['DEBUG: installing kiwi-systemdeps', 'DEBUG: done'])),
    textFile(imageRootLog, log(`image-root-${n.arch}`, [`kiwi-ng --profile ${profile ?? ''} system build`, 'Result files written'])),
    textFile(`kiwi-result-bundle.${n.arch}.log`, log(`bundle-${n.arch}`, [`kiwi-ng result bundle --id ${n.release}`, ...resultFiles])),
    ...images.flatMap((i): PlannedFile[] => [
      { name: i.name, kind: 'image', format: i.format },
      { name: `${i.name}.sha256`, kind: 'checksum', of: i.name },
    ]),
  ];
  return {
    files,
    result: { arch: n.arch, task_id: taskId, logs: [kiwiLog], name: n.name, version: n.version, release: n.release, rpmlist: [], files: resultFiles },
    moveNames: [...resultFiles, kiwiLog],
    failureFiles: [textFile(imageRootLog, log(`image-root-${n.arch}`, [`kiwi-ng --profile ${profile ?? ''} system build`, 'KiwiError: simulated failure (koji-sim fault injection)']))],
    failure: { faultCode: FAULT_CODES.BuildError, faultString: 'Kiwi failed' },
    diskSeed: n.diskSeed,
    iso: images.some((i) => i.format === 'iso') ? { volumeId: n.name } : undefined,
  };
}

/** Oz formats: the request's name -> [extension, what we make]. */
const OZ_FORMATS: Record<string, [string, ImageFormat]> = {
  raw: ['raw', 'raw'],
  'raw-xz': ['raw.xz', 'raw.xz'],
  qcow2: ['qcow2', 'qcow2'],
  vmdk: ['vmdk', 'vmdk'],
  vpc: ['vhd', 'vhd'],
  'tar-gz': ['tar.gz', 'tar.gz'],
};

function planOzChild(taskId: number, request: XmlRpcValue[], n: Nvra & { buildTag: string }): ChildPlan {
  const instTree = str(request[7]) ?? '';
  const opts = struct(request[8]);
  const kickstart = basename(str(opts.kickstart) ?? 'image.ks');
  const formats = list(opts.format).length > 0 ? list(opts.format) : ['raw'];
  const unknown = formats.filter((f) => !(f in OZ_FORMATS));
  const image = `${n.name}-${n.version}-${n.release}.${n.arch}`;
  const ozLog = `oz-${n.arch}.log`;
  const tdl = `tdl-${n.arch}.xml`;
  const baseKs = `koji-${n.buildTag}-${taskId}-base.ks`;
  const perFormat = formats
    .filter((f) => f in OZ_FORMATS)
    .map((f) => {
      const [ext, format] = OZ_FORMATS[f]!;
      const xml = `libvirt-${f}-${n.arch}.xml`;
      const file = `${image}.${ext}`;
      return { f, xml, file, format };
    });
  const resultFiles = [tdl, kickstart, baseKs, ...perFormat.flatMap((p) => [p.xml, p.file])];
  const files: PlannedFile[] = [
    textFile(`checkout-${n.arch}.log`, log(`checkout-${n.arch}`, [`git clone ${str(opts.ksurl) ?? ''}`])),
    textFile(kickstart, `# ${kickstart} (koji-sim)\n%packages\n@core\n%end\n`),
    textFile(baseKs, `# flattened kickstart for ${image} (koji-sim)\nurl --url=${instTree}\n%packages\n@core\n%end\n`),
    textFile(tdl, `<template>\n  <name>${image}</name>\n  <os><name>Fedora</name><version>${n.version}</version><arch>${n.arch}</arch>\n  <install type='url'><url>${instTree}</url></install></os>\n</template>\n`),
    textFile(ozLog, log(`oz-${n.arch}`, ['Starting Oz install', 'Install complete'])),
    ...perFormat.flatMap((p): PlannedFile[] => [
      textFile(p.xml, `<domain type='kvm'>\n  <name>${image}</name>\n  <devices><disk type='file' device='disk'><source file='${p.file}'/></disk></devices>\n</domain>\n`),
      { name: p.file, kind: 'image', format: p.format },
    ]),
  ];
  return {
    files,
    result: { arch: n.arch, task_id: taskId, logs: [ozLog], name: n.name, version: n.version, release: n.release, rpmlist: [], files: resultFiles },
    moveNames: [...resultFiles, ozLog],
    failureFiles: [textFile(ozLog, log(`oz-${n.arch}`, ['Starting Oz install', 'OzException: simulated failure (koji-sim fault injection)']))],
    failure:
      unknown.length > 0
        ? { faultCode: FAULT_CODES.BuildError, faultString: `Unsupported image format(s): ${unknown.join(', ')}` }
        : { faultCode: FAULT_CODES.BuildError, faultString: 'Image build failed' },
    diskSeed: n.diskSeed,
    ...(unknown.length > 0 ? { forcedFailure: true } : {}),
  };
}

function planLiveChild(method: string, taskId: number, request: XmlRpcValue[], n: Nvra): ChildPlan {
  const opts = struct(request[8]);
  const logs = ['build.log', 'mock_output.log', 'root.log', 'state.log'];
  const nvr = `${n.name}-${n.version}-${n.release}`;
  if (method === 'createAppliance') {
    const fmt = str(opts.format) ?? 'raw';
    const [ext, format] = OZ_FORMATS[fmt] ?? ['raw', 'raw' as ImageFormat];
    const disk = `${nvr}-sda.${ext}`;
    const xml = `${nvr}.xml`;
    const allLogs = [...logs, 'appliance.log'];
    return {
      files: [
        ...allLogs.map((l) => textFile(l, log(`${l}-${n.arch}`, [`appliance-creator --name ${nvr}`]))),
        { name: disk, kind: 'image', format },
        textFile(xml, `<image>\n  <name>${nvr}</name>\n  <storage><disk file='${disk}' use='system' format='${fmt}'/></storage>\n</image>\n`),
      ],
      result: { arch: n.arch, rootdev: 'sda1', task_id: taskId, logs: allLogs, name: n.name, version: n.version, release: n.release, files: [disk, xml] },
      moveNames: [disk, xml, ...allLogs],
      failureFiles: [textFile('appliance.log', log(`appliance-${n.arch}`, ['simulated failure (koji-sim fault injection)']))],
      failure: { faultCode: FAULT_CODES.ApplianceError, faultString: 'Could not create appliance' },
      diskSeed: n.diskSeed,
    };
  }
  const live = method === 'createLiveMedia';
  const iso = live ? `${n.name}-${n.arch}-${n.version}-${n.release}.iso` : `${nvr}.iso`;
  const toolLog = live ? 'livemedia-out.log' : 'livecd.log';
  const allLogs = [...logs, toolLog];
  return {
    files: [...allLogs.map((l) => textFile(l, log(`${l}-${n.arch}`, [`${live ? 'livemedia-creator' : 'livecd-creator'} ${nvr}`]))), { name: iso, kind: 'image', format: 'iso' }],
    result: { arch: n.arch, files: [iso], rootdev: null, task_id: taskId, logs: allLogs, name: n.name, version: n.version, release: n.release },
    moveNames: [iso, ...allLogs],
    failureFiles: [textFile(toolLog, log(`${toolLog}-${n.arch}`, ['simulated failure (koji-sim fault injection)']))],
    failure: live ? { faultCode: FAULT_CODES.LiveMediaError, faultString: 'livemedia-creator failed' } : { faultCode: FAULT_CODES.LiveCDError, faultString: 'LiveCD failed' },
    diskSeed: n.diskSeed,
    iso: { volumeId: n.name.slice(0, 32) },
  };
}
