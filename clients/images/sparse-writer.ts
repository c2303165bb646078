// Writes a disk image's bytes to a file while hashing them, seeking over zero blocks so they
// stay holes (never written, never allocated). The hash covers every byte, zeros included, so it
// equals `sha256sum` of the finished file; no second read pass is needed.
// Memory: only the caller's current chunk; every write is awaited before the next chunk.
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DiskFullError, ImageCorruptError, isEnospc } from './errors';

/** Holes are made per file system block; 4 KiB is the block size of ext4, xfs, btrfs and tmpfs. */
export const SPARSE_BLOCK = 4096;
const ZERO = Buffer.alloc(1 << 20);

export interface SparseWriteResult {
  size: number;
  sha256: string;
  /** Bytes actually written (non-zero blocks); the rest are holes. */
  dataBytes: number;
}

export interface SparseWriterOptions {
  /** The size the source announced; more bytes, or fewer at the end, mean the source is damaged. */
  expectedSize: number;
  /** Name used in messages. */
  sourceName: string;
  /** Sees the first bytes once (to refuse e.g. a qcow2 inside an xz). */
  checkHead?: (head: Buffer) => void;
  headBytes?: number;
}

export class SparseHashingWriter {
  private position = 0;
  private dataBytes = 0;
  private readonly hash: Hash = createHash('sha256');
  private head: Buffer[] = [];
  private headLength = 0;
  private headChecked = false;

  private constructor(
    private readonly fh: FileHandle,
    private readonly path: string,
    private readonly options: SparseWriterOptions,
  ) {}

  static async create(path: string, options: SparseWriterOptions): Promise<SparseHashingWriter> {
    const fh = await open(path, 'wx');
    return new SparseHashingWriter(fh, path, options);
  }

  get bytesDone(): number {
    return this.position;
  }

  get dataBytesWritten(): number {
    return this.dataBytes;
  }

  /** Append a chunk; the caller may reuse the buffer once this resolves. */
  async write(chunk: Buffer): Promise<void> {
    const n = chunk.length;
    if (n === 0) return;
    if (this.position + n > this.options.expectedSize) {
      throw new ImageCorruptError(
        `${this.options.sourceName} holds more than the ${this.options.expectedSize} bytes its header announced; it is corrupt. Fetch the image again.`,
      );
    }
    this.collectHead(chunk);
    this.hash.update(chunk);
    if (!isZeroRange(chunk, 0, n)) await this.writeNonZero(chunk);
    this.position += n;
  }

  /** Set the final size (trailing zeros become a hole) and close. */
  async finish(): Promise<SparseWriteResult> {
    if (this.position !== this.options.expectedSize) {
      throw new ImageCorruptError(
        `${this.options.sourceName} ended after ${this.position} of the ${this.options.expectedSize} bytes its header announced; it is truncated or corrupt. Fetch the image again.`,
      );
    }
    this.runHeadCheck();
    try {
      await this.fh.truncate(this.position);
    } catch (err) {
      throw this.wrap(err);
    }
    await this.fh.close();
    return { size: this.position, sha256: this.hash.digest('hex'), dataBytes: this.dataBytes };
  }

  /** Close without finishing; the caller removes the file. */
  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }

  private async writeNonZero(chunk: Buffer): Promise<void> {
    const n = chunk.length;
    let runStart = -1;
    let i = 0;
    while (i < n) {
      const end = Math.min(n, i + SPARSE_BLOCK - ((this.position + i) % SPARSE_BLOCK));
      if (isZeroRange(chunk, i, end)) {
        if (runStart >= 0) await this.pwrite(chunk, runStart, i);
        runStart = -1;
      } else if (runStart < 0) {
        runStart = i;
      }
      i = end;
    }
    if (runStart >= 0) await this.pwrite(chunk, runStart, n);
  }

  private async pwrite(chunk: Buffer, from: number, to: number): Promise<void> {
    let done = from;
    try {
      while (done < to) {
        const { bytesWritten } = await this.fh.write(chunk, done, to - done, this.position + done);
        done += bytesWritten;
      }
    } catch (err) {
      throw this.wrap(err);
    }
    this.dataBytes += to - from;
  }

  private collectHead(chunk: Buffer): void {
    if (this.headChecked || !this.options.checkHead) return;
    const want = (this.options.headBytes ?? SPARSE_BLOCK) - this.headLength;
    const part = chunk.subarray(0, want);
    this.head.push(Buffer.from(part));
    this.headLength += part.length;
    if (this.headLength >= (this.options.headBytes ?? SPARSE_BLOCK)) this.runHeadCheck();
  }

  private runHeadCheck(): void {
    if (this.headChecked || !this.options.checkHead) return;
    this.headChecked = true;
    const head = Buffer.concat(this.head);
    this.head = [];
    this.options.checkHead(head);
  }

  private wrap(err: unknown): unknown {
    if (isEnospc(err)) {
      const dir = dirname(this.path);
      return new DiskFullError(
        `No space left on the staging file system at ${dir} while writing the raw image (${this.dataBytes} bytes of data written). Free space there or run the stage on a host with more room.`,
        dir,
        { cause: err },
      );
    }
    return err;
  }
}

/** True when buf[from, to) holds only zero bytes (memcmp against a shared zero buffer). */
export function isZeroRange(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i += ZERO.length) {
    const end = Math.min(to, i + ZERO.length);
    if (ZERO.compare(buf, i, end, 0, end - i) !== 0) return false;
  }
  return true;
}
