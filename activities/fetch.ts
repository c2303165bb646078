// Fetch one arch's image from its trusted Koji URL onto this worker host's staging disk. The URL
// comes from the configured topurl, the child task id Koji's API returned and a checked file
// name; never from a message. The activity returns this host's own task queue, so the file work
// that follows runs where the file is.
import { mkdir, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { downloadVerified } from '../clients/fetch/trusted-download';
import { DownloadNotFoundError, DownloadVerificationError } from '../clients/fetch/errors';
import { KojiUnsafeFileName, taskFileUrl } from '../clients/koji/task-files';
import type { BuiltImage } from '../domain/image-release';
import { stagingFolder } from './staging-paths';

export interface FetchDeps {
  topUrl: string;
  stagingDir: string;
  maxImageBytes: number;
  /** The task queue only this host polls (`<files queue>-<host id>`). */
  hostTaskQueue: string;
  hostId: string;
}

export interface StagedImage {
  hostTaskQueue: string;
  path: string;
  size: number;
  sha256: string;
}

interface FetchHeartbeat {
  hostId: string;
  offset: number;
}

export function createFetchActivities(deps: FetchDeps) {
  return {
    async stageImage({ imageKey, image }: { imageKey: string; image: BuiltImage }): Promise<StagedImage> {
      const ctx = Context.current();
      if (image.size > deps.maxImageBytes) {
        throw ApplicationFailure.nonRetryable(
          `${image.file} is ${image.size} bytes, over the configured limit staging.maxImageBytes=${deps.maxImageBytes}`,
          'ImageTooLarge',
        );
      }
      let url: string;
      try {
        url = taskFileUrl(deps.topUrl, image.childTaskId, image.file);
      } catch (err) {
        if (err instanceof KojiUnsafeFileName) throw ApplicationFailure.nonRetryable(err.message, 'BadFileName');
        throw err;
      }
      const dir = stagingFolder(deps.stagingDir, imageKey);
      await mkdir(dir, { recursive: true });
      const free = await statfs(dir);
      if (free.bavail * free.bsize < image.size) {
        // Retryable: the retry may land on another host with room.
        throw ApplicationFailure.retryable(`staging disk ${deps.stagingDir} on ${deps.hostId} has no room for ${image.file}`, 'StagingDiskFull');
      }
      const previous = ctx.info.heartbeatDetails as FetchHeartbeat | undefined;
      if (previous && previous.hostId === deps.hostId) ctx.log.info('resuming download', { offset: previous.offset });
      try {
        const r = await downloadVerified({
          url,
          dest: join(dir, image.file),
          expectedSize: image.size,
          expectedSha256: image.sha256,
          signal: ctx.cancellationSignal,
          onProgress: ({ offset }) => ctx.heartbeat({ hostId: deps.hostId, offset } satisfies FetchHeartbeat),
        });
        ctx.heartbeat({ hostId: deps.hostId, offset: r.size } satisfies FetchHeartbeat);
        return { hostTaskQueue: deps.hostTaskQueue, path: r.path, size: r.size, sha256: r.sha256 };
      } catch (err) {
        if (err instanceof DownloadVerificationError || err instanceof DownloadNotFoundError) {
          throw ApplicationFailure.nonRetryable(err.message, err.name);
        }
        throw err;
      }
    },
  };
}

export type FetchActivities = ReturnType<typeof createFetchActivities>;
