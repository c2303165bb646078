// One arch's image after the build: fetched onto one worker host, converted and published from
// there (Temporal's worker-specific task queue pattern: the fetch returns the host's own queue).
// When that host disappears (its queue stops answering) or its staging disk is full (the fetch
// or the conversion fails with DiskFullError, final on that host), the image is staged again on
// another host — a full host is put on the stage call's avoid list, so it hands the task back —
// at most MAX_HOSTS hosts in all. Each destination is isolated: its failure is recorded in the
// result, the others go on.
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  TimeoutFailure,
  executeChild,
  patched,
  proxyActivities,
  sleep,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { ArtifactActivities } from '../activities/artifacts';
import type { DownloadActivities } from '../activities/downloads';
import type { FetchActivities, StagedImage } from '../activities/fetch';
import type { PreparedArtifactsResult } from '../activities/artifacts';
import type { PublishDownloadsResult } from '../activities/downloads';
import type { GlanceActivities, GlanceImageState } from '../activities/glance';
import { composeId } from '../domain/build-names';
import { amiName } from '../domain/ec2';
import { awsPublishedV1, filesPublishedV1, glancePublishedV1, messageRelease } from '../domain/messages';
import { publishAmiWorkflow, type PublishAmiResult } from './ec2';
import { announce, identity } from './announce';
import { imageStem } from '../domain/build-names';
import type { BuiltImage, ImageReleaseInput } from '../domain/image-release';
import { RESTAGE_MAX_ATTEMPTS, STAGING_NON_RETRYABLE, StagingFailureType, hostFailureDetails, isDiskFullType } from '../domain/failure-types';
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

export type DestinationOutcome<T> = { ok: true; value: T } | { ok: false; error: string };

export interface ArchResult {
  arch: BuiltImage['arch'];
  source: { file: string; size: number; sha256: string; kojiTaskId: number };
  artifacts: PreparedArtifactsResult;
  /** The host that staged, converted and published the image. */
  stagedOn?: string;
  /** Hosts given up on before that one (lost, or staging disk full); absent when none. */
  restaged?: HostSetback[];
  downloads?: DestinationOutcome<PublishDownloadsResult>;
  glance?: DestinationOutcome<GlanceImageState>;
  ec2?: DestinationOutcome<PublishAmiResult>;
}

const fileWork: ActivityOptions = {
  startToCloseTimeout: '2h',
  heartbeatTimeout: '2m',
  retry: {
    initialInterval: '10s',
    maximumInterval: '5m',
    maximumAttempts: 10,
    nonRetryableErrorTypes: [
      // Fetch and conversion (with the names older workers used; see domain/failure-types).
      // DiskFullError is final on the host that met it: the pipeline stages again elsewhere.
      ...STAGING_NON_RETRYABLE,
      'DownloadConflict',
      'OpenStackAuthFailed',
      'OpenStackForbidden',
      'OpenStackRequestRejected',
      'OpenStackCatalogMissing',
      'GlanceNameConflict',
      'GlanceSourceMismatch',
    ],
  },
};

const fetcher = (taskQueue: string) => proxyActivities<FetchActivities>({ ...fileWork, taskQueue });
// Staging again with an avoid list: an avoided host refuses with a retryable StagingHostAvoided
// after a short delay, and each retry is another chance for a different host's poller to get the
// task (domain/failure-types), hence many more attempts; after them the arch gives up
// (NoStagingHost). Genuine fetch failures get the larger budget too: each attempt resumes.
const refetcher = (taskQueue: string) =>
  proxyActivities<FetchActivities>({ ...fileWork, taskQueue, retry: { ...fileWork.retry, maximumAttempts: RESTAGE_MAX_ATTEMPTS } });
const onHost = (taskQueue: string, lostAfter: number) =>
  proxyActivities<ArtifactActivities & DownloadActivities & GlanceActivities>({
    ...fileWork,
    taskQueue,
    scheduleToStartTimeout: lostAfter,
  });
