// Streams one file from its trusted URL to disk with bounded memory, hashing on the way, and
// resumes an interrupted download with an HTTP Range request instead of starting over.
import { createHash, type Hash } from 'node:crypto';
import { close as closeCb, createReadStream, open as openCb, writeSync } from 'node:fs';
import { rm, stat, truncate } from 'node:fs/promises';
import { promisify } from 'node:util';
import { DownloadInterruptedError, DownloadNotFoundError, DownloadVerificationError } from './errors';
import { HttpStalledError, httpGet, type HttpGetResponse } from './http-get';

const openFd = promisify(openCb);
const closeFd = promisify(closeCb);
/** Bytes hashed and written before the event loop gets a turn. */
const YIELD_EVERY = 4 * 1024 * 1024;

export interface DownloadRequest {
  url: string;
  dest: string;
  expectedSize: number;
  /** Hex sha256 to verify; without one only the size is verified (and the hash reported). */
  expectedSha256?: string;
  signal?: AbortSignal;
  /**
   * Called with the offset written so far each time another `progressEveryBytes` have been
   * written; a resume trusts the file on disk, not this.
   */
  onProgress?: (p: { offset: number; total: number }) => void;
  progressEveryBytes?: number;
  /** Give up on a connection that sends nothing for this long (default DEFAULT_IDLE_TIMEOUT_MS). */
  idleTimeoutMs?: number;
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
    const res = await request(req.url, offset, req.signal, req.idleTimeoutMs);
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
 * Receives the body into `req.dest` from `start` on; resolves with the offset reached. Each read
 * is counted, hashed and written in the tick it arrives, before the socket is read again.
 *
 * The write is synchronous on purpose. Handing each MiB to the thread pool (fs.write, one write
 * in flight, reading paused above a high-water mark) cost 40% more CPU on the fetch bench and
 * stalled whenever the pool thread waited for a core, which on a two-core host shared with the
 * server and other work was most of the time; a write of 1 MiB into the page cache takes well
 * under a millisecond, so the event loop is held about as long as the sha256 of the same bytes
 * holds it anyway (and it is handed back every YIELD_EVERY bytes). In exchange: memory is the one
 * 1 MiB receive buffer, the file on disk is always the bytes received but for the last few hundred
 * KiB (a killed worker re-fetches little more than what sat in the socket), and backpressure is
 * simply not reading. The cost: a disk that stalls stalls this worker's event loop with it.
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
  let sinceYield = 0;
  let outcome: Error | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (err: Error) => {
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
          try {
            for (let done = 0; done < slice.length; ) done += writeSync(fd, slice, done, slice.length - done, position + done);
          } catch (err) {
            fail(err as Error);
            return;
          }
          position += slice.length;
          // libuv reads a socket up to 32 times per turn of the event loop; at 1 MiB a read that
          // held the loop for 50-130 ms. Stepping out every few MiB keeps timers and the other
          // activities' I/O within about 10 ms.
          sinceYield += slice.length;
          if (sinceYield >= YIELD_EVERY) {
            sinceYield = 0;
            res.pause();
            setImmediate(() => res.resume());
          }
          if (req.onProgress && position - lastReport >= every) {
            lastReport = position;
            try {
              req.onProgress({ offset: position, total: req.expectedSize });
            } catch (err) {
              fail(err as Error);
            }
          }
        },
        onEnd: resolve,
        onError: reject,
      });
    });
  } catch (err) {
    outcome = err as Error;
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

async function request(url: string, offset: number, signal?: AbortSignal, idleTimeoutMs?: number): Promise<HttpGetResponse> {
  let res: HttpGetResponse;
  try {
    res = await httpGet(new URL(url), offset > 0 ? { Range: `bytes=${offset}-` } : {}, signal, { idleTimeoutMs });
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
  if (err instanceof HttpStalledError) return err.message;
  const e = err as { code?: string; cause?: { code?: string; message?: string } };
  return e.code ?? e.cause?.code ?? e.cause?.message ?? (err as Error).message;
}
