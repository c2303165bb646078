// The steps of publishAmiWorkflow before the regions, each named for what it does. They share a
// PublishContext (the activity proxies, the tags and description every resource gets, the
// progress the query shows) instead of long positional lists. The order of the activities they
// schedule is the workflow's command order: recorded histories replay against it.
import { ApplicationFailure, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Ec2Activities, UploadSnapshotResult } from '../../activities/ec2';
import { IMAGE_POLL, SNAPSHOT_POLL, amiTags, deprecateAfterDaysFor, deprecationTime, publishAmiInputProblems, type PollPolicy } from '../../domain/ec2';
import { EC2_NON_RETRYABLE, failureTypeForReason } from '../../domain/ec2-errors';
import { apiActivityOptions, resolvePoll, waitImageAvailable, waitSnapshotCompleted } from './activity-options';
import { ec2ProgressQuery, type PublishAmiProgress, type RegionProgress } from './definitions';
import type { PublishAmiInput } from './publish-ami';
import type { ImageInfo } from '../../activities/ec2';

export interface PublishContext {
  input: PublishAmiInput;
  workflowId: string;
  /** API calls on the orchestration queue. */
  act: Ec2Activities;
  /** Short calls on the staging host (the preflight reads the file). */
  host: Ec2Activities;
  /** The long, heartbeating snapshot upload on the staging host. */
  uploader: Ec2Activities;
  tags: Record<string, string>;
  description: string;
  /** ISO time for nightlies; unset for the kinds that are not deprecated. */
  deprecateAt: string | undefined;
  imagePoll: PollPolicy;
  progress: PublishAmiProgress;
  regionProgress(region: string): RegionProgress;
}

export interface SourceImage {
  imageId: string;
  /** As last seen available: the source region's child needs no copy and no wait. */
  image: ImageInfo;
}

/** Refuses what can be seen to be wrong without calling AWS, before anything is created. */
export function refuseBadInput(input: PublishAmiInput): void {
  const problems = publishAmiInputProblems(input);
  if (problems[0]) {
    throw ApplicationFailure.create({
      message: `refused before anything was created: ${problems.map((p) => p.message).join('; ')}`,
      type: failureTypeForReason(problems[0].reason),
      nonRetryable: true,
    });
  }
}

/** Proxies, tags, description, deprecation date and the progress query of one publication. */
export function publishContext(input: PublishAmiInput): PublishContext {
  const startedMs = Date.now();
  const retry = input.retry ?? {};
  const act = proxyActivities<Ec2Activities>(apiActivityOptions(retry));
  const host = proxyActivities<Ec2Activities>({ ...apiActivityOptions(retry, input.hostTaskQueue), scheduleToStartTimeout: input.upload?.scheduleToStartTimeoutMs ?? 30 * 60_000 });
  const uploader = proxyActivities<Ec2Activities>({
    taskQueue: input.hostTaskQueue,
    startToCloseTimeout: input.upload?.startToCloseTimeoutMs ?? 4 * 3_600_000,
    // The heartbeat proves progress and carries the resume state; a dead host is noticed here.
    heartbeatTimeout: input.upload?.heartbeatTimeoutMs ?? 120_000,
    scheduleToStartTimeout: input.upload?.scheduleToStartTimeoutMs ?? 30 * 60_000,
    retry: {
      initialInterval: retry.initialIntervalMs ?? 5_000,
      backoffCoefficient: 2,
      maximumInterval: retry.maximumIntervalMs ?? 300_000,
      maximumAttempts: Math.max(retry.maximumAttempts ?? 10, 10),
      nonRetryableErrorTypes: [...EC2_NON_RETRYABLE],
    },
  });

  const days = deprecateAfterDaysFor(input.kind, input.deprecateAfterDays);
  const progress: PublishAmiProgress = {
    stage: 'checking',
    name: input.name,
    regions: input.regions.map((region) => ({ region, status: 'queued', runs: 0 })),
  };
  setHandler(ec2ProgressQuery, () => progress);
  return {
    input,
    workflowId: workflowInfo().workflowId,
    act,
    host,
    uploader,
    tags: amiTags({ ...input }),
    description: input.description ?? `${input.name} (${input.family}, Fedora ${input.release}, ${input.kind}, ${input.buildId})`,
    deprecateAt: days !== undefined ? deprecationTime(startedMs, days) : undefined,
    imagePoll: resolvePoll(IMAGE_POLL, input.poll?.image),
    progress,
    regionProgress: (region) => progress.regions.find((r) => r.region === region) as RegionProgress,
  };
}

/** What AWS would refuse later (region unknown or disabled, image too large), before creating. */
export async function preflight(ctx: PublishContext): Promise<void> {
  const { input } = ctx;
  await ctx.host.ec2Preflight({ rawPath: input.rawPath, arch: input.arch, name: input.name, sourceRegion: input.sourceRegion, regions: input.regions, family: input.family });
}

/** The EBS snapshot from the raw file's non-zero blocks, on the host that holds the file. */
export async function uploadSnapshot(ctx: PublishContext): Promise<UploadSnapshotResult> {
  const { input, progress } = ctx;
  progress.stage = 'uploading';
  const snap = await ctx.uploader.ec2UploadSnapshot({
    imageKey: input.imageKey,
    rawPath: input.rawPath,
    region: input.sourceRegion,
    description: ctx.description,
    tags: ctx.tags,
    ...(input.snapshotParallelism !== undefined ? { parallelism: input.snapshotParallelism } : {}),
  });
  progress.snapshotId = snap.snapshotId;
  progress.upload = { dataBlocks: snap.dataBlocks, blocksSent: snap.blocksSentTotal, bytesSent: snap.bytesSentTotal, resumedFrom: snap.resumedFrom };
  return snap;
}

/** Polls on workflow timers until EBS says the snapshot is completed. */
export async function waitForSnapshot(ctx: PublishContext, snapshotId: string): Promise<void> {
  const { input } = ctx;
  ctx.progress.stage = 'waiting-snapshot';
  await waitSnapshotCompleted(
    async () => {
      const s = await ctx.act.ec2DescribeSnapshot({ region: input.sourceRegion, snapshotId });
      return { state: s.state, ...(s.progress ? { progress: s.progress } : {}), ...(s.message ? { message: s.message } : {}) };
    },
    resolvePoll(SNAPSHOT_POLL, input.poll?.snapshot),
    `snapshot ${snapshotId}`,
  );
}

/** RegisterImage in the source region (or the image an earlier run registered), then wait until available. */
export async function registerSourceImage(ctx: PublishContext, snapshotId: string): Promise<SourceImage> {
  const { input, progress } = ctx;
  progress.stage = 'registering';
  const reg = await ctx.act.ec2RegisterImage({
    region: input.sourceRegion,
    name: input.name,
    description: ctx.description,
    snapshotId,
    arch: input.arch,
    family: input.family,
    tags: ctx.tags,
  });
  progress.sourceImageId = reg.imageId;
  progress.stage = 'waiting-image';
  const image = await waitImageAvailable(() => ctx.act.ec2DescribeImage({ region: input.sourceRegion, imageId: reg.imageId }), ctx.imagePoll, `image ${reg.imageId} in ${input.sourceRegion}`);
  return { imageId: reg.imageId, image };
}
