// sha256 while writing (a tool's stdout teed through the hash into a file) and, where a tool
// writes its output file itself (qemu-img), one read pass over the finished file.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { DiskFullError, isEnospc } from './errors';

export interface HashedFile {
  size: number;
  sha256: string;
}

const READ_CHUNK = 1 << 20;

/** sha256 and size of a file in one pass with one reused 1 MiB buffer. */
export async function hashFile(path: string, signal?: AbortSignal): Promise<HashedFile> {
  const hash = createHash('sha256');
  const fh = await open(path, 'r');
  const buf = Buffer.allocUnsafe(READ_CHUNK);
  let size = 0;
  try {
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await fh.read(buf, 0, READ_CHUNK, size);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      size += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return { size, sha256: hash.digest('hex') };
}

/**
 * Write a stream to a new file, hashing each chunk on the way. Reading waits for each write, so
 * the producer is held back (pipe back-pressure) and memory stays at one chunk.
 */
export async function writeHashed(
  source: AsyncIterable<Buffer> | Readable,
  path: string,
  onBytes?: (total: number) => void,
): Promise<HashedFile> {
  const hash = createHash('sha256');
  const fh = await open(path, 'wx');
  let size = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      hash.update(chunk);
      let done = 0;
      while (done < chunk.length) {
        const { bytesWritten } = await fh.write(chunk, done, chunk.length - done, size + done);
        done += bytesWritten;
      }
      size += chunk.length;
      onBytes?.(size);
    }
  } catch (err) {
    if (isEnospc(err)) {
      throw new DiskFullError(`No space left on the staging file system at ${dirname(path)} while writing ${path}. Free space there or run the stage on a host with more room.`, dirname(path), {
        cause: err,
      });
    }
    throw err;
  } finally {
    await fh.close();
  }
  return { size, sha256: hash.digest('hex') };
}
