// EC2 publishing adapted to Temporal. Thin: the clients in clients/aws do the work; here the
// snapshot upload heartbeats its resume state and stops on cancellation, and errors become
// ApplicationFailures with the stable types of domain/ec2-errors.ts (final ones non-retryable).
//
// Where they run: ec2Preflight and ec2UploadSnapshot read the staged raw file, so the workflow
// schedules them on the task queue of the host that staged it; the rest are API calls and run on
// the orchestration queue. Every activity is idempotent (look-ups before creates, client tokens).
// Waiting (snapshot completed, image available) is the workflow's, with timers; no activity sleeps.
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import {
  amiNameProblem,
  amiSettingsProblems,
  DEFAULT_LATEST_PARAMETER_PREFIX,
  ec2ArchOf,
  latestParameterName,
  resolveAmiSettings,
  volumeGiBFor,
  MAX_GP3_VOLUME_GIB,
  REGION_RE,
  type AmiSettings,
  type AmiSettingsOverride,
  type Ec2FedoraArch,
  type ImageKind,
} from '../domain/ec2';
import { Ec2FailureType, failureTypeForReason } from '../domain/ec2-errors';
import type { ManagedImage } from '../domain/ec2-retention';
import type { AwsClients } from '../clients/aws/clients';
import { Ec2InputError, Ec2PublicSharingBlockedError, Ec2ResourceStateError, classifyAwsError, describeAwsError, awsErrorCode, httpStatusOf } from '../clients/aws/errors';
import {
  copyImage,
  deprecateImage,
  deregisterImage,
  describeImage,
  findFailedImagesByName,
  imageBlockPublicAccessState,
  listImagesByTags,
  listRegions,
  protectFromDeregistration,
  registerImage,
  setImagePublic,
  tagResources,
  type ImageInfo,
} from '../clients/aws/images';
import { writeLatestParameter, type LatestParameterOutcome } from '../clients/aws/latest-parameter';
import { fileSize } from '../clients/aws/raw-blocks';
import { clientTokenFor, uploadSnapshot, type SnapshotUploadState, type UploadSnapshotResult } from '../clients/aws/snapshot-upload';
import { deleteSnapshot, describeSnapshot, setSnapshotPublic } from '../clients/aws/snapshots';

export type { ImageInfo } from '../clients/aws/images';
export type { UploadSnapshotResult, SnapshotUploadState } from '../clients/aws/snapshot-upload';

export interface FamilyAmiSettings extends AmiSettingsOverride {
  arches?: Partial<Record<Ec2FedoraArch, AmiSettingsOverride>>;
}

export interface Ec2ActivityDeps {
  /** Per-region EC2/EBS clients; the worker builds them from config.aws (endpoint, attempts). */
  clients: AwsClients;
  /** config.aws.images: RegisterImage settings for every family, then per family and arch. */
  images?: { defaults?: AmiSettingsOverride; families?: Record<string, FamilyAmiSettings> };
  /** config.aws.snapshot. */
  snapshot?: { parallelism?: number; maxVolumeGiB?: number };
  /** Heartbeat at least this often during an upload even when no block finishes (default 5 s). */
  heartbeatEveryMs?: number;
  /** config.aws.latestParameters: the "latest image" SSM parameters (default on, under /fedora). */
  latestParameters?: { enabled?: boolean; prefix?: string };
}

export interface Ec2PreflightInput {
  rawPath: string;
  arch: string;
  name: string;
  sourceRegion: string;
  regions: string[];
  family: string;
}

export interface Ec2PreflightResult {
  sizeBytes: number;
  /** Bytes the file occupies on disk (its data, roughly, for a sparse file). */
  allocatedBytes: number;
  volumeGiB: number;
  settings: AmiSettings;
}

export interface Ec2UploadSnapshotInput {
  /** Identity of the image content (e.g. build NVR + arch + sha256): one key, one snapshot. */
  imageKey: string;
  rawPath: string;
  region: string;
  description: string;
  tags: Record<string, string>;
  /** Overrides deps.snapshot.parallelism. */
  parallelism?: number;
}

