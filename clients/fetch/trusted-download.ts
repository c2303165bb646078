// Streams one file from its trusted URL to disk with bounded memory, hashing on the way, and
// resumes an interrupted download with an HTTP Range request instead of starting over.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat, truncate } from 'node:fs/promises';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { pipeline } from 'node:stream/promises';
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
    if (offset > 0 && res.statusCode === 200) {
      // The server ignored Range: start again from zero rather than append a second copy.
      res.destroy();
      await truncate(req.dest, 0);
      return downloadVerified(req);
    }
    // Hash and count in a 'data' listener beside the pipe to the file: a Transform stage in
    // between cost a third of the throughput (see the fetch bench).
    const counter = { position: offset, lastReport: offset };
    const every = req.progressEveryBytes ?? 8 * 1024 * 1024;
    res.on('data', (chunk: Buffer) => {
      if (counter.position + chunk.length > req.expectedSize) {
        res.destroy(new DownloadVerificationError(`the server sent more than the ${req.expectedSize} bytes Koji lists`));
        return;
      }
      hash.update(chunk);
      counter.position += chunk.length;
      if (req.onProgress && counter.position - counter.lastReport >= every) {
        counter.lastReport = counter.position;
        req.onProgress({ offset: counter.position, total: req.expectedSize });
      }
    });
    try {
      await pipeline(res, createWriteStream(req.dest, { flags: offset > 0 ? 'r+' : 'w', start: offset, highWaterMark: 4 * 1024 * 1024 }), {
        signal: req.signal,
      });
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

/**
 * node:http rather than fetch: Node streams straight into the file, without the web-stream
 * conversion that cost two thirds of the throughput (see the fetch bench).
 */
function request(url: string, offset: number, signal?: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https:') ? httpsGet : httpGet;
    const req = get(url, { headers: offset > 0 ? { Range: `bytes=${offset}-` } : {}, signal }, (res) => {
      const status = res.statusCode ?? 0;
      if (status === 200 || status === 206) {
        resolve(res);
        return;
      }
      res.resume();
      if (status === 404 || status === 410 || status === 403) {
        reject(new DownloadNotFoundError(`${url}: HTTP ${status}; is the task id right and the file still in Koji?`));
      } else if (status === 416) {
        reject(new DownloadVerificationError(`${url}: the server has fewer bytes than the ${offset} already fetched`));
      } else {
        reject(new DownloadInterruptedError(`${url}: HTTP ${status}`));
      }
    });
    req.once('error', (err) => {
      if (signal?.aborted) reject(err);
      else reject(new DownloadInterruptedError(`cannot reach ${url}: ${describe(err)}`));
    });
  });
}

function describe(err: unknown): string {
  const e = err as { code?: string; cause?: { code?: string; message?: string } };
  return e.code ?? e.cause?.code ?? e.cause?.message ?? (err as Error).message;
}
