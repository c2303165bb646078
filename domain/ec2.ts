// EC2 publishing as plain data and pure rules: architectures, AMI names and their constraints,
// registration settings, tags, deprecation dates, poll back-off, and the input check that refuses
// bad input before anything is created. No I/O: safe inside workflows.

/** The EBS direct APIs' fixed block size. moto reports 512; AWS documents and uses this. */
export const EBS_BLOCK_SIZE = 524_288;
export const GIB = 1024 ** 3;
/** Largest gp3 volume (the root volume type we register); also under StartSnapshot's 64 TiB. */
export const MAX_GP3_VOLUME_GIB = 16_384;

export const IMAGE_KINDS = ['nightly', 'weekly', 'rc', 'respin', 'release'] as const;
export type ImageKind = (typeof IMAGE_KINDS)[number];

/** Fedora's arch names that EC2 can run, and EC2's name for each. */
export const EC2_ARCH_OF = { x86_64: 'x86_64', aarch64: 'arm64' } as const;
export type Ec2FedoraArch = keyof typeof EC2_ARCH_OF;
export type Ec2Arch = (typeof EC2_ARCH_OF)[Ec2FedoraArch];

export function ec2ArchOf(arch: string): Ec2Arch | undefined {
  return Object.hasOwn(EC2_ARCH_OF, arch) ? EC2_ARCH_OF[arch as Ec2FedoraArch] : undefined;
}

export type BootMode = 'uefi' | 'uefi-preferred' | 'legacy-bios';

/** What RegisterImage is told besides name and snapshot; configurable per family and arch. */
export interface AmiSettings {
  bootMode: BootMode;
  /** NitroTPM; EC2 accepts it only with bootMode 'uefi'. */
  tpm: boolean;
  imdsV2Only: boolean;
  enaSupport: boolean;
  sriovNetSupport: boolean;
  volumeType: 'gp3' | 'gp2' | 'io1' | 'io2' | 'standard';
  rootDeviceName: string;
}

export type AmiSettingsOverride = Partial<AmiSettings>;

/** The uploader's current choices: gp3, ENA, IMDSv2 only, uefi-preferred on x86_64, uefi on arm64. */
export function defaultAmiSettings(arch: Ec2Arch): AmiSettings {
  return {
    bootMode: arch === 'arm64' ? 'uefi' : 'uefi-preferred',
    tpm: false,
    imdsV2Only: true,
    enaSupport: true,
    sriovNetSupport: true,
    volumeType: 'gp3',
    rootDeviceName: '/dev/sda1',
  };
}

/** Defaults, then the config's defaults, then the family's, then its per-arch settings. */
export function resolveAmiSettings(arch: Ec2Arch, ...layers: Array<AmiSettingsOverride | undefined>): AmiSettings {
  const out = { ...defaultAmiSettings(arch) };
  for (const l of layers) if (l) Object.assign(out, Object.fromEntries(Object.entries(l).filter(([, v]) => v !== undefined)));
  return out;
}

