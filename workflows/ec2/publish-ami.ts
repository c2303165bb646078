// One image (family, release, arch) published as public AMIs in every configured region:
//   check the input (refuse before anything is created)
//   -> EBS snapshot from the raw file's non-zero blocks, on the host that staged it
//   -> wait until the snapshot is completed (timers)
//   -> RegisterImage in the source region, wait until available (timers)
//   -> one child workflow per region (copy, wait, tag, public, deprecation), a few at a time.
// A region that fails does not fail the others; the result lists each region's AMI or error.
// While failed regions remain, the workflow waits `retryWindowMs` for the retryRegions update,
// which runs only those regions again. Re-running the whole workflow creates nothing twice:
// every step looks up what an earlier run made.
import { ApplicationFailure, condition, executeChild, proxyActivities, setHandler, workflowInfo, allHandlersFinished } from '@temporalio/workflow';
import type { Ec2Activities } from '../../activities/ec2';
import {
  IMAGE_POLL,
  SNAPSHOT_POLL,
  amiTags,
  deprecateAfterDaysFor,
  deprecationTime,
  publishAmiInputProblems,
  type ImageKind,
  type PollPolicy,
} from '../../domain/ec2';
import { EC2_NON_RETRYABLE, Ec2FailureType, failureTypeForReason } from '../../domain/ec2-errors';
import { apiActivityOptions, resolvePoll, rootCause, waitImageAvailable, waitSnapshotCompleted, type ActivityRetryInput } from './activity-options';
import { copyAmiToRegionWorkflow } from './copy-ami-to-region';
import {
  ec2ProgressQuery,
  isRegionFailure,
  retryRegionsUpdate,
  type PublishAmiProgress,
  type RegionProgress,
  type RegionResult,
} from './definitions';

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
  const problems = publishAmiInputProblems(input);
  if (problems[0]) {
    throw ApplicationFailure.create({
      message: `refused before anything was created: ${problems.map((p) => p.message).join('; ')}`,
      type: failureTypeForReason(problems[0].reason),
      nonRetryable: true,
    });
  }

  const wfId = workflowInfo().workflowId;
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

  const tags = amiTags({ ...input });
  const description = input.description ?? `${input.name} (${input.family}, Fedora ${input.release}, ${input.kind}, ${input.buildId})`;
  const days = deprecateAfterDaysFor(input.kind, input.deprecateAfterDays);
  const deprecateAt = days !== undefined ? deprecationTime(startedMs, days) : undefined;

  const progress: PublishAmiProgress = {
    stage: 'checking',
    name: input.name,
    regions: input.regions.map((region) => ({ region, status: 'queued', runs: 0 })),
  };
  setHandler(ec2ProgressQuery, () => progress);
  const regionProgress = (region: string): RegionProgress => progress.regions.find((r) => r.region === region) as RegionProgress;

  // 1. What AWS would refuse later (region unknown or disabled, image too large), before creating.
  await host.ec2Preflight({ rawPath: input.rawPath, arch: input.arch, name: input.name, sourceRegion: input.sourceRegion, regions: input.regions, family: input.family });

  // 2. The snapshot, on the host that holds the file.
  progress.stage = 'uploading';
  const snap = await uploader.ec2UploadSnapshot({
    imageKey: input.imageKey,
    rawPath: input.rawPath,
    region: input.sourceRegion,
    description,
    tags,
    ...(input.snapshotParallelism !== undefined ? { parallelism: input.snapshotParallelism } : {}),
  });
  progress.snapshotId = snap.snapshotId;
  progress.upload = { dataBlocks: snap.dataBlocks, blocksSent: snap.blocksSentTotal, bytesSent: snap.bytesSentTotal, resumedFrom: snap.resumedFrom };

  progress.stage = 'waiting-snapshot';
  await waitSnapshotCompleted(
    async () => {
      const s = await act.ec2DescribeSnapshot({ region: input.sourceRegion, snapshotId: snap.snapshotId });
      return { state: s.state, ...(s.progress ? { progress: s.progress } : {}), ...(s.message ? { message: s.message } : {}) };
    },
    resolvePoll(SNAPSHOT_POLL, input.poll?.snapshot),
    `snapshot ${snap.snapshotId}`,
  );

  // 3. The image in the source region.
  progress.stage = 'registering';
  const reg = await act.ec2RegisterImage({
    region: input.sourceRegion,
    name: input.name,
    description,
    snapshotId: snap.snapshotId,
    arch: input.arch,
    family: input.family,
    tags,
  });
  progress.sourceImageId = reg.imageId;
  progress.stage = 'waiting-image';
  const imagePoll = resolvePoll(IMAGE_POLL, input.poll?.image);
  const sourceImage = await waitImageAvailable(
    () => act.ec2DescribeImage({ region: input.sourceRegion, imageId: reg.imageId }),
    imagePoll,
    `image ${reg.imageId} in ${input.sourceRegion}`,
  );

  // 4. Every region, a few at a time, each isolated from the others' failures.
  progress.stage = 'regions';
  const results = new Map<string, RegionResult>();
  let free = input.maxConcurrentRegions;
  let active = 0;
  let closing = false;

  const runRegion = async (region: string): Promise<RegionResult> => {
    const p = regionProgress(region);
    p.status = 'queued';
    delete p.error;
    delete p.errorType;
    active += 1;
    try {
      await condition(() => free > 0);
      free -= 1;
      p.runs += 1;
      p.status = 'running';
      try {
        const out = await executeChild(copyAmiToRegionWorkflow, {
          workflowId: `${wfId}/ec2/${region}`,
          args: [
            {
              region,
              sourceRegion: input.sourceRegion,
              sourceImageId: reg.imageId,
              ...(region === input.sourceRegion ? { sourceImage } : {}),
              name: input.name,
              description,
              tags,
              makePublic: input.makePublic ?? true,
              ...(deprecateAt ? { deprecateAt } : {}),
              clientToken: input.imageKey,
              poll: imagePoll,
              retry,
            },
          ],
        });
        const result: RegionResult = { region, amiId: out.amiId, snapshotId: out.snapshotId };
        Object.assign(p, { status: 'done', amiId: out.amiId, snapshotId: out.snapshotId });
        results.set(region, result);
        return result;
      } catch (err) {
        const cause = rootCause(err);
        const result: RegionResult = { region, error: cause.message, ...(cause.type ? { errorType: cause.type } : {}) };
        Object.assign(p, { status: 'failed', error: cause.message, ...(cause.type ? { errorType: cause.type } : {}) });
        results.set(region, result);
        return result;
      } finally {
        free += 1;
      }
    } finally {
      active -= 1;
    }
  };

  let retryEpoch = 0;
  setHandler(
    retryRegionsUpdate,
    async (regions) => {
      retryEpoch += 1;
      return Promise.all(regions.map(runRegion));
    },
    {
      validator: (regions) => {
        if (closing) throw new Error('this publication is finishing; start a new run for these regions');
        if (regions.length === 0) throw new Error('name at least one region');
        for (const r of regions) {
          const p = progress.regions.find((x) => x.region === r);
          if (!p) throw new Error(`${r} is not one of this publication's regions`);
          if (p.status !== 'failed') throw new Error(`${r} is ${p.status}; only failed regions can be retried`);
        }
      },
    },
  );

  await Promise.all(input.regions.map(runRegion));

  // 5. Failed regions wait for retries for a while; each retry restarts the window.
  const window = input.retryWindowMs ?? 3_600_000;
  let seen = retryEpoch;
  while (window > 0 && input.regions.some((r) => regionProgress(r).status === 'failed')) {
    progress.stage = 'awaiting-retries';
    const asked = await condition(() => retryEpoch !== seen, window);
    if (!asked) break;
    seen = retryEpoch;
    await condition(() => active === 0);
  }
  closing = true;
  await condition(() => active === 0 && allHandlersFinished());
  progress.stage = 'done';

  const regions = input.regions.map((r) => results.get(r) ?? { region: r, error: 'not run', errorType: Ec2FailureType.Transient });
  return {
    name: input.name,
    imageKey: input.imageKey,
    arch: input.arch,
    snapshotId: snap.snapshotId,
    sourceImageId: reg.imageId,
    regions,
    published: Object.fromEntries(regions.flatMap((r) => (isRegionFailure(r) ? [] : [[r.region, r.amiId]]))),
    failedRegions: regions.filter(isRegionFailure).map((r) => r.region),
    upload: { ...(progress.upload ?? { dataBlocks: 0, blocksSent: 0, bytesSent: 0, resumedFrom: 'none' }), volumeGiB: snap.volumeGiB },
  };
}