// Publishing to Glance makes several calls per attempt (find, create, upload, check) and the
// client never retries inside one, so a flaky Glance fails whole attempts often: it gets many
// attempts with a short ceiling on the back-off, not fileWork's ten with up to 5 minutes between
// them (under 20% faults the chaos run saw a publish need all ten, 26 minutes in). A retried
// attempt is safe: publishToGlance adopts or cleans up what the previous one left.
const glancePublisher = (taskQueue: string, lostAfter: number) =>
  proxyActivities<GlanceActivities>({
    ...fileWork,
    taskQueue,
    scheduleToStartTimeout: lostAfter,
    retry: { ...fileWork.retry, initialInterval: '5s', maximumInterval: '1m', maximumAttempts: 40 },
  });
const glanceApi = proxyActivities<GlanceActivities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '5s', maximumInterval: '2m', maximumAttempts: 20, nonRetryableErrorTypes: fileWork.retry?.nonRetryableErrorTypes },
});
const cleanup = (taskQueue: string, lostAfter: number) =>
  proxyActivities<ArtifactActivities>({ taskQueue, startToCloseTimeout: '5m', scheduleToStartTimeout: lostAfter, retry: { maximumAttempts: 3 } });

/** Milliseconds (the same schedule-to-start as the '10m' recorded histories carry by default). */
function lostHostAfterMs(input: ImageReleaseInput): number {
  const s = input.settings.staging?.lostHostAfterSeconds;
  return (s !== undefined && Number.isFinite(s) && s > 0 ? s : LOST_HOST_AFTER_SECONDS) * 1000;
}