export function amiSettingsProblems(s: AmiSettings, arch: Ec2Arch): string[] {
  const problems: string[] = [];
  if (s.tpm && s.bootMode !== 'uefi') problems.push(`TPM needs bootMode "uefi" (got "${s.bootMode}")`);
  if (arch === 'arm64' && s.bootMode !== 'uefi') problems.push(`arm64 images boot only with "uefi" (got "${s.bootMode}")`);
  if (!/^\/dev\/(sd[a-z]1?|xvd[a-z])$/.test(s.rootDeviceName)) problems.push(`root device "${s.rootDeviceName}" is not a device name`);
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Names

/**
 * Fedora's AMI name: `<build name>.<arch>-<version>-<release>`, e.g.
 * `Fedora-Cloud-Base-AmazonEC2.x86_64-44-1.7`, `Fedora-Cloud-Base-AmazonEC2.x86_64-Rawhide-20261122.n.0`.
 */
export function amiName(p: { buildName: string; arch: string; version: string; release: string }): string {
  return `${p.buildName}.${p.arch}-${p.version}-${p.release}`;
}

/** EC2's rule: 3–128 characters of letters, digits, ( ) [ ] space . / - ' @ _ */
export function amiNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 128) return `AMI name must be 3-128 characters (got ${name.length})`;
  const bad = [...new Set(name.replace(/[A-Za-z0-9()[\] ./\-'@_]/g, ''))];
  if (bad.length > 0) return `AMI name "${name}" has characters EC2 refuses: ${bad.map((c) => JSON.stringify(c)).join(' ')}`;
  return undefined;
}

export const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d$/;

// ---------------------------------------------------------------------------------------------
// Tags

export const MANAGED_TAG = 'fedimg:managed';
export const IMAGE_KEY_TAG = 'fedimg:image-key';
export const CLIENT_TOKEN_TAG = 'fedimg:client-token';
/** Set by hand (or a release process) on images retention must never touch. */
export const PROTECTED_TAG = 'fedimg:protected';

export interface AmiIdentity {
  imageKey: string;
  name: string;
  family: string;
  release: string;
  arch: string;
  kind: ImageKind;
  buildId: string;
  kojiTaskId: number;
}

/** Tags on every image and snapshot, in every region. */
export function amiTags(id: AmiIdentity): Record<string, string> {
  return {
    Name: id.name,
    FedoraRelease: id.release,
    FedoraCompose: id.buildId,
    FedoraFamily: id.family,
    Arch: id.arch,
    ImageKind: id.kind,
    KojiTaskId: String(id.kojiTaskId),
    [MANAGED_TAG]: 'true',
    [IMAGE_KEY_TAG]: id.imageKey.slice(0, 256),
  };
}

// ---------------------------------------------------------------------------------------------
// Input check

export interface PublishAmiCheckInput {
  imageKey: string;
  arch: string;
  kind: string;
  name: string;
  sourceRegion: string;
  regions: string[];
  maxConcurrentRegions: number;
  kojiTaskId: number;
  deprecateAfterDays?: number;
}

export interface InputProblem {
  /** Stable reason, used as the failure type's suffix. */
  reason: 'unsupported-arch' | 'bad-name' | 'unknown-region' | 'invalid-input';
  message: string;
}

/** Every problem that can be seen without calling AWS; empty means go ahead. */
export function publishAmiInputProblems(input: PublishAmiCheckInput): InputProblem[] {
  const out: InputProblem[] = [];
  if (!ec2ArchOf(input.arch)) {
    out.push({ reason: 'unsupported-arch', message: `EC2 has no image architecture for "${input.arch}" (supported: ${Object.keys(EC2_ARCH_OF).join(', ')})` });
  }
  const nameProblem = amiNameProblem(input.name);
  if (nameProblem) out.push({ reason: 'bad-name', message: nameProblem });
  for (const r of [input.sourceRegion, ...input.regions]) {
    if (!REGION_RE.test(r)) out.push({ reason: 'unknown-region', message: `"${r}" is not an AWS region name` });
  }
  if (new Set(input.regions).size !== input.regions.length) out.push({ reason: 'invalid-input', message: 'regions are listed twice' });
  if (input.regions.length === 0) out.push({ reason: 'invalid-input', message: 'no regions to publish to' });
  if (!(IMAGE_KINDS as readonly string[]).includes(input.kind)) out.push({ reason: 'invalid-input', message: `unknown image kind "${input.kind}"` });
  if (!input.imageKey) out.push({ reason: 'invalid-input', message: 'imageKey is empty' });
  if (!Number.isInteger(input.maxConcurrentRegions) || input.maxConcurrentRegions < 1) {
    out.push({ reason: 'invalid-input', message: 'maxConcurrentRegions must be a positive integer' });
  }
  if (!Number.isInteger(input.kojiTaskId) || input.kojiTaskId < 0) out.push({ reason: 'invalid-input', message: 'kojiTaskId must be a non-negative integer' });
  const d = input.deprecateAfterDays;
  // Public AMIs can be deprecated at most two years after creation.
  if (d !== undefined && (!Number.isFinite(d) || d <= 0 || d > 730)) out.push({ reason: 'invalid-input', message: 'deprecateAfterDays must be in (0, 730]' });
  return out;
}

export function volumeGiBFor(sizeBytes: number): number {
  return Math.max(1, Math.ceil(sizeBytes / GIB));
}

// ---------------------------------------------------------------------------------------------
// Time

/** Nightlies are deprecated after this many days unless the caller says otherwise. */
export const DEFAULT_NIGHTLY_DEPRECATE_DAYS = 30;

export function deprecateAfterDaysFor(kind: ImageKind, given: number | undefined): number | undefined {
  return given ?? (kind === 'nightly' ? DEFAULT_NIGHTLY_DEPRECATE_DAYS : undefined);
}

/** EC2 rounds DeprecateAt to the minute; do it ourselves so every region gets the same instant. */
export function deprecationTime(fromMs: number, days: number): string {
  const ms = fromMs + days * 86_400_000;
  return new Date(Math.ceil(ms / 60_000) * 60_000).toISOString();
}

export interface PollPolicy {
  initialMs: number;
  maxMs: number;
  /** Give up waiting after this long. */
  timeoutMs: number;
}

export const SNAPSHOT_POLL: PollPolicy = { initialMs: 5_000, maxMs: 60_000, timeoutMs: 6 * 3_600_000 };
export const IMAGE_POLL: PollPolicy = { initialMs: 10_000, maxMs: 120_000, timeoutMs: 4 * 3_600_000 };

/** Back-off between polls: ×1.5 per attempt from initialMs, capped at maxMs. */
export function pollDelayMs(attempt: number, p: Pick<PollPolicy, 'initialMs' | 'maxMs'>): number {
  return Math.min(p.maxMs, Math.round(p.initialMs * 1.5 ** Math.max(0, attempt)));
}

// ---------------------------------------------------------------------------------------------
// "Latest image" parameters (SSM Parameter Store, data type aws:ec2:image)

/** Where the parameters live unless config.aws.latestParameters.prefix says otherwise. */
export const DEFAULT_LATEST_PARAMETER_PREFIX = '/fedora';

/** SSM's rule for a hierarchy: /a/b, letters, digits and _ . - ; AWS reserves the aws and ssm prefixes. */
export function latestParameterPrefixProblem(prefix: string): string | undefined {
  if (!/^(\/[A-Za-z0-9_.-]+)+$/.test(prefix)) return `"${prefix}" is not an SSM parameter path such as /fedora (slash-separated letters, digits, _ . -, no trailing slash)`;
  if (/^\/(aws|ssm)/i.test(prefix)) return `"${prefix}" starts with aws or ssm, which AWS reserves for its own parameters`;
  return undefined;
}

/**
 * Which pointer an image moves: releases (and respins of a release) move `latest`; the other
 * kinds move their own, so a nightly never replaces the release users resolve by default.
 */
export function latestParameterLeaf(kind: ImageKind): string {
  return kind === 'release' || kind === 'respin' ? 'latest' : kind;
}

/** `<prefix>/<family>/<release>/<arch>/<latest|nightly|weekly|rc>`, e.g. /fedora/Cloud-Base-AmazonEC2/44/x86_64/latest. */
export function latestParameterName(prefix: string, p: { family: string; release: string; arch: string; kind: ImageKind }): string {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');
  return `${prefix}/${clean(p.family)}/${clean(p.release.toLowerCase())}/${clean(p.arch)}/${latestParameterLeaf(p.kind)}`;
}

/** Kinds whose AMIs get deregistration protection: the ones users build on for months. */
export function protectsFromDeregistration(kind: ImageKind): boolean {
  return kind === 'release' || kind === 'rc';
}
