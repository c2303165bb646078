// Streams one file from its trusted URL to disk with bounded memory, hashing on the way, and
// resumes an interrupted download with an HTTP Range request instead of starting over.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat, truncate } from 'node:fs/promises';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import { DownloadInterruptedError, DownloadNotFoundError, DownloadVerificationError } from './errors';

export interface DownloadRequest {
  url: string;
  dest: string;
  expectedSize: number;
  /** Hex sha256 to verify; without one only the size is verified (and the hash reported). */
  expectedSha256?: string;
  signal?: AbortSignal;
  /** Called every `progressEveryBytes` received; a resume trusts the file on disk, not this. */
  onProgress?: (p: { offset: number; total: number }) => void;
  progressEveryBytes?: number;
}

export interface DownloadResult {
  path: string;
  size: number;
  sha256: string;
  /** Bytes taken from a partial file left by an earlier attempt. */
  resumedFrom: number;
  /** Bytes this call received over the network. */
  transferred: number;
}

export async function downloadVerified(req: DownloadRequest): Promise<DownloadResult> {
  const hash = createHash('sha256');
  let offset = await existingBytes(req.dest, req.expectedSize);
  if (offset > 0) await hashExisting(req.dest, offset, hash, req.signal);
  const resumedFrom = offset;
  let transferred = 0;

  if (offset < req.expectedSize) {
    const res = await request(req.url, offset, req.signal);
    if (offset > 0 && res.status === 200) {
      // The server ignored Range: start again from zero rather than append a second copy.
      await res.body?.cancel();
      await truncate(req.dest, 0);
      return downloadVerified(req);
    }
    const counter = new ProgressCounter(offset, req.expectedSize, hash, req.onProgress, req.progressEveryBytes ?? 8 * 1024 * 1024);
    try {
      await pipeline(
        Readable.fromWeb(res.body as ReadableStream<Uint8Array>),
        counter,
        createWriteStream(req.dest, { flags: offset > 0 ? 'r+' : 'w', start: offset }),
        { signal: req.signal },
      );
    } catch (err) {
      if (req.signal?.aborted) throw err;
      if (err instanceof DownloadVerificationError) {
        await rm(req.dest, { force: true });
        throw err;
      }
      // The partial file stays: the next attempt resumes from what reached the disk.
      throw new DownloadInterruptedError(`download of ${req.url} interrupted after ${counter.position} bytes: ${describe(err)}`);
    }
    transferred = counter.position - offset;
    offset = counter.position;
  }

  const sha256 = hash.digest('hex');
  if (offset !== req.expectedSize) {
    await rm(req.dest, { force: true });
    throw new DownloadVerificationError(`${req.url}: got ${offset} bytes, Koji lists ${req.expectedSize}`);
  }
  if (req.expectedSha256 && sha256 !== req.expectedSha256.toLowerCase()) {
    await rm(req.dest, { force: true });
    throw new DownloadVerificationError(`${req.url}: sha256 ${sha256} does not match the checksum Koji published (${req.expectedSha256})`);
  }
  return { path: req.dest, size: offset, sha256, resumedFrom, transferred };
}

/** Bytes of a usable partial file; a file longer than expected is not ours to trust. */
async function existingBytes(path: string, expected: number): Promise<number> {
  try {
    const s = await stat(path);
    if (s.size <= expected) return s.size;
    await rm(path, { force: true });
    return 0;
  } catch {
    return 0;
  }
}

async function hashExisting(path: string, length: number, hash: Hash, signal?: AbortSignal): Promise<void> {
  for await (const chunk of createReadStream(path, { start: 0, end: length - 1, signal })) hash.update(chunk as Buffer);
}

async function request(url: string, offset: number, signal?: AbortSignal): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { headers: offset > 0 ? { Range: `bytes=${offset}-` } : {}, signal });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new DownloadInterruptedError(`cannot reach ${url}: ${describe(err)}`);
  }
  if (res.status === 200 || res.status === 206) return res;
  await res.body?.cancel();
  if (res.status === 404 || res.status === 410 || res.status === 403) {
    throw new DownloadNotFoundError(`${url}: HTTP ${res.status}; is the task id right and the file still in Koji?`);
  }
  if (res.status === 416) {
    throw new DownloadVerificationError(`${url}: the server has fewer bytes than the ${offset} already fetched`);
  }
  throw new DownloadInterruptedError(`${url}: HTTP ${res.status}`);
}

function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}

class ProgressCounter extends Transform {
  private lastReport: number;
  constructor(
    public position: number,
    private readonly total: number,
    private readonly hash: Hash,
    private readonly onProgress: DownloadRequest['onProgress'],
    private readonly reportEvery: number,
  ) {
    super();
    this.lastReport = position;
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.position + chunk.length > this.total) {
      done(new DownloadVerificationError(`the server sent more than the ${this.total} bytes Koji lists`));
      return;
    }
    this.hash.update(chunk);
    this.position += chunk.length;
    if (this.onProgress && this.position - this.lastReport >= this.reportEvery) {
      this.lastReport = this.position;
      this.onProgress({ offset: this.position, total: this.total });
    }
    done(null, chunk);
  }
}
