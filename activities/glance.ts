// Publishing a qcow2 to Glance, adapted to Temporal: upload progress goes out as heartbeats,
// cancellation aborts the stream, and errors another attempt cannot fix become non-retryable
// failures with stable types. Idempotent: a run looks for this project's image by name and tag
// first, reuses an active one with the same content, and deletes what a crashed attempt left.
//
// Waiting belongs to the workflow: publishToGlance returns as soon as its upload is done (the
// image is then active on every store we know) or, for web-download, as soon as Glance accepted
// the import; the workflow then polls getGlanceImage with timers until the image is active.
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { stat } from 'node:fs/promises';
import {
  GlanceSourceMismatchError,
  GlanceVerificationError,
  IDENTITY,
  OpenStackAuthError,
  OpenStackCatalogError,
  OpenStackConnectionError,
  OpenStackError,
  OpenStackHttpError,
  OpenStackProtocolError,
  fedoraImageProperties,
  type FedoraArch,
  type Firmware,
  type GlanceApi,
  type GlanceImage,
  type GlanceStatus,
  type Visibility,
} from '../clients/openstack';
import { hashFile } from '../clients/openstack/upload';
import { GlanceFailureType, type GlanceFailureTypeName } from '../domain/failures/glance';

export interface PublishToGlanceInput {
  /** Glance image name, e.g. Fedora-Cloud-Base-Generic-44-1.7.x86_64. */
  name: string;
  /** The staged qcow2 on this worker host. */
  qcow2Path: string;
  size: number;
  /** sha256 of the qcow2, as verified when it was staged. */
  sha256: string;
  arch: FedoraArch;
  release: string;
  family: string;
  /** nightly, weekly, rc, respin, … */
  kind: string;
  buildId: string;
  visibility: Visibility;
  /** The qcow2 on the download server; used when the settings choose `upload: web-download`. */
  sourceUrl?: string;
  /** Smallest root disk the image needs (its virtual size, rounded up). */
  minDiskGiB?: number;
}

export interface GlanceImageState {
  imageId: string;
  status: GlanceStatus;
  size: number | null;
  /** Glance's hash of the stored data (os_hash_algo, sha512 by default). */
  osHashValue: string | null;
  osHashAlgo: string | null;
}

export interface PublishToGlanceResult extends GlanceImageState {
  /** sha512 of the qcow2, computed while it was sent (or read, for web-download). */
  sha512: string | null;
  /** An earlier run's image was found and kept: nothing was uploaded. */
  reused: boolean;
  /** Leftovers of earlier attempts (queued, saving, killed) that were deleted. */
  removed: string[];
}

export interface GetGlanceImageInput {
  imageId: string;
  /** When given and the image is active, its size and hash must match, or it is deleted. */
  expectedSize?: number;
  expectedSha512?: string;
}

/** Heartbeat details of publishToGlance: where it is, and the image it is filling. */
export interface PublishToGlanceHeartbeat {
  phase: 'lookup' | 'create' | 'upload' | 'import' | 'verify';
  imageId?: string;
  bytes?: number;
  total?: number;
}


export interface GlanceActivityDeps {
  client: GlanceApi;
  /** This project's tag on every image it makes. Default fedimg. */
  tag?: string;
  /** hw_firmware_type of x86_64 images. Default bios. */
  x86Firmware?: Firmware;
  /** stream (default) or web-download (needs the input's sourceUrl). */
  upload?: 'stream' | 'web-download';
}

const LEFTOVER: ReadonlySet<string> = new Set(['queued', 'saving', 'uploading', 'importing', 'killed']);
const CLEANUP_TIMEOUT_MS = 30_000;

