// Reading staged files: open with a size check, read exact ranges, hash whole files. Shared by
// both backends so "the bytes published are the bytes measured" is enforced the same way.
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { SourceMismatchError } from './errors';
import type { FileFacts } from './types';

export const CHUNK = 1024 * 1024;

/** Opens the staged file; refuses it when its size is not the recorded one. */
export async function openSource(file: FileFacts): Promise<FileHandle> {
  const fh = await open(file.path, 'r');
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new SourceMismatchError(file.path, 'not a regular file');
    if (st.size !== file.size) throw new SourceMismatchError(file.path, `size is ${st.size} bytes, expected ${file.size}`);
    return fh;
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/** Exactly `length` bytes at `offset`, or SourceMismatchError when the file ends first. */
export async function readRange(fh: FileHandle, offset: number, length: number, path: string): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
    if (bytesRead === 0) throw new SourceMismatchError(path, `file ended at ${offset + got} bytes while reading`);
    got += bytesRead;
  }
  return buf;
}

/** Hex SHA-256 of a whole file, read in 1 MiB chunks; progress about every 64 MiB. */
export async function sha256OfFile(
  path: string,
  opts: { signal?: AbortSignal; onProgress?: (bytesDone: number, bytesTotal: number) => void } = {},
): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const total = (await fh.stat()).size;
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(CHUNK);
    let done = 0;
    let reported = 0;
    for (;;) {
      opts.signal?.throwIfAborted();
      const { bytesRead } = await fh.read(buf, 0, CHUNK, done);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      done += bytesRead;
      if (done - reported >= 64 * CHUNK) {
        reported = done;
        opts.onProgress?.(done, total);
      }
    }
    return hash.digest('hex');
  } finally {
    await fh.close();
  }
}

/** Fails the same way for every backend when what was read does not hash to the facts. */
export function assertDigest(file: FileFacts, hexDigest: string): void {
  if (hexDigest !== file.sha256) throw new SourceMismatchError(file.path, `sha256 is ${hexDigest}, expected ${file.sha256}`);
}

export function contentTypeOf(name: string): string {
  if (/CHECKSUM$|\.txt$/.test(name)) return 'text/plain; charset=utf-8';
  if (name.endsWith('.xz')) return 'application/x-xz';
  if (name.endsWith('.iso')) return 'application/x-iso9660-image';
  return 'application/octet-stream';
}
