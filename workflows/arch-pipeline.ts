// One arch's image after the build: fetched onto one worker host, converted and published from
// there (Temporal's worker-specific task queue pattern: the fetch returns the host's own queue).
// When that host disappears (its queue stops answering) or its staging disk is full (the fetch
// or the conversion fails with DiskFullError, final on that host), the image is staged again on
// another host — a full host is put on the stage call's avoid list, so it hands the task back —
// at most MAX_HOSTS hosts in all. Each destination is isolated: its failure is recorded in the
// result, the others go on.
import { ApplicationFailure, patched, proxyActivities } from '@temporalio/workflow';
import type { ArtifactActivities } from '../activities/artifacts';
import type { FetchActivities, StagedImage } from '../activities/fetch';
import type { PreparedArtifactsResult } from '../activities/artifacts';
import { imageStem } from '../domain/build-names';
import type { BuiltImage, ImageReleaseInput } from '../domain/image-release';
import { RESTAGE_MAX_ATTEMPTS, StagingFailureType, hostFailureDetails, isDiskFullType } from '../domain/failures/staging';
import { applicationFailureOf, describeFailure, failureTypeOf, hostLost } from './failures';
import { destinationsFor } from './destinations/registry';
import { fileWork, onStagingHost } from './destinations/host-queue';
import type { DestinationOutcome, PublishContext, WorkflowDestination } from './destinations/types';
import type { ProgressTracker } from './progress';

/** A host's queue that nobody polls for this long is treated as a lost host, unless the input's
 *  settings.staging.lostHostAfterSeconds says otherwise (tests do not wait ten minutes). */
const LOST_HOST_AFTER_SECONDS = 600;
const MAX_HOSTS = 3;
/** Patch ids: behaviour added after histories were recorded (test/replay). */
const RESTAGE_ON_DISK_FULL = 'arch-restage-on-disk-full-v1';
const LOST_HOST_CLEANUP_IN_BACKGROUND = 'arch-lost-host-cleanup-in-background-v1';

/** A host the pipeline gave up on for this image, and why. */
export interface HostSetback {
  /** Host id (the host's queue, for results of workers that did not report their id). */
  host: string;
  reason: 'lost' | 'disk full';
  detail: string;
}

export type { DestinationOutcome };

export interface ArchResult {
  arch: BuiltImage['arch'];
  source: { file: string; size: number; sha256: string; kojiTaskId: number };
  artifacts: PreparedArtifactsResult;
  /** The host that staged, converted and published the image. */
  stagedOn?: string;
  /** Hosts given up on before that one (lost, or staging disk full); absent when none. */
  restaged?: HostSetback[];
  /** Each of the family's destinations (domain/destinations.ts ids): its result or why it failed. */
  destinations: Record<string, DestinationOutcome>;
}

/** What the arch pipeline works on: one arch's image of one release. */
export interface ArchJob {
  workflowId: string;
  image: BuiltImage;
  input: ImageReleaseInput;
  progress: ProgressTracker;
}

const fetcher = (taskQueue: string) => proxyActivities<FetchActivities>({ ...fileWork(), taskQueue });
// Staging again with an avoid list: an avoided host refuses with a retryable StagingHostAvoided
// after a short delay, and each retry is another chance for a different host's poller to get the
// task (domain/failures/staging), hence many more attempts; after them the arch gives up
// (NoStagingHost). Genuine fetch failures get the larger budget too: each attempt resumes.
const refetcher = (taskQueue: string) => {
  const base = fileWork();
  return proxyActivities<FetchActivities>({ ...base, taskQueue, retry: { ...base.retry, maximumAttempts: RESTAGE_MAX_ATTEMPTS } });
};
const converter = (taskQueue: string, lostAfterMs: number) => proxyActivities<ArtifactActivities>(onStagingHost(taskQueue, lostAfterMs));
const cleanup = (taskQueue: string, lostAfterMs: number) =>
  proxyActivities<ArtifactActivities>({ taskQueue, startToCloseTimeout: '5m', scheduleToStartTimeout: lostAfterMs, retry: { maximumAttempts: 3 } });

