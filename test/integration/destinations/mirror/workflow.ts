// The mirror's workflow part: publish from the staging host, announce, report.
import { proxyActivities } from '@temporalio/workflow';
import { announce, identity } from '../../../../workflows/announce';
import { onStagingHost } from '../../../../workflows/destinations/host-queue';
import { defineDestination } from '../../../../workflows/destinations/types';
import type { MirrorActivities } from './activities';
import { mirrorPublishedV1 } from './messages';
import { MIRROR_ID } from './id';

type Mirrored = Awaited<ReturnType<MirrorActivities['publishToMirror']>>;

export const mirrorDestination = defineDestination<Mirrored>({
  id: MIRROR_ID,
  skip: (ctx) => (ctx.artifacts.qcow2 ? undefined : 'the mirror keeps qcow2 images only'),
  publish(ctx) {
    const { artifacts } = ctx;
    const files = [artifacts.qcow2, artifacts.checksumFile].filter((f) => f !== undefined);
    return proxyActivities<MirrorActivities>(onStagingHost(ctx.staged.hostTaskQueue, ctx.lostAfterMs)).publishToMirror({
      release: ctx.input.release,
      arch: ctx.image.arch,
      files: files.map((f) => ({ path: f.path, name: f.name, sha256: f.sha256 })),
    });
  },
  async announce(ctx, result) {
    await announce(mirrorPublishedV1, { ...identity(ctx.input), architecture: ctx.image.arch, files: result.files.map((f) => ({ name: f.name, sha256: f.sha256 })) });
  },
  details: (result) => ({ image_name: result.files[0]?.name }),
});