export interface Ec2SnapshotState {
  state: string;
  progress: string | undefined;
  message: string | undefined;
}

export interface Ec2RegisterImageInput {
  region: string;
  name: string;
  description: string;
  snapshotId: string;
  arch: string;
  family: string;
  tags: Record<string, string>;
}

export interface Ec2CopyImageInput {
  region: string;
  sourceRegion: string;
  sourceImageId: string;
  name: string;
  description: string;
  /** Identity of the copy (e.g. the image key); hashed with the region into CopyImage's ClientToken. */
  clientToken: string;
}

export interface Ec2ImageRef {
  region: string;
  imageId: string;
}

export interface Ec2TagInput extends Ec2ImageRef {
  snapshotIds: string[];
  tags: Record<string, string>;
}

export interface Ec2VisibilityInput extends Ec2ImageRef {
  snapshotIds: string[];
  public: boolean;
}

export interface Ec2DeprecateInput extends Ec2ImageRef {
  /** ISO time. */
  deprecateAt: string;
}

export interface Ec2FinishInput extends Ec2ImageRef {
  snapshotIds: string[];
  tags: Record<string, string>;
  makePublic: boolean;
  /** ISO time; unset: no deprecation. */
  deprecateAt?: string;
  /** Deregistration protection with cooldown (release and RC images). Unset in runs recorded before it. */
  protectFromDeregistration?: boolean;
}

export interface Ec2LatestParameterInput extends Ec2ImageRef {
  family: string;
  release: string;
  arch: string;
  kind: ImageKind;
  /** Compose or build id, shown in the parameter's description. */
  buildId: string;
}

export interface Ec2LatestParameterResult {
  /** Unset when the parameters are turned off in config. */
  name?: string;
  outcome: LatestParameterOutcome | 'disabled';
  /** The AMI the parameter named before. */
  previous?: string;
}

export interface Ec2DeregisterResult {
  deregistered: boolean;
  snapshotsDeleted: string[];
}

const DEFAULT_PARALLELISM = 16;