/** Milliseconds (the same schedule-to-start as the '10m' recorded histories carry by default). */
function lostHostAfterMs(input: ImageReleaseInput): number {
  const s = input.settings.staging?.lostHostAfterSeconds;
  return (s !== undefined && Number.isFinite(s) && s > 0 ? s : LOST_HOST_AFTER_SECONDS) * 1000;
}

export async function runArchPipeline(job: ArchJob): Promise<ArchResult> {
  const { image, input, progress } = job;
  const imageKey = `${job.workflowId}/${image.arch}`;
  const lostAfterMs = lostHostAfterMs(input);
  const setbacks: HostSetback[] = [];
  /** Hosts whose staging disk was full for this image: the next stage call must not land there. */
  const avoidHosts: string[] = [];
  /** Records a host given up on; throws NoStagingHost once MAX_HOSTS hosts have been tried. */
  const giveUp = (setback: HostSetback, hostAttempt: number): void => {
    setbacks.push(setback);
    if (hostAttempt >= MAX_HOSTS) throw noStagingHost(image, setbacks);
    const what = setback.reason === 'lost' ? `host ${setback.host} lost` : `staging disk full on ${setback.host}`;
    progress.archStage(image.arch, `${what}, staging again (${hostAttempt}/${MAX_HOSTS})`);
  };
  for (let hostAttempt = 1; ; hostAttempt++) {
    progress.archStage(image.arch, 'fetching');
    progress.arch(image.arch).totalBytes = image.size;
    let staged: StagedImage;
    try {
      staged =
        avoidHosts.length > 0
          ? await refetcher(input.settings.taskQueues.files).stageImage({ imageKey, image, avoidHosts: [...avoidHosts] })
          : await fetcher(input.settings.taskQueues.files).stageImage({ imageKey, image });
    } catch (err) {
      // Only possible with an avoid list, so only after the patched branch below was taken.
      if (failureTypeOf(err) === StagingFailureType.HostAvoided) throw noStagingHost(image, setbacks, `no other host took the image (${avoidHosts.join(', ')} refused it)`);
      // The fetch found no room: the stage failed on that host only (the fetch removed its file).
      if (!isDiskFullType(failureTypeOf(err)) || !patched(RESTAGE_ON_DISK_FULL)) throw err;
      const where = hostFailureDetails(applicationFailureOf(err)?.details);
      const host = where?.hostId ?? 'a host of an older worker version';
      if (where) avoidHosts.push(where.hostId);
      giveUp({ host, reason: 'disk full', detail: describeFailure(err) }, hostAttempt);
      continue;
    }
    progress.arch(image.arch).fetchedBytes = staged.size;
    const host = staged.hostId ?? staged.hostTaskQueue;
    try {
      const result = await onStagedHost({ ...job, imageKey, staged, lostAfterMs });
      return { ...result, stagedOn: host, ...(setbacks.length > 0 ? { restaged: setbacks } : {}) };
    } catch (err) {
      if (hostLost(err)) {
        giveUp({ host, reason: 'lost', detail: `its queue ${staged.hostTaskQueue} was not polled for ${lostAfterMs / 1000} s` }, hostAttempt);
        continue;
      }
      // The conversion found no room (its partial files are gone, and onStagedHost removed the
      // fetched file): retrying there would fill the disk again, so stage on another host.
      if (!isDiskFullType(failureTypeOf(err)) || !patched(RESTAGE_ON_DISK_FULL)) throw err;
      avoidHosts.push(host);
      giveUp({ host, reason: 'disk full', detail: describeFailure(err) }, hostAttempt);
    }
  }
}

