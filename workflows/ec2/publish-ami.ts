// One image (family, release, arch) published as public AMIs in every configured region:
//   check the input (refuse before anything is created)
//   -> EBS snapshot from the raw file's non-zero blocks, on the host that staged it
//   -> wait until the snapshot is completed (timers)
//   -> RegisterImage in the source region, wait until available (timers)
//   -> one child workflow per region (copy, wait, tag, public, deprecation or deregistration
//      protection, the "latest" SSM parameter), a few at a time.
// A region that fails does not fail the others; the result lists each region's AMI or error.
// While failed regions remain, the workflow waits `retryWindowMs` for the retryRegions update,
// which runs only those regions again. Re-running the whole workflow creates nothing twice:
// every step looks up what an earlier run made.
//
// The steps live in publish-ami-steps.ts (before the regions) and publish-ami-regions.ts (the
// fan-out and the retry window); this file holds the input and result and the order of steps.
import { isRegionFailure, type RegionResult } from './definitions';
import type { ActivityRetryInput } from './activity-options';
import type { ImageKind, PollPolicy } from '../../domain/ec2';
import { regionFanOut } from './publish-ami-regions';
import { preflight, publishContext, refuseBadInput, registerSourceImage, uploadSnapshot, waitForSnapshot } from './publish-ami-steps';

export interface PublishAmiInput {
  /** Identity of the image content (build NVR + arch + sha256 …): one key, one snapshot and AMI. */
  imageKey: string;
  /** The staged raw image, on the host polling hostTaskQueue. */
  rawPath: string;
  hostTaskQueue: string;
  /** Fedora arch: x86_64 or aarch64 (arm64 in EC2). */
  arch: string;
  /** "44", "rawhide", … */
  release: string;
  family: string;
  kind: ImageKind;
  /** Compose or build id (tag FedoraCompose). */
  buildId: string;
  kojiTaskId: number;
  /** AMI name, e.g. Fedora-Cloud-Base-AmazonEC2.x86_64-44-1.7 (domain/ec2 amiName()). */
  name: string;
  description?: string;
  sourceRegion: string;
  regions: string[];
  maxConcurrentRegions: number;
  /** Deprecation after this many days; nightlies default to DEFAULT_NIGHTLY_DEPRECATE_DAYS. */
  deprecateAfterDays?: number;
  /** Default true. */
  makePublic?: boolean;
  /** How long failed regions wait for a retryRegions update before the workflow returns (default 1 h). */
  retryWindowMs?: number;
  /** PutSnapshotBlock calls in flight (default: the worker's config). */
  snapshotParallelism?: number;
  poll?: { snapshot?: Partial<PollPolicy>; image?: Partial<PollPolicy> };
  retry?: ActivityRetryInput;
  upload?: { heartbeatTimeoutMs?: number; startToCloseTimeoutMs?: number; scheduleToStartTimeoutMs?: number };
}

export interface PublishAmiResult {
  name: string;
  imageKey: string;
  arch: string;
  snapshotId: string;
  sourceImageId: string;
  /** One entry per input region, in input order. */
  regions: RegionResult[];
  /** region -> AMI id, successful regions only (the shape Fedora's messages use). */
  published: Record<string, string>;
  failedRegions: string[];
  /** How the snapshot went: blocks with data, blocks and bytes sent over all attempts. */
  upload: { dataBlocks: number; blocksSent: number; bytesSent: number; resumedFrom: string; volumeGiB: number };
}

export async function publishAmiWorkflow(input: PublishAmiInput): Promise<PublishAmiResult> {
  refuseBadInput(input);
  const ctx = publishContext(input);
  await preflight(ctx);
  const snap = await uploadSnapshot(ctx);
  await waitForSnapshot(ctx, snap.snapshotId);
  const source = await registerSourceImage(ctx, snap.snapshotId);
  const fanOut = regionFanOut(ctx, source);
  await fanOut.runAll();
  await fanOut.awaitRetriesAndClose();

  const regions = fanOut.results();
  return {
    name: input.name,
    imageKey: input.imageKey,
    arch: input.arch,
    snapshotId: snap.snapshotId,
    sourceImageId: source.imageId,
    regions,
    published: Object.fromEntries(regions.flatMap((r) => (isRegionFailure(r) ? [] : [[r.region, r.amiId]]))),
    failedRegions: regions.filter(isRegionFailure).map((r) => r.region),
    upload: { ...(ctx.progress.upload ?? { dataBlocks: 0, blocksSent: 0, bytesSent: 0, resumedFrom: 'none' }), volumeGiB: snap.volumeGiB },
  };
}