export function createEc2Activities(deps: Ec2ActivityDeps) {
  const { clients } = deps;
  const maxVolumeGiB = deps.snapshot?.maxVolumeGiB ?? MAX_GP3_VOLUME_GIB;

  const settingsFor = (family: string, arch: string): AmiSettings => {
    const ec2Arch = ec2ArchOf(arch);
    if (!ec2Arch) throw new Ec2InputError('unsupported-arch', `EC2 has no image architecture for "${arch}"`);
    const fam = deps.images?.families?.[family];
    const { arches: _arches, ...famDefaults } = fam ?? {};
    const settings = resolveAmiSettings(ec2Arch, deps.images?.defaults, famDefaults, fam?.arches?.[arch as Ec2FedoraArch]);
    const problems = amiSettingsProblems(settings, ec2Arch);
    if (problems.length > 0) throw new Ec2InputError('invalid-input', `image settings of family ${family} (${arch}): ${problems.join('; ')}`);
    return settings;
  };

  return {
    /** Refuses what would fail later, before anything exists in AWS. Runs on the staging host. */
    async ec2Preflight(input: Ec2PreflightInput): Promise<Ec2PreflightResult> {
      return guard(async (signal) => {
        const nameProblem = amiNameProblem(input.name);
        if (nameProblem) throw new Ec2InputError('bad-name', nameProblem);
        const settings = settingsFor(input.family, input.arch);
        const bad = [input.sourceRegion, ...input.regions].filter((r) => !REGION_RE.test(r));
        if (bad.length > 0) throw new Ec2InputError('unknown-region', `not AWS region names: ${bad.join(', ')}`);
        const file = await fileSize(input.rawPath).catch((err: NodeJS.ErrnoException) => {
          throw new Ec2InputError('source-missing', `the staged raw image ${input.rawPath} is not readable here (${err.code ?? err.message})`);
        });
        const volumeGiB = volumeGiBFor(file.size);
        if (file.size === 0) throw new Ec2InputError('invalid-input', `the staged raw image ${input.rawPath} is empty`);
        if (volumeGiB > maxVolumeGiB) {
          throw new Ec2InputError('snapshot-too-large', `the raw image needs a ${volumeGiB} GiB volume; the limit is ${maxVolumeGiB} GiB`);
        }
        const known = new Map((await listRegions(clients.ec2(input.sourceRegion), signal)).map((r) => [r.name, r.optIn]));
        const unknown = [input.sourceRegion, ...input.regions].filter((r) => !known.has(r));
        if (unknown.length > 0) throw new Ec2InputError('unknown-region', `EC2 does not know the region(s) ${unknown.join(', ')}`);
        const off = [input.sourceRegion, ...input.regions].filter((r) => known.get(r) === 'not-opted-in');
        if (off.length > 0) throw new Ec2InputError('unknown-region', `the account has not enabled the region(s) ${off.join(', ')}`);
        return { sizeBytes: file.size, allocatedBytes: file.allocated, volumeGiB, settings };
      });
    },

    /** EBS direct upload of the raw file's non-zero blocks; resumes from its heartbeat details. */
    async ec2UploadSnapshot(input: Ec2UploadSnapshotInput): Promise<UploadSnapshotResult> {
      const ctx = Context.current();
      const resume = parseUploadState(ctx.info.heartbeatDetails);
      let last: SnapshotUploadState | undefined = resume;
      const timer = setInterval(() => ctx.heartbeat(last), deps.heartbeatEveryMs ?? 5_000);
      try {
        return await guard(() =>
          uploadSnapshot({
            ebs: clients.ebs(input.region),
            ebsOnce: clients.ebsOnce(input.region),
            ec2: clients.ec2(input.region),
            rawPath: input.rawPath,
            clientToken: clientTokenFor('ebs-snapshot', input.imageKey),
            tags: input.tags,
            description: input.description,
            parallelism: input.parallelism ?? deps.snapshot?.parallelism ?? DEFAULT_PARALLELISM,
            ...(resume ? { resume } : {}),
            signal: ctx.cancellationSignal,
            onProgress: (state) => {
              last = state;
              ctx.heartbeat(state);
            },
          }),
        );
      } finally {
        clearInterval(timer);
      }
    },

    async ec2DescribeSnapshot(input: { region: string; snapshotId: string }): Promise<Ec2SnapshotState> {
      return guard(async (signal) => {
        const info = await describeSnapshot(clients.ec2(input.region), input.snapshotId, signal);
        return { state: info?.state ?? 'not-found', progress: info?.progress, message: info?.stateMessage };
      });
    },

    /** Registers the AMI in its region unless the name exists; tags image and snapshot either way. */
    async ec2RegisterImage(input: Ec2RegisterImageInput): Promise<{ imageId: string; created: boolean }> {
      return guard(async (signal) => {
        const arch = ec2ArchOf(input.arch);
        if (!arch) throw new Ec2InputError('unsupported-arch', `EC2 has no image architecture for "${input.arch}"`);
        const nameProblem = amiNameProblem(input.name);
        if (nameProblem) throw new Ec2InputError('bad-name', nameProblem);
        const settings = settingsFor(input.family, input.arch);
        const ec2 = clients.ec2(input.region);
        const out = await registerImage(
          ec2,
          clients.ec2Once(input.region),
          { name: input.name, description: input.description, arch, snapshotId: input.snapshotId, settings, tags: input.tags },
          signal,
        );
        // TagSpecifications covers AWS; moto ignores it, and a found image may predate the tags.
        await tagResources(ec2, [out.imageId, input.snapshotId], input.tags, signal);
        return out;
      });
    },

    /**
     * Copies the source image into input.region unless an image with the name is there, and
     * reports the image's state right away (null while EC2 does not show it yet), which saves
     * the workflow its first poll when a re-run finds the image available.
     */
    async ec2CopyImage(input: Ec2CopyImageInput): Promise<{ imageId: string; created: boolean; image: ImageInfo | null }> {
      return guard(async (signal) => {
        const ec2 = clients.ec2(input.region);
        // A copy that failed keeps its name; clear it so the new attempt can take the name.
        for (const failed of await findFailedImagesByName(ec2, input.name, signal)) {
          await deregisterImage(ec2, failed.imageId, signal);
        }
        const out = await copyImage(ec2, clients.ec2Once(input.region), { ...input, clientToken: clientTokenFor('copy-image', input.clientToken, input.region) }, signal);
        return { ...out, image: (await describeImage(ec2, out.imageId, signal)) ?? null };
      });
    },

    /** The image as EC2 reports it, or null when EC2 does not know it (yet). */
    async ec2DescribeImage(input: Ec2ImageRef): Promise<ImageInfo | null> {
      return guard(async (signal) => (await describeImage(clients.ec2(input.region), input.imageId, signal)) ?? null);
    },

    async ec2TagImage(input: Ec2TagInput): Promise<void> {
      return guard((signal) => tagResources(clients.ec2(input.region), [input.imageId, ...input.snapshotIds], input.tags, signal));
    },

    /** Launch permission for everyone on the image, create-volume permission on its snapshots. */
    async ec2SetImagePublic(input: Ec2VisibilityInput): Promise<void> {
      return guard(async (signal) => {
        const ec2 = clients.ec2(input.region);
        if (input.public) {
          // Snapshots first: a public image whose snapshot cannot be copied is half published.
          for (const s of input.snapshotIds) await setSnapshotPublic(ec2, s, true, signal);
          await setImagePublic(ec2, input.imageId, true, signal);
        } else {
          await setImagePublic(ec2, input.imageId, false, signal);
          for (const s of input.snapshotIds) await setSnapshotPublic(ec2, s, false, signal);
        }
      });
    },

    /**
     * A region's last steps in one activity: tags on the image and its snapshots, public launch
     * and create-volume permissions, the deprecation date. Each is idempotent.
     */
    async ec2FinishImage(input: Ec2FinishInput): Promise<void> {
      return guard(async (signal) => {
        const ec2 = clients.ec2(input.region);
        await tagResources(ec2, [input.imageId, ...input.snapshotIds], input.tags, signal);
        if (input.makePublic) {
          // Asked first: ModifyImageAttribute would fail with an access error that reads like a
          // missing permission; this names the setting and the way out.
          if ((await imageBlockPublicAccessState(ec2, signal)) === 'block-new-sharing') throw new Ec2PublicSharingBlockedError(input.region);
          for (const s of input.snapshotIds) await setSnapshotPublic(ec2, s, true, signal);
          await setImagePublic(ec2, input.imageId, true, signal);
        }
        if (input.deprecateAt) await deprecateImage(ec2, input.imageId, input.deprecateAt, signal);
        if (input.protectFromDeregistration) await protectFromDeregistration(ec2, input.imageId, signal);
      });
    },

    /**
     * Points the family/release/arch "latest" SSM parameter of the region at this image, unless it
     * already names a newer one. Call only once the image is public: users resolve it directly.
     */
    async ec2PublishLatestParameter(input: Ec2LatestParameterInput): Promise<Ec2LatestParameterResult> {
      if (deps.latestParameters?.enabled === false) return { outcome: 'disabled' };
      return guard(async (signal) => {
        const ec2 = clients.ec2(input.region);
        const image = await describeImage(ec2, input.imageId, signal);
        if (!image) throw Object.assign(new Error(`image ${input.imageId} is not visible in ${input.region} yet`), { name: 'InvalidAMIID.Unavailable', $metadata: { httpStatusCode: 400 } });
        const name = latestParameterName(deps.latestParameters?.prefix ?? DEFAULT_LATEST_PARAMETER_PREFIX, input);
        const out = await writeLatestParameter(
          clients.ssm(input.region),
          ec2,
          { name, imageId: input.imageId, creationDate: image.creationDate, description: `${image.name} (${input.buildId})` },
          signal,
        );
        return { name, ...out };
      });
    },

    async ec2DeprecateImage(input: Ec2DeprecateInput): Promise<void> {
      return guard((signal) => deprecateImage(clients.ec2(input.region), input.imageId, input.deprecateAt, signal));
    },

    /** Every image in the region tagged fedimg:managed=true, for retention to judge. */
    async ec2ListManagedImages(input: { region: string }): Promise<ManagedImage[]> {
      return guard(async (signal) => {
        const found = await listImagesByTags(clients.ec2(input.region), { 'fedimg:managed': 'true' }, signal);
        return found.map((i) => ({
          region: input.region,
          imageId: i.imageId,
          name: i.name,
          state: i.state,
          creationDate: i.creationDate,
          ...(i.deprecationTime ? { deprecationTime: i.deprecationTime } : {}),
          ...(i.deregistrationProtection ? { deregistrationProtection: i.deregistrationProtection } : {}),
          public: i.public,
          snapshotIds: i.snapshotIds,
          tags: i.tags,
        }));
      });
    },

    /** Deregisters the image, then deletes its snapshots; both idempotent. */
    async ec2DeregisterImage(input: Ec2ImageRef & { snapshotIds: string[] }): Promise<Ec2DeregisterResult> {
      return guard(async (signal) => {
        const ec2 = clients.ec2(input.region);
        const deregistered = await deregisterImage(ec2, input.imageId, signal);
        const snapshotsDeleted: string[] = [];
        for (const s of input.snapshotIds) if (await deleteSnapshot(ec2, s, signal)) snapshotsDeleted.push(s);
        return { deregistered, snapshotsDeleted };
      });
    },
  };
}