/** The arch's final failure once every host it could try was lost or full: names each one. */
function noStagingHost(image: BuiltImage, setbacks: HostSetback[], extra?: string): ApplicationFailure {
  const tried = setbacks.map((s) => `${s.host}: ${s.reason} (${s.detail})`);
  const full = setbacks.some((s) => s.reason === 'disk full');
  return ApplicationFailure.create({
    type: StagingFailureType.NoStagingHost,
    nonRetryable: true,
    message:
      `${image.arch}: no worker host could stage ${image.file} (${image.size} bytes); tried ${tried.join('; ')}` +
      `${extra ? `; then ${extra}` : ''}. ` +
      (full
        ? 'Free space in staging.dir on those hosts (or add a worker host with room), then start the release again.'
        : 'Check that the worker hosts are running, then start the release again.'),
  });
}

/** An image staged on one host: what it needs to be converted and published from there. */
type StagedJob = ArchJob & { imageKey: string; staged: StagedImage; lostAfterMs: number };

async function onStagedHost(job: StagedJob): Promise<Omit<ArchResult, 'stagedOn' | 'restaged'>> {
  const { image, input, progress, staged, imageKey, lostAfterMs } = job;
  let lost = false;
  try {
    progress.archStage(image.arch, 'converting');
    const artifacts = await converter(staged.hostTaskQueue, lostAfterMs).prepareArtifacts({
      imageId: imageKey,
      sourcePath: staged.path,
      baseName: imageStem(input.family.name, input.name, image.arch),
      outputs: input.family.outputs,
    });

    progress.archStage(image.arch, 'publishing');
    const ctx: PublishContext = { ...job, artifacts };
    // Started in registry order (the order recorded histories hold), then awaited together;
    // reported in that order too, not in the order they finished.
    const destinations = destinationsFor(input.family.destinations);
    const settled = await Promise.all(destinations.map((destination) => publishTo(destination, ctx)));
    const outcomes: Record<string, DestinationOutcome> = Object.fromEntries(destinations.map((d, i) => [d.id, settled[i] as DestinationOutcome]));
    progress.archStage(image.arch, 'published');
    return {
      arch: image.arch,
      source: { file: image.file, size: staged.size, sha256: staged.sha256, kojiTaskId: image.childTaskId },
      artifacts,
      destinations: outcomes,
    };
  } catch (err) {
    lost = hostLost(err);
    throw err;
  } finally {
    // Staged files are not needed once every destination has had its go, or after a failure
    // (a full disk included: nothing of this image stays on a host that will not work on it).
    const removing = cleanup(staged.hostTaskQueue, lostAfterMs)
      .removeStaged(imageKey)
      .catch(() => undefined);
    // A lost host's queue answers nobody: waiting for its cleanup would hold the new staging
    // back by another lostAfter. The request stays queued in case the host comes back in time.
    if (!(lost && patched(LOST_HOST_CLEANUP_IN_BACKGROUND))) await removing;
  }
}

/**
 * One destination, isolated: its failure becomes part of the result instead of failing the
 * arch (a lost host still fails it, so the image is staged again). Announces a success.
 */
async function publishTo(destination: WorkflowDestination, ctx: PublishContext): Promise<DestinationOutcome> {
  const { arch } = ctx.image;
  const skipped = destination.skip?.(ctx);
  if (skipped !== undefined) {
    ctx.progress.destination(arch, destination.id, 'skipped', skipped);
    return { ok: false, skipped: true, error: skipped };
  }
  ctx.progress.destination(arch, destination.id, 'running');
  let value: unknown;
  try {
    value = await destination.publish(ctx);
    ctx.progress.destination(arch, destination.id, 'done');
  } catch (err) {
    if (hostLost(err)) throw err;
    const message = describeFailure(err);
    ctx.progress.destination(arch, destination.id, 'failed', message);
    return { ok: false, error: message };
  }
  await destination.announce(ctx, value);
  return { ok: true, value, details: destination.details(value) };
}
