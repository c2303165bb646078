// The artifact stage as activities: thin adapters over clients/images. Progress becomes
// heartbeats (which also carry the finished raw's facts, so a retry on this host can reuse it),
// Temporal's cancellation becomes the client's AbortSignal, and the client's errors become
// ApplicationFailures whose type is the error's name: the image's own faults are final; a full
// staging disk is final on this host (another attempt here would fill it again: the arch
// pipeline removes the staged files and stages the image on another host); a tool failing is
// retryable.
import { join } from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { prepareArtifacts, removeStagedDir } from '../clients/images/artifacts';
import type { ArtifactProgress, FileFacts, OutputFormat } from '../clients/images/artifacts';
import { DiskFullError, isPermanentImageError } from '../clients/images/errors';
import { StagingFailureType } from '../domain/failures/staging';
import { stagingFolder } from './staging-paths';

export type { FileFacts, OutputFormat } from '../clients/images/artifacts';

export interface ArtifactActivityDeps {
  /** Root of this host's staging area; each image has one folder there (see staging-paths). */
  stagingDir: string;
  maxImageBytes: number;
  /** qemu-img convert -m. */
  qemuParallelism: number;
  /** xz -T (0 = one per core). */
  xzThreads: number;
}

export interface PrepareArtifactsInput {
  /** The image's key, the same one the fetch used (`<workflow id>/<arch>`): names its staging folder. */
  imageId: string;
  /** The fetched image, on this host (normally in the same staging folder). */
  sourcePath: string;
  /** e.g. Fedora-Cloud-Base-Generic-44-1.7.x86_64 */
  baseName: string;
  outputs: OutputFormat[];
}

export interface PreparedArtifactsResult {
  raw: FileFacts;
  qcow2?: FileFacts;
  rawTarXz?: FileFacts;
  checksumFile: FileFacts;
}

/** What prepareArtifacts heartbeats; `raw` lets the next attempt skip rebuilding the raw. */
export interface ArtifactHeartbeat extends ArtifactProgress {
  imageId: string;
}

/** Failure types, stable for retry policies and for workflows that branch on them; the same
 *  names as the fetch's (domain/failures/staging). */
export const ArtifactFailureType = {
  imageFormat: StagingFailureType.ImageFormat,
  imageCorrupt: StagingFailureType.ImageCorrupt,
  imageTooLarge: StagingFailureType.ImageTooLarge,
  request: StagingFailureType.ArtifactRequest,
  diskFull: StagingFailureType.DiskFull,
  toolFailed: StagingFailureType.ToolFailed,
  outputInvalid: StagingFailureType.OutputInvalid,
} as const;

/** Sub-folder of the image's staging folder for our outputs: the fetched file keeps its own name
 *  there (Fedora names a fetched qcow2 exactly like the qcow2 we publish). */
export const ARTIFACTS_SUBDIR = 'artifacts';

export function createArtifactActivities(deps: ArtifactActivityDeps) {
  const folderOf = (imageId: string): string => {
    if (imageId.length === 0) {
      throw ApplicationFailure.create({ type: ArtifactFailureType.request, nonRetryable: true, message: 'imageId is empty' });
    }
    return stagingFolder(deps.stagingDir, imageId);
  };

  return {
    async prepareArtifacts(input: PrepareArtifactsInput): Promise<PreparedArtifactsResult> {
      const ctx = Context.current();
      const outDir = join(folderOf(input.imageId), ARTIFACTS_SUBDIR);
      const resumeRaw = previousRaw(ctx.info.heartbeatDetails);
      try {
        const r = await prepareArtifacts({
          sourcePath: input.sourcePath,
          outDir,
          baseName: input.baseName,
          outputs: input.outputs,
          maxImageBytes: deps.maxImageBytes,
          qemuParallelism: deps.qemuParallelism,
          xzThreads: deps.xzThreads,
          signal: ctx.cancellationSignal,
          onProgress: (p) => ctx.heartbeat({ imageId: input.imageId, ...p } satisfies ArtifactHeartbeat),
          ...(resumeRaw ? { resumeRaw } : {}),
        });
        ctx.log.info('artifacts prepared', {
          imageId: input.imageId,
          sourceFormat: r.source.format,
          reused: r.reused,
          raw: r.raw.size,
          qcow2: r.qcow2?.size,
          rawTarXz: r.rawTarXz?.size,
        });
        return {
          raw: r.raw,
          ...(r.qcow2 ? { qcow2: r.qcow2 } : {}),
          ...(r.rawTarXz ? { rawTarXz: r.rawTarXz } : {}),
          checksumFile: r.checksumFile,
        };
      } catch (err) {
        throw toFailure(err, ctx.cancellationSignal);
      }
    },

    /** Delete everything staged for an image on this host (fetched file and artifacts);
     *  removing nothing is success. */
    async removeStaged(imageId: string): Promise<void> {
      await removeStagedDir(folderOf(imageId));
    },
  };
}

export type ArtifactActivities = ReturnType<typeof createArtifactActivities>;

function previousRaw(details: unknown): { size: number; sha256: string } | undefined {
  const raw = (details as Partial<ArtifactHeartbeat> | undefined)?.raw;
  if (raw && Number.isSafeInteger(raw.size) && typeof raw.sha256 === 'string' && /^[0-9a-f]{64}$/.test(raw.sha256)) {
    return { size: raw.size, sha256: raw.sha256 };
  }
  return undefined;
}

function toFailure(err: unknown, cancellation: AbortSignal): unknown {
  // Cancellation: rethrow the SDK's own reason (a CancelledFailure) so the attempt ends as cancelled.
  if (cancellation.aborted && err === cancellation.reason) return err;
  if (!(err instanceof Error) || !(Object.values(ArtifactFailureType) as string[]).includes(err.name)) return err;
  return ApplicationFailure.create({
    type: err.name,
    message: err.message,
    nonRetryable: isPermanentImageError(err) || err instanceof DiskFullError,
    cause: err,
  });
}
