// The build stage: submit the Koji task (adopting one an earlier attempt created), then wait for
// it with durable timers that back off, woken early by Koji's bus message. No activity ever
// blocks for the hours a build takes: each poll is one short activity.
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { KojiActivities } from '../activities/koji';
import { KOJI_NON_RETRYABLE, KojiFailureType } from '../domain/failures/koji';
import type { BuiltImage, ImageReleaseInput, KojiBuildRef } from '../domain/image-release';
import { nextPollSeconds } from '../domain/poll-backoff';
import { KojiTaskId } from '../domain/search-attributes';
import { kojiTaskStateChanged } from './signals';
import type { ProgressTracker } from './progress';

const koji = proxyActivities<KojiActivities>({
  startToCloseTimeout: '2m',
  retry: {
    initialInterval: '5s',
    backoffCoefficient: 2,
    maximumInterval: '5m',
    // Koji outages (ServerOffline, database maintenance) can last an hour; keep trying.
    maximumAttempts: 60,
    nonRetryableErrorTypes: [...KOJI_NON_RETRYABLE],
  },
});

export type BuildOutcome =
  | {
      status: 'built';
      taskId: number;
      images: BuiltImage[];
      /** The Koji build (NVR and id) of a non-scratch build; absent for scratch builds. */
      kojiBuild?: KojiBuildRef;
    }
  | { status: 'canceled'; taskId: number };

export async function runKojiBuild(input: ImageReleaseInput, progress: ProgressTracker): Promise<BuildOutcome> {
  progress.stage('submitting');
  const { taskId, adopted } = await koji.submitKojiTask({
    family: input.family,
    release: input.release,
    name: input.name,
    repos: input.repos,
    scratch: input.scratch,
  });
  upsertSearchAttributes([{ key: KojiTaskId, value: taskId }]);
  progress.koji(taskId, adopted ? 'ADOPTED' : 'SUBMITTED');

  let woken = false;
  setHandler(kojiTaskStateChanged, ({ taskId: id }) => {
    if (id === taskId) woken = true;
  });

  progress.stage('building');
  let delay: number | undefined;
  try {
    for (;;) {
      const state = await koji.getKojiTaskState(taskId);
      progress.koji(taskId, state);
      if (state === 'CLOSED') break;
      if (state === 'CANCELED') return { status: 'canceled', taskId };
      if (state === 'FAILED') {
        const reason = await koji.getKojiFailure(taskId);
        throw ApplicationFailure.nonRetryable(`Koji task ${taskId} failed: ${reason}`, KojiFailureType.BuildFailed);
      }
      delay = nextPollSeconds(delay, input.settings.kojiPoll.initialSeconds, input.settings.kojiPoll.maxSeconds);
      woken = false;
      await condition(() => woken, `${delay}s`);
    }
  } catch (err) {
    if (isCancellation(err)) {
      // Cancelling the release cancels the build in Koji, even though this scope is cancelled.
      await CancellationScope.nonCancellable(() => koji.cancelKojiTask(taskId));
    }
    throw err;
  }

  const images = await koji.getKojiBuildResult({ taskId, family: input.family });
  const missing = input.family.arches.filter((a) => !images.some((i) => i.arch === a));
  if (missing.length > 0) {
    throw ApplicationFailure.nonRetryable(
      `Koji task ${taskId} closed without an image for ${missing.join(', ')}`,
      KojiFailureType.ResultIncomplete,
    );
  }
  // Every image of one task belongs to the same build: computed from the result, no new command.
  const kojiBuild = images.find((i) => i.kojiBuild)?.kojiBuild;
  return { status: 'built', taskId, images, ...(kojiBuild ? { kojiBuild } : {}) };
}
