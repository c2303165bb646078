// An S3-compatible bucket (AWS, or moto/MinIO/Ceph with an endpoint and path-style addressing).
// Small files go up in one PUT, large ones as a multipart upload; every request carries a
// SHA-256 checksum the server checks (AWS does; moto stores it unchecked), and the whole file's
// sha256 is kept in the object's metadata (x-amz-meta-sha256) so a later run can tell "same
// content" from "different content" with one HEAD. Writes are conditional (If-None-Match: *):
// an object that exists is never replaced, even one that appeared after our HEAD.
//
// Multipart is written here rather than with @aws-sdk/lib-storage: lib-storage's Upload cannot
// continue an existing UploadId, and resuming after a worker dies is the point (a 5 GiB image
// should not start over). The upload id and finished parts go out through onProgress, the
// activity heartbeats them, and the next attempt asks S3 (ListParts) what it already holds.
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
  type HeadObjectCommandOutput,
  type Part,
} from '@aws-sdk/client-s3';
import { TargetMisconfiguredError } from './errors';
import { compileLayout, publicUrlFor } from './layout';
import { assertDigest, contentTypeOf, openSource, readRange } from './source-file';
import type { CheckOptions, DownloadTarget, Existing, FileFacts, MultipartResume, PutOptions } from './types';

const MiB = 1024 * 1024;
/** S3 refuses parts under 5 MiB (all but the last) and uploads of more than 10,000 parts. */
export const S3_MIN_PART_SIZE = 5 * MiB;
export const S3_MAX_PARTS = 10_000;
export const DEFAULT_PART_SIZE = 8 * MiB;
export const DEFAULT_MULTIPART_THRESHOLD = 16 * MiB;

export interface S3ClientOptions {
  region: string;
  /** Unset for AWS; set for moto or another S3-compatible server. */
  endpoint?: string;
  /** Path-style URLs (http://host/bucket/key); most non-AWS servers need it. */
  forcePathStyle?: boolean;
}

/**
 * The S3 client for downloads. Credentials come only from the SDK's default chain (environment,
 * shared files, instance or container role), never from parameters: these options can travel in
 * workflow inputs and histories, a key must not.
 */
export function createDownloadsS3Client({ region, endpoint, forcePathStyle }: S3ClientOptions): S3Client {
  return new S3Client({ region, ...(endpoint ? { endpoint } : {}), forcePathStyle: forcePathStyle ?? endpoint !== undefined });
}

export interface S3TargetOptions {
  client: S3Client;
  bucket: string;
  /** e.g. "{release}/{family}/{arch}/images/{file}"; a fixed prefix may come first. */
  layout: string;
  publicUrl?: string;
  /** Bytes per part, at least 5 MiB; default 8 MiB (raised for huge files to stay within 10,000 parts). */
  partSize?: number;
  /** Files larger than this go multipart; default 16 MiB. */
  multipartThreshold?: number;
  /** Parts in flight at once; default 4 (each holds one part in memory). */
  concurrency?: number;
}

