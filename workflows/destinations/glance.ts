// OpenStack Glance: the qcow2 streamed from the staging host, then waited for with timers until
// Glance says active; fedimg.glance.published.v1.
import { ApplicationFailure, proxyActivities, sleep } from '@temporalio/workflow';
import type { GlanceActivities, GlanceImageState } from '../../activities/glance';
import { composeId } from '../../domain/build-names';
import { GLANCE_NON_RETRYABLE, GlanceFailureType, ReleaseFailureType } from '../../domain/failures';
import { glancePublishedV1 } from '../../domain/messages';
import { announce, identity } from '../announce';
import { onStagingHost } from './host-queue';
import { defineDestination, type PublishContext } from './types';

// Publishing makes several calls per attempt (find, create, upload, check) and the client never
// retries inside one, so a flaky Glance fails whole attempts often: many attempts with a short
// ceiling on the back-off, not file work's ten with up to 5 minutes between them (under 20%
// faults the chaos run saw a publish need all ten, 26 minutes in). A retried attempt is safe:
// publishToGlance adopts or cleans up what the previous one left.
const publisher = (ctx: PublishContext) => {
  const base = onStagingHost(ctx.staged.hostTaskQueue, ctx.lostAfterMs, GLANCE_NON_RETRYABLE);
  return proxyActivities<GlanceActivities>({ ...base, retry: { ...base.retry, initialInterval: '5s', maximumInterval: '1m', maximumAttempts: 40 } });
};
const glanceApi = proxyActivities<GlanceActivities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '5s', maximumInterval: '2m', maximumAttempts: 20, nonRetryableErrorTypes: [...GLANCE_NON_RETRYABLE] },
});

const imageName = (ctx: PublishContext) => (ctx.artifacts.qcow2?.name ?? '').replace(/\.qcow2$/, '');

export const glanceDestination = defineDestination<GlanceImageState>({
  id: 'glance',
  skip: (ctx) => (ctx.artifacts.qcow2 ? undefined : "Glance takes the qcow2, and qcow2 is not among the family's outputs"),
  async publish(ctx) {
    const { input, image } = ctx;
    const settings = input.settings.glance;
    const qcow2 = ctx.artifacts.qcow2;
    if (!settings) throw ApplicationFailure.nonRetryable('the release input has no Glance settings', ReleaseFailureType.DestinationNotConfigured);
    if (!qcow2) throw ApplicationFailure.nonRetryable('no qcow2 to upload', ReleaseFailureType.DestinationNotConfigured);
    const uploaded = await publisher(ctx).publishToGlance({
      name: imageName(ctx),
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
    if (!state) throw ApplicationFailure.nonRetryable(`Glance image ${uploaded.imageId} disappeared while importing`, GlanceFailureType.ImageVanished);
    return state;
  },
  async announce(ctx, state) {
    const settings = ctx.input.settings.glance;
    const qcow2 = ctx.artifacts.qcow2;
    if (!settings || !qcow2) return;
    await announce(glancePublishedV1, {
      ...identity(ctx.input),
      architecture: ctx.image.arch,
      region: settings.region,
      image_id: state.imageId,
      image_name: imageName(ctx),
      visibility: settings.visibility,
      disk_format: 'qcow2',
      size: state.size ?? qcow2.size,
      sha256: qcow2.sha256,
    });
  },
  details: (state) => ({ image_id: state.imageId }),
});
