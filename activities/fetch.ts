// Fetch one arch's image from its trusted Koji URL onto this worker host's staging disk. The URL
// comes from the configured topurl, the child task id Koji's API returned and a checked file
// name; never from a message. The activity returns this host's own task queue, so the file work
// that follows runs where the file is.
//
// A host that cannot hold the image (its staging disk is full before or during the download)
// fails at once and for good *on this host* (DiskFullError, with the host in the details, the
// partial file removed): the shared queue could hand a retry straight back to the same full
// host, again and again. The arch pipeline instead stages again with this host on `avoidHosts`;
// a host on that list hands the task back (a retryable StagingHostAvoided with a short delay),
// so another host's poller takes it. Temporal cannot route "any host but these", and a refusal
// costs milliseconds, so this stays simple and needs no registry of hosts.
import { mkdir, rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { downloadVerified } from '../clients/fetch/trusted-download';
import { DownloadNotFoundError, DownloadVerificationError } from '../clients/fetch/errors';
import { KojiUnsafeFileName, taskFileUrl } from '../clients/koji/task-files';
import type { BuiltImage } from '../domain/image-release';
import { StagingFailureType, avoidedHostRetryDelayMs, type HostFailureDetails } from '../domain/failures/staging';
import { stagingFolder, writeStagingMarker } from './staging-paths';

export interface FetchDeps {
  topUrl: string;
  stagingDir: string;
  maxImageBytes: number;
  /** The task queue only this host polls (`<files queue>-<host id>`). */
  hostTaskQueue: string;
  hostId: string;
  /** A connection silent this long is dropped and the download resumes (default 60 s). */
  idleTimeoutMs?: number;
}

export interface StageImageInput {
  imageKey: string;
  image: BuiltImage;
  /** Host ids where this image must not be staged (their disks were full for it). */
  avoidHosts?: string[];
}

export interface StagedImage {
  hostTaskQueue: string;
  /** The host that holds the file (absent in results of workers before it was added). */
  hostId?: string;
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
    async stageImage({ imageKey, image, avoidHosts }: StageImageInput): Promise<StagedImage> {
      const ctx = Context.current();
      if (avoidHosts?.includes(deps.hostId)) {
        throw ApplicationFailure.create({
          type: StagingFailureType.HostAvoided,
          message: `host ${deps.hostId} is on the avoid list for ${imageKey} (its staging disk was full); handing it to another host`,
          nextRetryDelay: avoidedHostRetryDelayMs(ctx.info.attempt),
        });
      }
      if (image.size > deps.maxImageBytes) {
        throw ApplicationFailure.nonRetryable(
          `${image.file} is ${image.size} bytes, over the configured limit staging.maxImageBytes=${deps.maxImageBytes}`,
          StagingFailureType.ImageTooLarge,
        );
      }
      let url: string;
      try {
        url = taskFileUrl(deps.topUrl, image.childTaskId, image.file);
      } catch (err) {
        if (err instanceof KojiUnsafeFileName) throw ApplicationFailure.nonRetryable(err.message, StagingFailureType.BadFileName);
        throw err;
      }
      const dir = stagingFolder(deps.stagingDir, imageKey);
      const dest = join(dir, image.file);
      const diskFull = async (during: string): Promise<ApplicationFailure> => {
        const free = await freeBytes(deps.stagingDir);
        // Nothing of this image stays on a host that will not work on it.
        await rm(dir, { recursive: true, force: true });
        return ApplicationFailure.create({
          type: StagingFailureType.DiskFull,
          nonRetryable: true,
          message:
            `staging disk full on host ${deps.hostId} ${during}: ${deps.stagingDir} has ${free} bytes free, ${image.file} needs ${image.size}; ` +
            'free space there (staging.dir) or add a host with room',
          details: [{ hostId: deps.hostId, hostTaskQueue: deps.hostTaskQueue } satisfies HostFailureDetails],
        });
      };
      try {
        await mkdir(dir, { recursive: true });
        // Whose files these are, for the host's staging janitor (workers/staging-janitor.ts).
        await writeStagingMarker(dir, imageKey);
      } catch (err) {
        if (isEnospc(err)) throw await diskFull('before the download');
        throw err;
      }
      // A partial file of an earlier attempt on this host is resumed: only the rest needs room.
      const have = await stat(dest).then((s) => s.size, () => 0);
      if ((await freeBytes(dir)) < image.size - have) throw await diskFull('before the download');
      const previous = ctx.info.heartbeatDetails as FetchHeartbeat | undefined;
      if (previous && previous.hostId === deps.hostId) ctx.log.info('resuming download', { offset: previous.offset });
      try {
        const r = await downloadVerified({
          url,
          dest,
          expectedSize: image.size,
          expectedSha256: image.sha256,
          signal: ctx.cancellationSignal,
          idleTimeoutMs: deps.idleTimeoutMs,
          onProgress: ({ offset }) => ctx.heartbeat({ hostId: deps.hostId, offset } satisfies FetchHeartbeat),
        });
        ctx.heartbeat({ hostId: deps.hostId, offset: r.size } satisfies FetchHeartbeat);
        return { hostTaskQueue: deps.hostTaskQueue, hostId: deps.hostId, path: r.path, size: r.size, sha256: r.sha256 };
      } catch (err) {
        if (err instanceof DownloadVerificationError || err instanceof DownloadNotFoundError) {
          throw ApplicationFailure.nonRetryable(err.message, err.name);
        }
        if (ctx.cancellationSignal.aborted) throw err;
        // The disk filled up mid-way. Asked of the file system, not read from the error: the
        // download client reports a failed write as an interruption, in its own words.
        const got = await stat(dest).then((s) => s.size, () => 0);
        if (isEnospc(err) || (await freeBytes(dir)) < image.size - got) throw await diskFull(`after ${got} of ${image.size} bytes`);
        throw err;
      }
    },
  };
}

/** Bytes an unprivileged writer may still use there; unknown (statfs failed) counts as plenty,
 *  so a broken statfs never turns into a false "disk full". */
async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir).catch(() => undefined);
  return s ? s.bavail * s.bsize : Number.POSITIVE_INFINITY;
}

/** ENOSPC on the error or its causes: the download client wraps a failed write. (Not
 *  clients/images' isEnospc, which looks at the error alone on purpose: its callers wrap an
 *  inner DiskFullError that carries the more precise message.) */
function isEnospc(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as NodeJS.ErrnoException).code === 'ENOSPC') return true;
  }
  return false;
}

export type FetchActivities = ReturnType<typeof createFetchActivities>;
