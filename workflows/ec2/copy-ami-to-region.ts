// One region of an AMI's publication: copy the source image here (skipped in the source region),
// wait until it is available (workflow timers, back-off), then tag image and snapshots, make them
// public and set the deprecation date (one activity: few round trips per region keep a 20-region
// fan-out about as fast as one region). Each step is an idempotent activity, so a retried region
// (same workflow id, run again) picks up whatever an earlier run left.
//
// Release and RC images also get deregistration protection in that last activity (its input,
// not its place in the history, changed). Once the image is public, the region's "latest image"
// SSM parameter is pointed at it: a command added after runs were recorded, hence
// patched(LATEST_PARAMETER_PATCH); histories recorded without it replay without it.
import { patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Ec2Activities, Ec2LatestParameterResult, ImageInfo } from '../../activities/ec2';
import { IMAGE_POLL, type ImageKind, type PollPolicy } from '../../domain/ec2';
import { apiActivityOptions, resolvePoll, waitImageAvailable, type ActivityRetryInput } from './activity-options';
import { ec2RegionProgressQuery, type CopyRegionProgress } from './definitions';

export interface CopyAmiToRegionInput {
  region: string;
  sourceRegion: string;
  sourceImageId: string;
  /** The source image as last seen available (source region only: no copy, no wait). */
  sourceImage?: ImageInfo;
  name: string;
  description: string;
  tags: Record<string, string>;
  makePublic: boolean;
  /** ISO time; set for nightlies. */
  deprecateAt?: string;
  /** Deregistration protection with cooldown (release and RC images). */
  protectFromDeregistration?: boolean;
  /** Which "latest image" parameter this image may move; unset: none (runs started before it). */
  latestParameter?: { family: string; release: string; arch: string; kind: ImageKind; buildId: string };
  /** Identity of the image (its key); the activity derives CopyImage's ClientToken from it and the region. */
  clientToken: string;
  poll?: Partial<PollPolicy>;
  retry?: ActivityRetryInput;
}

export interface CopyAmiToRegionResult {
  region: string;
  amiId: string;
  /** The root snapshot; snapshotIds lists all of the image's. */
  snapshotId: string;
  snapshotIds: string[];
  /** False when an existing image was found (re-run) or this is the source region. */
  copied: boolean;
  /** The SSM parameter step's outcome, when it ran. */
  latestParameter?: Ec2LatestParameterResult;
}

/** Patch id: the ec2PublishLatestParameter activity after ec2FinishImage. */
export const LATEST_PARAMETER_PATCH = 'ec2-latest-parameter-v1';

export async function copyAmiToRegionWorkflow(input: CopyAmiToRegionInput): Promise<CopyAmiToRegionResult> {
  const act = proxyActivities<Ec2Activities>(apiActivityOptions(input.retry));
  const poll = resolvePoll(IMAGE_POLL, input.poll);
  const { region } = input;
  const progress: CopyRegionProgress = { region, status: 'copying', polls: 0 };
  setHandler(ec2RegionProgressQuery, () => progress);

  let amiId = input.sourceImageId;
  let copied = false;
  let image: ImageInfo | null = input.sourceImage ?? null;
  if (region !== input.sourceRegion) {
    const out = await act.ec2CopyImage({
      region,
      sourceRegion: input.sourceRegion,
      sourceImageId: input.sourceImageId,
      name: input.name,
      description: input.description,
      clientToken: input.clientToken,
    });
    amiId = out.imageId;
    copied = out.created;
    image = out.image;
  }
  progress.amiId = amiId;
  if (!image || image.imageId !== amiId || image.state !== 'available') {
    progress.status = 'waiting';
    image = await waitImageAvailable(() => act.ec2DescribeImage({ region, imageId: amiId }), poll, `image ${amiId} in ${region}`, (n) => {
      progress.polls = n;
    });
  }

  progress.status = 'publishing';
  const snapshotIds = image.snapshotIds;
  await act.ec2FinishImage({
    region,
    imageId: amiId,
    snapshotIds,
    tags: input.tags,
    makePublic: input.makePublic,
    ...(input.deprecateAt ? { deprecateAt: input.deprecateAt } : {}),
    ...(input.protectFromDeregistration ? { protectFromDeregistration: true } : {}),
  });
  // Only a public image may be what users resolve as the latest.
  let latestParameter: Ec2LatestParameterResult | undefined;
  if (input.makePublic && input.latestParameter && patched(LATEST_PARAMETER_PATCH)) {
    latestParameter = await act.ec2PublishLatestParameter({ region, imageId: amiId, ...input.latestParameter });
  }
  progress.status = 'done';
  return { region, amiId, snapshotId: snapshotIds[0] ?? '', snapshotIds, copied, ...(latestParameter ? { latestParameter } : {}) };
}
