// Publishing one arch's image set to the download server, adapted to Temporal: progress and the
// resume state (keys written, the S3 multipart upload in flight) go out as heartbeat details,
// the next attempt continues from them, and errors that another attempt cannot fix become
// non-retryable failures with stable types.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import {
  BadFileNameError,
  DownloadConflictError,
  SourceMismatchError,
  TargetMisconfiguredError,
  publishImageSet,
  type DownloadTarget,
  type FileFacts,
  type PublishedFile,
  type PublishResume,
} from '../clients/downloads';
import { DownloadFailureType } from '../domain/failures/downloads';

export type { FileFacts, PublishedFile } from '../clients/downloads';

export interface PublishDownloadsInput {
  release: string;
  family: string;
  arch: string;
  /** The images, published in this order. */
  files: FileFacts[];
  /** Published last, once every image is in place. */
  checksumFile: FileFacts;
}

export interface PublishDownloadsResult {
  /** The images in input order, then the CHECKSUM file. */
  files: PublishedFile[];
}

/** Heartbeat details: the resume state, plus where the upload is for people watching. */
export interface PublishDownloadsHeartbeat extends PublishResume {
  progress?: { name: string; phase: 'check' | 'upload'; bytesDone: number; bytesTotal: number };
}


// Heartbeat details come back from the server; anything unexpected means "start afresh".
const resumeSchema = z.object({
  uploaded: z.array(z.string()),
  multipart: z
    .object({
      key: z.string(),
      uploadId: z.string().min(1),
      partSize: z.number().int().positive(),
      size: z.number().int().nonnegative(),
      sha256: z.string(),
      partsDone: z.array(z.number().int().positive()),
    })
    .optional(),
});

export function createDownloadActivities({ target }: { target: DownloadTarget }) {
  return {
    async publishDownloads(input: PublishDownloadsInput): Promise<PublishDownloadsResult> {
      const ctx = Context.current();
      const parsed = resumeSchema.safeParse(ctx.info.heartbeatDetails);
      const resume: PublishResume | undefined = parsed.success ? parsed.data : undefined;
      if (resume) {
        ctx.log.info('publishDownloads resuming', { uploaded: resume.uploaded.length, multipart: resume.multipart?.key });
      }
      try {
        const files = await publishImageSet(target, input, {
          signal: ctx.cancellationSignal,
          resume,
          onProgress: ({ resume: r, name, phase, bytesDone, bytesTotal }) => {
            const details: PublishDownloadsHeartbeat = { ...r, progress: { name, phase, bytesDone, bytesTotal } };
            ctx.heartbeat(details);
          },
        });
        return { files };
      } catch (err) {
        throw toFailure(err);
      }
    },
  };
}

export type DownloadActivities = ReturnType<typeof createDownloadActivities>;

function toFailure(err: unknown): unknown {
  const final = (type: string, e: Error, details: unknown[] = []) =>
    ApplicationFailure.create({ message: e.message, type, nonRetryable: true, details, cause: e });
  if (err instanceof DownloadConflictError) return final(DownloadFailureType.Conflict, err, [{ conflicts: err.conflicts }]);
  if (err instanceof BadFileNameError) return final(DownloadFailureType.BadFileName, err, [{ component: err.component, value: err.value }]);
  if (err instanceof SourceMismatchError) return final(DownloadFailureType.SourceMismatch, err, [{ path: err.path }]);
  if (err instanceof TargetMisconfiguredError) return final(DownloadFailureType.Misconfigured, err);
  return err;
}