export function createS3Target(options: S3TargetOptions): DownloadTarget {
  const { client, bucket } = options;
  const layout = compileLayout(options.layout);
  const basePartSize = options.partSize ?? DEFAULT_PART_SIZE;
  const threshold = options.multipartThreshold ?? DEFAULT_MULTIPART_THRESHOLD;
  const concurrency = options.concurrency ?? 4;
  if (basePartSize < S3_MIN_PART_SIZE) throw new Error(`S3 part size ${basePartSize} is under S3's minimum of 5 MiB`);
  if (!(concurrency >= 1)) throw new Error(`S3 upload concurrency must be at least 1, not ${concurrency}`);

  /** The configured size, raised in whole MiB when the file would need more than 10,000 parts. */
  const partSizeFor = (size: number) => Math.max(basePartSize, Math.ceil(size / S3_MAX_PARTS / MiB) * MiB);

  // Sends with the caller's signal and turns "the bucket is not there" into a final error.
  async function call<T>(what: string, signal: AbortSignal | undefined, request: (o: { abortSignal?: AbortSignal }) => Promise<T>): Promise<T> {
    try {
      return await request(signal ? { abortSignal: signal } : {});
    } catch (err) {
      signal?.throwIfAborted();
      if (errorName(err) === 'NoSuchBucket') {
        throw new TargetMisconfiguredError(`downloads bucket ${bucket} does not exist (${what})`, { cause: err });
      }
      throw err;
    }
  }

  async function putSingle(key: string, file: FileFacts, opts: PutOptions): Promise<'written' | 'exists'> {
    const fh = await openSource(file);
    let body: Buffer;
    try {
      body = await readRange(fh, 0, file.size, file.path);
    } finally {
      await fh.close();
    }
    const digest = createHash('sha256').update(body).digest();
    assertDigest(file, digest.toString('hex'));
    try {
      await call('PutObject', opts.signal, (o) =>
        client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: body,
            ContentLength: file.size,
            ContentType: contentTypeOf(file.name),
            ChecksumAlgorithm: 'SHA256',
            ChecksumSHA256: digest.toString('base64'),
            Metadata: { sha256: file.sha256 },
            IfNoneMatch: '*',
          }),
          o,
        ),
      );
    } catch (err) {
      if (isPreconditionFailed(err)) return 'exists';
      throw err;
    }
    opts.onProgress?.({ bytesDone: file.size, bytesTotal: file.size });
    return 'written';
  }

  /** Parts S3 holds for an upload, or undefined when the upload is gone (completed, aborted, expired). */
  async function listParts(key: string, uploadId: string, signal?: AbortSignal): Promise<Map<number, Part> | undefined> {
    const parts = new Map<number, Part>();
    let marker: string | undefined;
    try {
      do {
        const page = await call('ListParts', signal, (o) =>
          client.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker }), o),
        );
        for (const p of page.Parts ?? []) if (p.PartNumber !== undefined) parts.set(p.PartNumber, p);
        marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
      } while (marker);
      return parts;
    } catch (err) {
      if (errorName(err) === 'NoSuchUpload') return undefined;
      throw err;
    }
  }

  async function abortUpload(key: string, uploadId: string): Promise<void> {
    // Best effort: a leftover upload costs storage until the bucket's lifecycle rule
    // (AbortIncompleteMultipartUpload) removes it.
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
  }

  async function putMultipart(key: string, file: FileFacts, opts: PutOptions): Promise<'written' | 'exists'> {
    const { signal, onProgress, resume } = opts;
    const fh = await openSource(file);
    try {
      let uploadId: string | undefined;
      let partSize = partSizeFor(file.size);
      let held = new Map<number, Part>();
      if (resume && resumable(resume, file)) {
        const listed = await listParts(key, resume.uploadId, signal);
        if (listed) {
          uploadId = resume.uploadId;
          partSize = resume.partSize;
          held = listed;
        }
      }
      if (uploadId === undefined) {
        const created = await call('CreateMultipartUpload', signal, (o) =>
          client.send(
            new CreateMultipartUploadCommand({
              Bucket: bucket,
              Key: key,
              ContentType: contentTypeOf(file.name),
              ChecksumAlgorithm: 'SHA256',
              Metadata: { sha256: file.sha256 },
            }),
            o,
          ),
        );
        if (!created.UploadId) throw new Error(`CreateMultipartUpload for ${key} returned no UploadId`);
        uploadId = created.UploadId;
      }
      const id = uploadId;
      const done = await uploadParts(key, id, fh, file, partSize, held, signal, (bytesDone, partsDone) =>
        onProgress?.({ bytesDone, bytesTotal: file.size, multipart: { uploadId: id, partSize, size: file.size, sha256: file.sha256, partsDone } }),
      );
      try {
        await call('CompleteMultipartUpload', signal, (o) =>
          client.send(
            new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: id, MultipartUpload: { Parts: done }, IfNoneMatch: '*' }),
            o,
          ),
        );
      } catch (err) {
        if (isPreconditionFailed(err)) {
          await abortUpload(key, id);
          return 'exists';
        }
        throw err;
      }
      return 'written';
    } finally {
      await fh.close();
    }
  }

  /**
   * Reads the file part by part in order (hashing the whole file on the way, so what completes
   * is what was measured), skips parts S3 already holds with the same size and checksum, and
   * uploads the rest, `concurrency` at a time.
   */
  async function uploadParts(
    key: string,
    uploadId: string,
    fh: FileHandle,
    file: FileFacts,
    partSize: number,
    held: Map<number, Part>,
    signal: AbortSignal | undefined,
    report: (bytesDone: number, partsDone: number[]) => void,
  ): Promise<CompletedPart[]> {
    const count = Math.max(1, Math.ceil(file.size / partSize));
    const done = new Map<number, CompletedPart>();
    let bytesDone = 0;
    const progress = () => report(bytesDone, [...done.keys()].sort((a, b) => a - b));
    progress(); // the upload id is worth heartbeating before the first part finishes

    const whole = createHash('sha256');
    const inner = new AbortController();
    const onAbort = () => inner.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const inflight = new Set<Promise<void>>();
    let failure: { error: unknown } | undefined;
    try {
      for (let n = 1; n <= count; n++) {
        inner.signal.throwIfAborted();
        const offset = (n - 1) * partSize;
        const body = await readRange(fh, offset, Math.min(partSize, file.size - offset), file.path);
        whole.update(body);
        const checksum = createHash('sha256').update(body).digest('base64');
        const have = held.get(n);
        // AWS lists each part's checksum; moto lists none, and then size is all we can compare
        // (AWS would still refuse CompleteMultipartUpload if a part's checksum did not match).
        if (have?.ETag && have.Size === body.length && (have.ChecksumSHA256 === undefined || have.ChecksumSHA256 === checksum)) {
          done.set(n, { PartNumber: n, ETag: have.ETag, ChecksumSHA256: checksum });
          bytesDone += body.length;
          progress();
          continue;
        }
        const task = call('UploadPart', inner.signal, (o) =>
          client.send(
            new UploadPartCommand({
              Bucket: bucket,
              Key: key,
              UploadId: uploadId,
              PartNumber: n,
              Body: body,
              ContentLength: body.length,
              ChecksumAlgorithm: 'SHA256',
              ChecksumSHA256: checksum,
            }),
            o,
          ),
        )
          .then((r) => {
            if (!r.ETag) throw new Error(`UploadPart ${n} of ${key} returned no ETag`);
            done.set(n, { PartNumber: n, ETag: r.ETag, ChecksumSHA256: checksum });
            bytesDone += body.length;
            progress();
          })
          // Never rejects: the first error stops the others and is thrown once all have settled.
          .catch((error: unknown) => {
            failure ??= { error };
            inner.abort(error);
          })
          .finally(() => inflight.delete(task));
        inflight.add(task);
        while (inflight.size >= concurrency) await Promise.race(inflight);
      }
    } catch (error) {
      failure ??= { error };
      inner.abort(error);
    } finally {
      await Promise.all(inflight);
      signal?.removeEventListener('abort', onAbort);
    }
    signal?.throwIfAborted();
    if (failure) throw failure.error;

    const digest = whole.digest('hex');
    if (digest !== file.sha256) await abortUpload(key, uploadId);
    assertDigest(file, digest);
    return [...done.values()].sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
  }

  return {
    description: `s3://${bucket}`,
    keyFor: (place, file) => layout.keyFor(place, file),
    urlFor: (key) => publicUrlFor(options.publicUrl, key),

    async check(key: string, file: FileFacts, opts: CheckOptions = {}): Promise<Existing> {
      let head: HeadObjectCommandOutput;
      try {
        head = await call('HeadObject', opts.signal, (o) => client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), o));
      } catch (err) {
        if (errorName(err) === 'NotFound' || errorName(err) === 'NoSuchKey') return { state: 'absent' };
        throw err;
      }
      if (head.ContentLength !== file.size) return { state: 'different', detail: `${head.ContentLength} bytes, this file has ${file.size}` };
      const stored = head.Metadata?.sha256;
      if (stored === undefined) return { state: 'different', detail: 'no x-amz-meta-sha256 to prove its content' };
      if (stored !== file.sha256) return { state: 'different', detail: `sha256 ${stored}, this file has ${file.sha256}` };
      return { state: 'same' };
    },

    put(key: string, file: FileFacts, opts: PutOptions = {}): Promise<'written' | 'exists'> {
      return file.size > threshold ? putMultipart(key, file, opts) : putSingle(key, file, opts);
    },
  };

  function resumable(r: MultipartResume, file: FileFacts): boolean {
    return (
      r.size === file.size &&
      r.sha256 === file.sha256 &&
      r.partSize >= S3_MIN_PART_SIZE &&
      Math.ceil(file.size / r.partSize) <= S3_MAX_PARTS
    );
  }
}

function errorName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}

function isPreconditionFailed(err: unknown): boolean {
  return errorName(err) === 'PreconditionFailed' || (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 412;
}
