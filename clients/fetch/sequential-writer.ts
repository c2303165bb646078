// Writes received buffers at increasing offsets of one open file. Buffers queue as they arrive and
// go to disk together in one fs.writev as soon as the previous write is done, so the number of
// syscalls and thread-pool round trips adapts to the disk instead of one per 64 KiB socket read
// (an fs.WriteStream per chunk cost a fifth of the fetch bench's throughput). Exactly one write
// is in flight, so the file on disk is always a prefix of the download: a worker killed at any
// moment leaves a partial file the next attempt can trust and resume after.
import { writev } from 'node:fs';

export interface SequentialWriterOptions {
  /** Bytes to gather before a write starts (`flush` writes whatever is queued). */
  minWrite: number;
  /** Queued plus in-flight bytes above which `write` returns false (the caller stops reading). */
  highWaterMark: number;
  /** Called when the queue has gone from above the high-water mark to empty enough to read again. */
  onDrain: () => void;
  /** Called after each completed write with the file offset now on disk. */
  onWritten?: (position: number) => void;
  /** Called once, for the first failed write; later writes are dropped. */
  onError: (err: Error) => void;
}

export class SequentialWriter {
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private inFlight = 0;
  private writing = false;
  private blocked = false;
  private failed: Error | undefined;
  private idle: Array<() => void> = [];

  constructor(
    private readonly fd: number,
    /** The offset the next byte goes to; after `flush` resolves, the bytes on disk. */
    public position: number,
    private readonly opts: SequentialWriterOptions,
  ) {}

  /** Queues `buf` (kept by reference: the caller must not reuse it); false asks the caller to pause. */
  write(buf: Buffer): boolean {
    if (this.failed) return true;
    this.queue.push(buf);
    this.queuedBytes += buf.length;
    if (!this.writing && this.queuedBytes >= this.opts.minWrite) this.next();
    if (this.queuedBytes + this.inFlight >= this.opts.highWaterMark) this.blocked = true;
    return !this.blocked;
  }

  /** Resolves when everything queued is on disk; rejects with the write error if one failed. */
  flush(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (!this.writing) this.next(true);
    if (!this.writing) return Promise.resolve();
    return new Promise((resolve, reject) => this.idle.push(() => (this.failed ? reject(this.failed) : resolve())));
  }

  private next(flushing = this.idle.length > 0): void {
    if (this.queue.length === 0 || this.failed || (!flushing && this.queuedBytes < this.opts.minWrite)) {
      this.writing = false;
      const waiters = this.idle;
      this.idle = [];
      for (const w of waiters) w();
      return;
    }
    const bufs = this.queue;
    const bytes = this.queuedBytes;
    this.queue = [];
    this.queuedBytes = 0;
    this.inFlight = bytes;
    this.writing = true;
    writev(this.fd, bufs, this.position, (err, written) => {
      this.inFlight = 0;
      if (!err && written !== bytes) err = Object.assign(new Error(`short write: ${written} of ${bytes} bytes`), { code: 'EIO' });
      if (err) {
        this.failed = err;
        this.queue = [];
        this.queuedBytes = 0;
        this.opts.onError(err);
      } else {
        this.position += written;
        this.opts.onWritten?.(this.position);
      }
      // Reads resume while this write's successor runs, so the socket refills the queue meanwhile.
      const resume = this.blocked && !this.failed && this.queuedBytes < this.opts.highWaterMark / 2;
      this.next();
      if (resume) {
        this.blocked = false;
        this.opts.onDrain();
      }
    });
  }
}
