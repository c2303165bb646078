// The download server: the image's files and its CHECKSUM, published from the staging host
// (directory or S3, checksum last; clients/downloads), then fedimg.files.published.v1.
import { proxyActivities } from '@temporalio/workflow';
import type { DownloadActivities, PublishDownloadsResult } from '../../activities/downloads';
import { DOWNLOAD_NON_RETRYABLE } from '../../domain/failures';
import { filesPublishedV1 } from '../../domain/messages';
import { announce, identity } from '../announce';
import { onStagingHost } from './host-queue';
import { defineDestination, type PublishContext } from './types';

const onHost = (ctx: PublishContext) => proxyActivities<DownloadActivities>(onStagingHost(ctx.staged.hostTaskQueue, ctx.lostAfterMs, DOWNLOAD_NON_RETRYABLE));

export const downloadsDestination = defineDestination<PublishDownloadsResult>({
  id: 'downloads',
  publish(ctx) {
    const { artifacts, input, image } = ctx;
    return onHost(ctx).publishDownloads({
      release: input.release,
      family: input.family.name,
      arch: image.arch,
      files: [artifacts.qcow2, artifacts.rawTarXz].filter((f) => f !== undefined),
      checksumFile: artifacts.checksumFile,
    });
  },
  async announce(ctx, published) {
    const images = published.files.filter((f) => !f.name.endsWith('CHECKSUM'));
    const checksum = published.files.find((f) => f.name.endsWith('CHECKSUM'));
    // Without a public URL there is nothing a reader could fetch: the message would say nothing.
    if (!checksum?.url || images.some((f) => !f.url)) return;
    await announce(filesPublishedV1, {
      ...identity(ctx.input),
      architecture: ctx.image.arch,
      files: images.map((f) => ({ name: f.name, url: f.url ?? '', size: f.size, sha256: f.sha256 })),
      checksum_url: checksum.url,
    });
  },
  details(published) {
    const urls = published.files.map((f) => f.url).filter((u): u is string => u !== undefined);
    return urls.length > 0 ? { urls } : {};
  },
});
