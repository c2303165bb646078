// Decodes an HTTP/1.1 `Transfer-Encoding: chunked` body in place: the data slices it hands on are
// views of the received buffers, never copies. Static file servers send Content-Length, but a
// proxy in front of Koji may re-frame a body as chunks, and the download must still work then.
import { ClientError } from '../client-error';

/** Thrown for bytes that are not a chunked body; the caller treats it as a broken connection. */
export class ChunkedBodyError extends ClientError {
  override name = 'ChunkedBodyError';
  override readonly retryable: boolean = true;
}

const MAX_LINE = 4096;

export class ChunkedBodyDecoder {
  /** Bytes left in the current chunk's data. */
  private remaining = 0;
  private state: 'size' | 'data' | 'data-crlf' | 'trailer' | 'done' = 'size';
  /** A size or trailer line split across buffers. */
  private line = '';

  get done(): boolean {
    return this.state === 'done';
  }

  /** Feeds received bytes; calls `onData` with each slice of body data, in order. */
  push(buf: Buffer, onData: (slice: Buffer) => void): void {
    let i = 0;
    while (i < buf.length && this.state !== 'done') {
      if (this.state === 'data') {
        const n = Math.min(this.remaining, buf.length - i);
        onData(buf.subarray(i, i + n));
        i += n;
        this.remaining -= n;
        if (this.remaining === 0) this.state = 'data-crlf';
        continue;
      }
      const lf = buf.indexOf(0x0a, i);
      const end = lf === -1 ? buf.length : lf;
      this.line += buf.toString('latin1', i, end);
      if (this.line.length > MAX_LINE) throw new ChunkedBodyError('a chunk-size or trailer line longer than 4096 bytes');
      if (lf === -1) return;
      i = lf + 1;
      const line = this.line.replace(/\r$/, '');
      this.line = '';
      this.onLine(line);
    }
  }

  private onLine(line: string): void {
    if (this.state === 'data-crlf') {
      if (line !== '') throw new ChunkedBodyError('chunk data is longer than its chunk-size');
      this.state = 'size';
    } else if (this.state === 'size') {
      // chunk-size [; extensions]
      const m = /^([0-9a-fA-F]{1,12})[ \t]*(;.*)?$/.exec(line);
      if (!m?.[1]) throw new ChunkedBodyError(`not a chunk-size line: ${JSON.stringify(line.slice(0, 40))}`);
      this.remaining = parseInt(m[1], 16);
      this.state = this.remaining === 0 ? 'trailer' : 'data';
    } else if (this.state === 'trailer') {
      // Trailer fields are ignored; the empty line ends the body.
      if (line === '') this.state = 'done';
    }
  }
}
