// AMIs: register, copy, describe, share, tag, deprecate, deregister, list ours. Every creating
// call looks first: RegisterImage has no idempotency token, so the name (unique per account and
// region) is the key; CopyImage has ClientToken, which AWS honours and moto does not, so it looks
// the name up in the destination too.
import {
  CopyImageCommand,
  CreateTagsCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeRegionsCommand,
  EnableImageDeprecationCommand,
  EnableImageDeregistrationProtectionCommand,
  GetImageBlockPublicAccessStateCommand,
  ModifyImageAttributeCommand,
  RegisterImageCommand,
  type EC2Client,
  type Image,
} from '@aws-sdk/client-ec2';
import type { AmiSettings, Ec2Arch } from '../../domain/ec2';
import { awsErrorCode, classifyAwsError } from './errors';

export interface ImageInfo {
  imageId: string;
  name: string;
  /** pending | available | invalid | deregistered | transient | failed | error | disabled */
  state: string;
  stateReason: string | undefined;
  architecture: string | undefined;
  creationDate: string;
  deprecationTime: string | undefined;
  /** disabled | enabled-with-cooldown | enabled-without-cooldown | disabled-until <time> */
  deregistrationProtection: string | undefined;
  public: boolean;
  snapshotIds: string[];
  tags: Record<string, string>;
}

export function toImageInfo(img: Image): ImageInfo {
  return {
    imageId: img.ImageId ?? '',
    name: img.Name ?? '',
    state: img.State ?? 'unknown',
    stateReason: img.StateReason?.Message,
    architecture: img.Architecture,
    creationDate: img.CreationDate ?? '',
    deprecationTime: img.DeprecationTime,
    deregistrationProtection: img.DeregistrationProtection,
    public: img.Public ?? false,
    snapshotIds: (img.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs?.SnapshotId ? [m.Ebs.SnapshotId] : [])),
    tags: Object.fromEntries((img.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
  };
}

const GONE_STATES = new Set(['deregistered', 'failed', 'invalid', 'error']);

/** Our images with this exact name that are not gone or failed. */
export async function findImagesByName(ec2: EC2Client, name: string, signal?: AbortSignal): Promise<ImageInfo[]> {
  const out = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: [name] }] }), { abortSignal: signal });
  return (out.Images ?? []).map(toImageInfo).filter((i) => i.name === name && !GONE_STATES.has(i.state));
}

/** Images with the name that ended badly, so a new attempt can clear them away first. */
export async function findFailedImagesByName(ec2: EC2Client, name: string, signal?: AbortSignal): Promise<ImageInfo[]> {
  const out = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: [name] }] }), { abortSignal: signal });
  return (out.Images ?? []).map(toImageInfo).filter((i) => i.name === name && (i.state === 'failed' || i.state === 'invalid' || i.state === 'error'));
}

/** Undefined when EC2 does not know the image (yet: copies appear with some delay). */
export async function describeImage(ec2: EC2Client, imageId: string, signal?: AbortSignal): Promise<ImageInfo | undefined> {
  try {
    const out = await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }), { abortSignal: signal });
    const img = out.Images?.[0];
    return img ? toImageInfo(img) : undefined;
  } catch (err) {
    if (classifyAwsError(err) === 'not-found') return undefined;
    throw err;
  }
}

export interface RegisterParams {
  name: string;
  description: string;
  arch: Ec2Arch;
  snapshotId: string;
  settings: AmiSettings;
  tags: Record<string, string>;
}

/** RegisterImage's request for these parameters (exported so tests can check what is sent). */
export function registerImageRequest(p: RegisterParams) {
  const s = p.settings;
  return {
    Name: p.name,
    Description: p.description.slice(0, 255),
    Architecture: p.arch,
    RootDeviceName: s.rootDeviceName,
    BlockDeviceMappings: [{ DeviceName: s.rootDeviceName, Ebs: { SnapshotId: p.snapshotId, VolumeType: s.volumeType, DeleteOnTermination: true } }],
    VirtualizationType: 'hvm',
    EnaSupport: s.enaSupport,
    ...(s.sriovNetSupport ? { SriovNetSupport: 'simple' } : {}),
    BootMode: s.bootMode,
    ...(s.imdsV2Only ? { ImdsSupport: 'v2.0' as const } : {}),
    ...(s.tpm && s.bootMode === 'uefi' ? { TpmSupport: 'v2.0' as const } : {}),
    TagSpecifications: [{ ResourceType: 'image' as const, Tags: tagList(p.tags) }],
  };
}

/**
 * Registers the image unless one with the name exists. `ec2Once` must not retry on its own:
 * a retry after a lost answer could register twice on a backend without duplicate-name checks.
 */
export async function registerImage(ec2: EC2Client, ec2Once: EC2Client, p: RegisterParams, signal?: AbortSignal): Promise<{ imageId: string; created: boolean }> {
  const existing = await findImagesByName(ec2, p.name, signal);
  if (existing[0]) return { imageId: existing[0].imageId, created: false };
  try {
    const out = await ec2Once.send(new RegisterImageCommand(registerImageRequest(p)), { abortSignal: signal });
    if (!out.ImageId) throw new Error('RegisterImage returned no ImageId');
    return { imageId: out.ImageId, created: true };
  } catch (err) {
    if (awsErrorCode(err) !== 'InvalidAMIName.Duplicate') throw err;
    const again = await findImagesByName(ec2, p.name, signal);
    if (again[0]) return { imageId: again[0].imageId, created: false };
    // Registered by someone, not yet visible to DescribeImages: transient, look again later.
    throw Object.assign(new Error(`image "${p.name}" is registered but not visible yet`), { name: 'IncorrectState', $metadata: { httpStatusCode: 409 } });
  }
}