export async function runArchPipeline(workflowId: string, image: BuiltImage, input: ImageReleaseInput, progress: ProgressTracker): Promise<ArchResult> {
  const imageKey = `${workflowId}/${image.arch}`;
  const lostAfter = lostHostAfterMs(input);
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
      if (failureType(err) === StagingFailureType.HostAvoided) throw noStagingHost(image, setbacks, `no other host took the image (${avoidHosts.join(', ')} refused it)`);
      // The fetch found no room: the stage failed on that host only (the fetch removed its file).
      if (!isDiskFullType(failureType(err)) || !patched(RESTAGE_ON_DISK_FULL)) throw err;
      const where = hostFailureDetails(applicationFailure(err)?.details);
      const host = where?.hostId ?? 'a host of an older worker version';
      if (where) avoidHosts.push(where.hostId);
      giveUp({ host, reason: 'disk full', detail: describeFailure(err) }, hostAttempt);
      continue;
    }
    progress.arch(image.arch).fetchedBytes = staged.size;
    const host = staged.hostId ?? staged.hostTaskQueue;
    try {
      const result = await onStagedHost(workflowId, imageKey, image, staged, input, progress, lostAfter);
      return { ...result, stagedOn: host, ...(setbacks.length > 0 ? { restaged: setbacks } : {}) };
    } catch (err) {
      if (hostLost(err)) {
        giveUp({ host, reason: 'lost', detail: `its queue ${staged.hostTaskQueue} was not polled for ${lostAfter / 1000} s` }, hostAttempt);
        continue;
      }
      // The conversion found no room (its partial files are gone, and onStagedHost removed the
      // fetched file): retrying there would fill the disk again, so stage on another host.
      if (!isDiskFullType(failureType(err)) || !patched(RESTAGE_ON_DISK_FULL)) throw err;
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

function applicationFailure(err: unknown): ApplicationFailure | undefined {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : undefined;
}

function failureType(err: unknown): string | undefined {
  return applicationFailure(err)?.type ?? undefined;
}

async function onStagedHost(
  workflowId: string,
  imageKey: string,
  image: BuiltImage,
  staged: StagedImage,
  input: ImageReleaseInput,
  progress: ProgressTracker,
  lostAfter: number,
): Promise<ArchResult> {
  const host = onHost(staged.hostTaskQueue, lostAfter);
  let lost = false;
  try {
    progress.archStage(image.arch, 'converting');
    const artifacts = await host.prepareArtifacts({
      imageId: imageKey,
      sourcePath: staged.path,
      baseName: imageStem(input.family.name, input.name, image.arch),
      outputs: input.family.outputs,
    });

    progress.archStage(image.arch, 'publishing');
    const result: ArchResult = {
      arch: image.arch,
      source: { file: image.file, size: staged.size, sha256: staged.sha256, kojiTaskId: image.childTaskId },
      artifacts,
    };
    const jobs: Array<Promise<void>> = [];
    if (input.family.destinations.includes('downloads')) {
      jobs.push(
        isolate(image, 'downloads', progress, () =>
          host.publishDownloads({
            release: input.release,
            family: input.family.name,
            arch: image.arch,
            files: [artifacts.qcow2, artifacts.rawTarXz].filter((f) => f !== undefined),
            checksumFile: artifacts.checksumFile,
          }),
        ).then(async (o) => {
          result.downloads = o;
          if (o.ok) await announceFiles(input, image.arch, o.value);
        }),
      );
    }
    if (input.family.destinations.includes('glance') && artifacts.qcow2) {
      const qcow2 = artifacts.qcow2;
      jobs.push(
        isolate(image, 'glance', progress, () => publishGlance(glancePublisher(staged.hostTaskQueue, lostAfter), input, image, qcow2)).then(async (o) => {
          result.glance = o;
          if (o.ok && input.settings.glance) {
            await announce(glancePublishedV1, {
              ...identity(input),
              architecture: image.arch,
              region: input.settings.glance.region,
              image_id: o.value.imageId,
              image_name: qcow2.name.replace(/\.qcow2$/, ''),
              visibility: input.settings.glance.visibility,
              disk_format: 'qcow2',
              size: o.value.size ?? qcow2.size,
              sha256: qcow2.sha256,
            });
          }
        }),
      );
    }
    if (input.family.destinations.includes('ec2')) {
      jobs.push(
        isolate(image, 'ec2', progress, () => publishAmi(workflowId, imageKey, staged, artifacts, input, image)).then(async (o) => {
          result.ec2 = o;
          if (o.ok && Object.keys(o.value.published).length > 0) {
            await announce(awsPublishedV1, {
              architecture: image.arch,
              compose_id: composeId(input.release, input.name),
              image_name: o.value.name,
              regions: o.value.published,
              release: messageRelease(input.release, input.settings.bus.rawhideRelease),
              subvariant: input.family.subvariant,
            });
          }
          if (o.ok && o.value.failedRegions.length > 0) {
            progress.destination(image.arch, 'ec2', 'failed', `failed regions: ${o.value.failedRegions.join(', ')}`);
          }
        }),
      );
    }
    await Promise.all(jobs);
    progress.archStage(image.arch, 'published');
    return result;
  } catch (err) {
    lost = hostLost(err);
    throw err;
  } finally {
    // Staged files are not needed once every destination has had its go, or after a failure
    // (a full disk included: nothing of this image stays on a host that will not work on it).
    const removing = cleanup(staged.hostTaskQueue, lostAfter)
      .removeStaged(imageKey)
      .catch(() => undefined);
    // A lost host's queue answers nobody: waiting for its cleanup would hold the new staging
    // back by another lostAfter. The request stays queued in case the host comes back in time.
    if (!(lost && patched(LOST_HOST_CLEANUP_IN_BACKGROUND))) await removing;
  }
}

/** The EC2 child: snapshot from the staged raw on this host, register, one child per region. */
function publishAmi(workflowId: string, imageKey: string, staged: StagedImage, artifacts: PreparedArtifactsResult, input: ImageReleaseInput, image: BuiltImage): Promise<PublishAmiResult> {
  const ec2 = input.settings.ec2;
  if (!ec2) throw ApplicationFailure.nonRetryable('the release input has no EC2 settings', 'Ec2NotConfigured');
  return executeChild(publishAmiWorkflow, {
    // `<release id>/ec2/<arch>`: the CLI's retry-regions finds the children by this prefix.
    workflowId: `${workflowId}/ec2/${image.arch}`,
    args: [
      {
        imageKey,
        rawPath: artifacts.raw.path,
        hostTaskQueue: staged.hostTaskQueue,
        arch: image.arch,
        release: input.release,
        family: input.family.name,
        kind: input.kind,
        buildId: composeId(input.release, input.name),
        kojiTaskId: image.childTaskId,
        name: amiName({ buildName: `Fedora-${input.family.name}`, arch: image.arch, version: input.name.version, release: input.name.label }),
        sourceRegion: ec2.sourceRegion,
        regions: ec2.regions,
        maxConcurrentRegions: ec2.maxConcurrentRegions,
        ...(input.kind === 'nightly' && ec2.deprecateNightliesAfterDays ? { deprecateAfterDays: ec2.deprecateNightliesAfterDays } : {}),
      },
    ],
  });
}

/** Uploads the qcow2 (on the staging host), then waits with timers until Glance says active. */
async function publishGlance(
  host: ReturnType<typeof glancePublisher>,
  input: ImageReleaseInput,
  image: BuiltImage,
  qcow2: { path: string; name: string; size: number; sha256: string },
): Promise<GlanceImageState> {
  const settings = input.settings.glance;
  if (!settings) throw ApplicationFailure.nonRetryable('the release input has no Glance settings', 'GlanceNotConfigured');
  const uploaded = await host.publishToGlance({
    name: qcow2.name.replace(/\.qcow2$/, ''),
    qcow2Path: qcow2.path,
    size: qcow2.size,
    sha256: qcow2.sha256,
    arch: image.arch,
    release: input.release,
    family: input.family.name,
    kind: input.kind,
    buildId: composeId(input.release, input.name),
    visibility: settings.visibility,
  });
  let state: GlanceImageState | null = uploaded;
  for (let delay = 2; state && state.status !== 'active'; delay = Math.min(delay * 2, 60)) {
    await sleep(`${delay}s`);
    state = await glanceApi.getGlanceImage({ imageId: uploaded.imageId, expectedSize: qcow2.size, expectedSha512: uploaded.sha512 ?? undefined });
  }
  if (!state) throw ApplicationFailure.nonRetryable(`Glance image ${uploaded.imageId} disappeared while importing`, 'GlanceImageVanished');
  return state;
}

async function announceFiles(input: ImageReleaseInput, arch: BuiltImage['arch'], published: PublishDownloadsResult): Promise<void> {
  const images = published.files.filter((f) => !f.name.endsWith('CHECKSUM'));
  const checksum = published.files.find((f) => f.name.endsWith('CHECKSUM'));
  // Without a public URL there is nothing a reader could fetch: the message would say nothing.
  if (!checksum?.url || images.some((f) => !f.url)) return;
  await announce(filesPublishedV1, {
    ...identity(input),
    architecture: arch,
    files: images.map((f) => ({ name: f.name, url: f.url ?? '', size: f.size, sha256: f.sha256 })),
    checksum_url: checksum.url,
  });
}

/** Runs one destination; its failure becomes part of the result instead of failing the arch. */
async function isolate<T>(image: BuiltImage, dest: 'downloads' | 'ec2' | 'glance', progress: ProgressTracker, fn: () => Promise<T>): Promise<DestinationOutcome<T>> {
  progress.destination(image.arch, dest, 'running');
  try {
    const value = await fn();
    progress.destination(image.arch, dest, 'done');
    return { ok: true, value };
  } catch (err) {
    if (hostLost(err)) throw err;
    const message = describeFailure(err);
    progress.destination(image.arch, dest, 'failed', message);
    return { ok: false, error: message };
  }
}

function hostLost(err: unknown): boolean {
  // The EC2 child reports a lost host the same way, one level deeper.
  if (err instanceof ChildWorkflowFailure) return hostLost(err.cause);
  return err instanceof ActivityFailure && err.cause instanceof TimeoutFailure && err.cause.timeoutType === 'SCHEDULE_TO_START';
}

export function describeFailure(err: unknown): string {
  let e: unknown = err;
  // The innermost cause carries the outside system's own words.
  while ((e instanceof ActivityFailure || e instanceof ChildWorkflowFailure) && e.cause) e = e.cause;
  if (e instanceof ApplicationFailure) return e.type ? `${e.type}: ${e.message}` : e.message;
  return e instanceof Error ? e.message : String(e);
}