export function createGlanceActivities(deps: GlanceActivityDeps) {
  const { client } = deps;
  const tag = deps.tag ?? 'fedimg';
  const mode = deps.upload ?? 'stream';

  return {
    async publishToGlance(input: PublishToGlanceInput): Promise<PublishToGlanceResult> {
      const ctx = Context.current();
      const signal = ctx.cancellationSignal;
      const beat = (d: PublishToGlanceHeartbeat) => ctx.heartbeat(d);
      const sha256 = input.sha256.toLowerCase();
      const webDownload = mode === 'web-download' && input.sourceUrl !== undefined;

      const checkSource = (sent: { bytes: number; sha256: string }): void => {
        if (sent.bytes !== input.size || sent.sha256 !== sha256) {
          throw new GlanceSourceMismatchError(
            `${input.qcow2Path} changed since it was staged: read ${sent.bytes} bytes with sha256 ${sent.sha256}, expected ${input.size} / ${sha256}`,
          );
        }
      };

      /** Sends the data (or has Glance fetch it), then checks what Glance holds. */
      const fill = async (imageId: string): Promise<Omit<PublishToGlanceResult, 'reused' | 'removed'>> => {
        let sent: { bytes: number; sha256: string; sha512: string };
        if (webDownload && input.sourceUrl !== undefined) {
          sent = await hashFile(input.qcow2Path, { signal, onProgress: (p) => beat({ phase: 'import', imageId, ...p }) });
          checkSource(sent);
          await client.importWebDownload(imageId, input.sourceUrl, { signal });
        } else {
          sent = await client.uploadFile(imageId, input.qcow2Path, { signal, onProgress: (p) => beat({ phase: 'upload', imageId, ...p }) });
          checkSource(sent);
        }
        beat({ phase: 'verify', imageId });
        const after = await client.getImage(imageId, { signal });
        if (!after) throw new GlanceVerificationError(`Glance image ${imageId} vanished right after its upload`);
        // Active now on every synchronous store; otherwise the workflow polls getGlanceImage.
        if (after.status === 'active') verify(after, sent.bytes, sent.sha512, sent.sha256);
        return { ...state(after), sha512: sent.sha512 };
      };

      try {
        beat({ phase: 'lookup' });
        const removed: string[] = [];
        const found = await client.findImages({ name: input.name, tag }, { signal });
        // The image a previous attempt was filling when it stopped heartbeating, if the list missed it.
        const previous = (ctx.info.heartbeatDetails as PublishToGlanceHeartbeat | undefined)?.imageId;
        if (previous && !found.some((i) => i.id === previous)) {
          const img = await client.getImage(previous, { signal });
          if (img && LEFTOVER.has(img.status) && img.tags.includes(tag)) found.push(img);
        }
        let keep: GlanceImage | undefined;
        for (const img of found) {
          const same = img.size === input.size && img[IDENTITY.sha256] === sha256;
          if (img.status === 'active') {
            if (!same) {
              throw ApplicationFailure.nonRetryable(
                `Glance already has an active image "${input.name}" tagged ${tag} (${img.id}) with other content ` +
                  `(size ${img.size}, ${IDENTITY.sha256} ${String(img[IDENTITY.sha256] ?? 'unset')}; ours ${input.size}, ${sha256}); ` +
                  'rename the build or delete that image',
                GlanceFailureType.NameConflict,
              );
            }
            keep ??= img;
          } else if (webDownload && img.status === 'importing' && img[IDENTITY.sha256] === sha256 && !keep) {
            keep = img; // our own import, still running: the workflow keeps waiting for it
          } else if (LEFTOVER.has(img.status)) {
            ctx.log.info('deleting a leftover Glance image', { imageId: img.id, status: img.status });
            await client.deleteImage(img.id, { signal });
            removed.push(img.id);
          }
        }
        if (keep) return { ...state(keep), sha512: null, reused: true, removed };

        const local = await stat(input.qcow2Path).catch((err: NodeJS.ErrnoException) => {
          throw ApplicationFailure.nonRetryable(
            `the staged qcow2 ${input.qcow2Path} is not readable (${err.code ?? err.message})`,
            GlanceFailureType.SourceMismatch,
          );
        });
        if (local.size !== input.size) {
          throw ApplicationFailure.nonRetryable(
            `the staged qcow2 ${input.qcow2Path} has ${local.size} bytes, not the ${input.size} it was verified with`,
            GlanceFailureType.SourceMismatch,
          );
        }

        beat({ phase: 'create' });
        const image = await client.createImage(
          {
            name: input.name,
            visibility: input.visibility,
            diskFormat: 'qcow2',
            containerFormat: 'bare',
            minDiskGiB: input.minDiskGiB,
            tags: [tag],
            properties: fedoraImageProperties(
              { arch: input.arch, release: input.release, family: input.family, kind: input.kind, buildId: input.buildId, sha256 },
              { x86Firmware: deps.x86Firmware },
            ),
          },
          { signal },
        );
        try {
          return { ...(await fill(image.id)), reused: false, removed };
        } catch (err) {
          // A failed or cancelled upload leaves no half image behind (a crash does: the next run removes it).
          await cleanup(image.id, ctx.log);
          throw err;
        }
      } catch (err) {
        throw toFailure(err);
      }
    },

    /** One look at an image, for the workflow's wait-until-active loop. null when it is gone. */
    async getGlanceImage(input: GetGlanceImageInput): Promise<GlanceImageState | null> {
      const ctx = Context.current();
      try {
        const img = await client.getImage(input.imageId, { signal: ctx.cancellationSignal });
        if (!img) return null;
        if (img.status === 'active' && (input.expectedSize !== undefined || input.expectedSha512 !== undefined)) {
          try {
            verify(img, input.expectedSize, input.expectedSha512, undefined);
          } catch (err) {
            await cleanup(img.id, ctx.log);
            // The workflow decides whether to publish again; this look would fail the same way.
            throw ApplicationFailure.nonRetryable((err as Error).message, GlanceFailureType.VerificationFailed);
          }
        }
        return state(img);
      } catch (err) {
        throw toFailure(err);
      }
    },

    /** Deletes one image; an image already gone counts as done. */
    async deleteGlanceImage(input: { imageId: string }): Promise<{ deleted: boolean }> {
      try {
        return { deleted: await client.deleteImage(input.imageId, { signal: Context.current().cancellationSignal }) };
      } catch (err) {
        throw toFailure(err);
      }
    },
  };

  /** Best effort, after a failure or a cancellation: never on the (maybe cancelled) activity signal. */
  async function cleanup(imageId: string, log: { warn: (m: string, a?: Record<string, unknown>) => void }): Promise<void> {
    try {
      await client.deleteImage(imageId, { signal: AbortSignal.timeout(CLEANUP_TIMEOUT_MS) });
    } catch (err) {
      log.warn('could not delete a failed Glance image; the next attempt will', { imageId, error: (err as Error).message });
    }
  }
}

