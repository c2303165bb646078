// Streams one file from its trusted URL to disk with bounded memory, hashing on the way, and
// resumes an interrupted download with an HTTP Range request instead of starting over.
import { createHash, type Hash } from 'node:crypto';
import { close as closeCb, createReadStream, open as openCb } from 'node:fs';
import { rm, stat, truncate } from 'node:fs/promises';
import { promisify } from 'node:util';
import { DownloadInterruptedError, DownloadNotFoundError, DownloadVerificationError } from './errors';
import { httpGet, type HttpGetResponse } from './http-get';
import { SequentialWriter } from './sequential-writer';

const openFd = promisify(openCb);
const closeFd = promisify(closeCb);

/**
 * Received bytes not yet on disk above which reading pauses: the memory bound of a download
 * (plus the kernel's socket buffer), and about what a killed worker fetches again.
 */
const WRITE_HIGH_WATER = 8 * 1024 * 1024;
/** Bytes gathered per write: a syscall and a thread-pool round trip per 1 MiB, not per socket read. */
const MIN_WRITE = 1024 * 1024;

export interface DownloadRequest {
  url: string;
  dest: string;
  expectedSize: number;
  /** Hex sha256 to verify; without one only the size is verified (and the hash reported). */
  expectedSha256?: string;
  signal?: AbortSignal;
  /**
   * Called with the offset on disk each time another `progressEveryBytes` have been written; a
   * resume trusts the file on disk, not this.
   */
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
    if (offset > 0 && !resumesAt(res, offset)) {
      // The server ignored Range: start again from zero rather than append a second copy.
      res.destroy();
      await truncate(req.dest, 0);
      return downloadVerified(req);
    }
    if (res.contentLength !== undefined && offset + res.contentLength > req.expectedSize) {
      res.destroy();
      await rm(req.dest, { force: true });
      throw new DownloadVerificationError(`${req.url}: the server sends ${offset + res.contentLength} bytes, Koji lists ${req.expectedSize}`);
    }
    const end = await receive(res, req, offset, hash);
    transferred = end - offset;
    offset = end;
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

/**
 * Receives the body into `req.dest` from `start` on; resolves with the offset reached. Each buffer
 * is counted and hashed in the tick it arrives and queued to disk as it is (no copy, no stream
 * between socket and file). Whatever was received is written before an interruption is reported,
 * so the retry resumes after it.
 */
async function receive(res: HttpGetResponse, req: DownloadRequest, start: number, hash: Hash): Promise<number> {
  let fd: number;
  try {
    fd = await openFd(req.dest, start > 0 ? 'r+' : 'w');
  } catch (err) {
    res.destroy();
    throw new DownloadInterruptedError(`cannot write ${req.dest}: ${describe(err)}`);
  }
  const every = req.progressEveryBytes ?? 8 * 1024 * 1024;
  let lastReport = start;
  let position = start;
  let fail: (err: Error) => void = () => {};
  const writer = new SequentialWriter(fd, start, {
    highWaterMark: WRITE_HIGH_WATER,
    minWrite: MIN_WRITE,
    onDrain: () => res.resume(),
    onError: (err) => fail(err),
    onWritten: (onDisk) => {
      if (req.onProgress && onDisk - lastReport >= every) {
        lastReport = onDisk;
        try {
          req.onProgress({ offset: onDisk, total: req.expectedSize });
        } catch (err) {
          fail(err as Error);
        }
      }
    },
  });
  let outcome: Error | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      fail = (err) => {
        res.destroy();
        reject(err);
      };
      res.startBody({
        onData(slice) {
          if (position + slice.length > req.expectedSize) {
            fail(new DownloadVerificationError(`the server sent more than the ${req.expectedSize} bytes Koji lists`));
            return;
          }
          hash.update(slice);
          position += slice.length;
          if (!writer.write(slice)) res.pause();
        },
        onEnd: resolve,
        onError: reject,
      });
    });
  } catch (err) {
    outcome = err as Error;
  }
  // Even bytes about to be deleted are flushed: the descriptor must not close under a write in flight.
  try {
    await writer.flush();
  } catch (err) {
    outcome ??= err as Error;
  }
  await closeFd(fd);
  if (outcome instanceof DownloadVerificationError) {
    await rm(req.dest, { force: true });
    throw outcome;
  }
  if (outcome) {
    if (req.signal?.aborted) throw outcome;
    // The partial file stays: the next attempt resumes from what reached the disk.
    throw new DownloadInterruptedError(`download of ${req.url} interrupted after ${position} bytes: ${describe(outcome)}`);
  }
  return position;
}

/** Whether a response to `Range: bytes=<offset>-` carries the bytes from `offset` on. */
function resumesAt(res: HttpGetResponse, offset: number): boolean {
  if (res.status !== 206) return false;
  const range = res.headers.get('content-range');
  // A 206 without Content-Range breaks RFC 9110 but can only mean the range asked for; the size
  // and sha256 checks catch a server that lies.
  if (range === undefined) return true;
  return Number(/^bytes (\d+)-/.exec(range)?.[1]) === offset;
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
  for await (const chunk of createReadStream(path, { start: 0, end: length - 1, signal, highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
}

async function request(url: string, offset: number, signal?: AbortSignal): Promise<HttpGetResponse> {
  let res: HttpGetResponse;
  try {
    res = await httpGet(new URL(url), offset > 0 ? { Range: `bytes=${offset}-` } : {}, signal);
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new DownloadInterruptedError(`cannot reach ${url}: ${describe(err)}`);
  }
  const status = res.status;
  if (status === 200 || status === 206) return res;
  res.destroy();
  if (status === 404 || status === 410 || status === 403) {
    throw new DownloadNotFoundError(`${url}: HTTP ${status}; is the task id right and the file still in Koji?`);
  }
  if (status === 416) throw new DownloadVerificationError(`${url}: the server has fewer bytes than the ${offset} already fetched`);
  throw new DownloadInterruptedError(`${url}: HTTP ${status}`);
}

function describe(err: unknown): string {
  const e = err as { code?: string; cause?: { code?: string; message?: string } };
  return e.code ?? e.cause?.code ?? e.cause?.message ?? (err as Error).message;
}