export type Ec2Activities = ReturnType<typeof createEc2Activities>;

/** Runs `fn` with the activity's cancellation signal and maps what it throws. */
async function guard<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const signal = Context.current().cancellationSignal;
  try {
    return await fn(signal);
  } catch (err) {
    throw toFailure(err, signal);
  }
}

function toFailure(err: unknown, signal: AbortSignal): unknown {
  if (signal.aborted) return signal.reason instanceof CancelledFailure ? signal.reason : new CancelledFailure('cancelled', [], err as Error);
  if (err instanceof ApplicationFailure || err instanceof CancelledFailure) return err;
  if (err instanceof Ec2InputError) return ApplicationFailure.create({ message: err.message, type: failureTypeForReason(err.reason), nonRetryable: true });
  if (err instanceof Ec2PublicSharingBlockedError) {
    return ApplicationFailure.create({ message: err.message, type: Ec2FailureType.PublicSharingBlocked, nonRetryable: true, details: [{ region: err.region, setting: 'image block public access' }] });
  }
  if (err instanceof Ec2ResourceStateError) {
    return ApplicationFailure.create({ message: err.message, type: Ec2FailureType.ResourceFailed, nonRetryable: true, details: [{ id: err.resourceId, state: err.state }] });
  }
  const errno = (err as NodeJS.ErrnoException | undefined)?.code;
  if (errno === 'ENOENT' || errno === 'EACCES') {
    return ApplicationFailure.create({ message: (err as Error).message, type: Ec2FailureType.SourceMissing, nonRetryable: true });
  }
  const details = [{ code: awsErrorCode(err) ?? null, status: httpStatusOf(err) ?? null }];
  const message = describeAwsError(err);
  const cause = err instanceof Error ? err : undefined;
  if (classifyAwsError(err) === 'final') return ApplicationFailure.create({ message, type: Ec2FailureType.Rejected, nonRetryable: true, details, cause });
  return ApplicationFailure.create({ message, type: Ec2FailureType.Transient, nonRetryable: false, details, cause });
}

function parseUploadState(details: unknown): SnapshotUploadState | undefined {
  if (!details || typeof details !== 'object') return undefined;
  const d = details as Partial<SnapshotUploadState>;
  const b = d.blocks;
  const ok =
    typeof d.snapshotId === 'string' &&
    (d.phase === 'uploading' || d.phase === 'completing') &&
    !!b &&
    Number.isInteger(b.watermark) &&
    Array.isArray(b.above) &&
    b.above.every((i) => Number.isInteger(i)) &&
    Number.isInteger(b.dataBelow) &&
    typeof d.blocksSent === 'number' &&
    typeof d.bytesSent === 'number';
  return ok ? (d as SnapshotUploadState) : undefined;
}