export type GlanceActivities = ReturnType<typeof createGlanceActivities>;

function state(img: GlanceImage): GlanceImageState {
  return { imageId: img.id, status: img.status, size: img.size, osHashValue: img.os_hash_value, osHashAlgo: img.os_hash_algo };
}

/** Glance's size and hash against ours; throws GlanceVerificationError on a difference. */
function verify(img: GlanceImage, size: number | undefined, sha512: string | undefined, sha256: string | undefined): void {
  if (size !== undefined && img.size !== size) {
    throw new GlanceVerificationError(`Glance image ${img.id} holds ${img.size} bytes, ${size} were sent`);
  }
  const algo = img.os_hash_algo ?? undefined;
  const ours = algo === 'sha512' ? sha512 : algo === 'sha256' ? sha256 : undefined;
  if (ours !== undefined && img.os_hash_value !== ours) {
    throw new GlanceVerificationError(`Glance image ${img.id}: ${algo} ${img.os_hash_value} differs from what was sent (${ours})`);
  }
}

/** Client errors to Temporal failures; cancellations and ApplicationFailures pass through. */
export function toFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure || err instanceof CancelledFailure) return err;
  if ((err as Error | undefined)?.name === 'AbortError') return err;
  if (!(err instanceof OpenStackError)) return err;
  return ApplicationFailure.create({ message: err.message, type: failureType(err), nonRetryable: !err.retryable, cause: err });
}

export function failureType(err: OpenStackError): GlanceFailureTypeName {
  if (err instanceof OpenStackAuthError) return GlanceFailureType.AuthFailed;
  if (err instanceof GlanceSourceMismatchError) return GlanceFailureType.SourceMismatch;
  if (err instanceof GlanceVerificationError) return GlanceFailureType.VerificationFailed;
  if (err instanceof OpenStackCatalogError) return GlanceFailureType.CatalogMissing;
  if (err instanceof OpenStackConnectionError) return GlanceFailureType.Unreachable;
  if (err instanceof OpenStackProtocolError) return GlanceFailureType.Protocol;
  if (err instanceof OpenStackHttpError) {
    if (err.retryable) return GlanceFailureType.Unavailable;
    if (err.status === 403) return GlanceFailureType.Forbidden;
    if (err.status === 401) return GlanceFailureType.AuthFailed;
    return GlanceFailureType.Rejected;
  }
  return err.retryable ? GlanceFailureType.Unavailable : GlanceFailureType.Rejected;
}