export interface CopyParams {
  sourceRegion: string;
  sourceImageId: string;
  name: string;
  description: string;
  clientToken: string;
}

/** Copies into the client's region unless an image with the name is already there. */
export async function copyImage(ec2Dest: EC2Client, ec2DestOnce: EC2Client, p: CopyParams, signal?: AbortSignal): Promise<{ imageId: string; created: boolean }> {
  const existing = await findImagesByName(ec2Dest, p.name, signal);
  if (existing[0]) return { imageId: existing[0].imageId, created: false };
  const out = await ec2DestOnce.send(
    new CopyImageCommand({
      SourceRegion: p.sourceRegion,
      SourceImageId: p.sourceImageId,
      Name: p.name,
      Description: p.description.slice(0, 255),
      ClientToken: p.clientToken.slice(0, 64),
      CopyImageTags: true,
    }),
    { abortSignal: signal },
  );
  if (!out.ImageId) throw new Error('CopyImage returned no ImageId');
  return { imageId: out.ImageId, created: true };
}

export async function setImagePublic(ec2: EC2Client, imageId: string, makePublic: boolean, signal?: AbortSignal): Promise<void> {
  const perm = [{ Group: 'all' as const }];
  await ec2.send(
    new ModifyImageAttributeCommand({ ImageId: imageId, LaunchPermission: makePublic ? { Add: perm } : { Remove: perm } }),
    { abortSignal: signal },
  );
}

/**
 * The account's image block public access state in the client's region: `block-new-sharing`
 * (the default of accounts made since late 2023: no image can be made public) or `unblocked`.
 */
export async function imageBlockPublicAccessState(ec2: EC2Client, signal?: AbortSignal): Promise<string> {
  const out = await ec2.send(new GetImageBlockPublicAccessStateCommand({}), { abortSignal: signal });
  return out.ImageBlockPublicAccessState ?? 'unblocked';
}

/**
 * Deregistration protection; with cooldown, the image stays protected for 24 h after someone
 * turns protection off, so a mistaken clean-up has a day to be noticed. Enabling it twice is harmless.
 */
export async function protectFromDeregistration(ec2: EC2Client, imageId: string, signal?: AbortSignal): Promise<void> {
  await ec2.send(new EnableImageDeregistrationProtectionCommand({ ImageId: imageId, WithCooldown: true }), { abortSignal: signal });
}

export async function tagResources(ec2: EC2Client, resourceIds: string[], tags: Record<string, string>, signal?: AbortSignal): Promise<void> {
  if (resourceIds.length === 0) return;
  await ec2.send(new CreateTagsCommand({ Resources: resourceIds, Tags: tagList(tags) }), { abortSignal: signal });
}

export async function deprecateImage(ec2: EC2Client, imageId: string, deprecateAt: string, signal?: AbortSignal): Promise<void> {
  await ec2.send(new EnableImageDeprecationCommand({ ImageId: imageId, DeprecateAt: new Date(deprecateAt) }), { abortSignal: signal });
}

/** Deregistering an image that is already gone counts as done. */
export async function deregisterImage(ec2: EC2Client, imageId: string, signal?: AbortSignal): Promise<boolean> {
  try {
    await ec2.send(new DeregisterImageCommand({ ImageId: imageId }), { abortSignal: signal });
    return true;
  } catch (err) {
    const code = awsErrorCode(err);
    // moto (and EC2 for a while after deregistration) answer Unavailable for a deregistered id.
    if (classifyAwsError(err) === 'not-found' || code === 'InvalidAMIID.Unavailable') return false;
    throw err;
  }
}

/** Our images carrying every tag in `tags`, all pages. */
export async function listImagesByTags(ec2: EC2Client, tags: Record<string, string>, signal?: AbortSignal): Promise<ImageInfo[]> {
  const found: ImageInfo[] = [];
  let NextToken: string | undefined;
  do {
    const out = await ec2.send(
      new DescribeImagesCommand({
        Owners: ['self'],
        Filters: Object.entries(tags).map(([k, v]) => ({ Name: `tag:${k}`, Values: [v] })),
        MaxResults: 1000,
        NextToken,
      }),
      { abortSignal: signal },
    );
    found.push(...(out.Images ?? []).map(toImageInfo));
    NextToken = out.NextToken;
  } while (NextToken);
  return found;
}

export interface RegionInfo {
  name: string;
  /** opt-in-not-required | opted-in | not-opted-in */
  optIn: string;
}

export async function listRegions(ec2: EC2Client, signal?: AbortSignal): Promise<RegionInfo[]> {
  const out = await ec2.send(new DescribeRegionsCommand({ AllRegions: true }), { abortSignal: signal });
  return (out.Regions ?? []).map((r) => ({ name: r.RegionName ?? '', optIn: r.OptInStatus ?? 'opt-in-not-required' }));
}

function tagList(tags: Record<string, string>) {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}
