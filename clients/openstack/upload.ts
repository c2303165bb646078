// Streams a file from disk as the body of one HTTP PUT, with bounded memory (1 MiB reads, the
// socket's backpressure), hashing what it sends (sha256 and sha512) and reporting progress.
//
// node:http rather than fetch: it sets Content-Length (Glance and proxies then know the size; no
// chunked encoding), and `Expect: 100-continue` lets the server refuse (401, 403, 413) before any
// of a multi-gigabyte body is sent; without it a refusal often surfaces as EPIPE, which looks
// retryable when it is not. Servers that ignore Expect get the body after one second anyway.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { stat } from 'node:fs/promises';
import { Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GlanceSourceMismatchError, OpenStackHttpError, type OpenStackService } from './errors';
import { connectionFailure } from './http';
import { serverMessage } from './server-message';

export interface UploadProgress {
  bytes: number;
  total: number;
}

export interface UploadResult {
  bytes: number;
  sha256: string;
  sha512: string;
  status: number;
}

export interface PutFileOptions {
  signal?: AbortSignal;
  onProgress?: (p: UploadProgress) => void;
  /** Longest silence on the socket before the upload counts as stalled. Default 5 minutes. */
  idleTimeoutMs?: number;
  /** How often onProgress is called at most. Default 500 ms (and once at the end). */
  progressEveryMs?: number;
}

const CONTINUE_WAIT_MS = 1000;
const READ_CHUNK = 1024 * 1024;

export function putFile(
  service: OpenStackService,
  url: string,
  filePath: string,
  size: number,
  headers: Record<string, string>,
  opts: PutFileOptions = {},
): Promise<UploadResult> {
  const { signal } = opts;
  if (signal?.aborted) return Promise.reject(connectionFailure(service, 'PUT', url, undefined, signal));
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const hasher = new HashingCounter(size, opts.onProgress, opts.progressEveryMs ?? 500);

  return new Promise<UploadResult>((resolve, reject) => {
    let settled = false;
    let started = false;
    let bodyDone = false;
    let response: { status: number; text: string; type: string | undefined; requestId: string | undefined } | undefined;
    let pipeError: unknown;
    const source = createReadStream(filePath, { highWaterMark: READ_CHUNK, ...(size > 0 ? { start: 0, end: size - 1 } : {}) });

    const req = send(target, {
      method: 'PUT',
      headers: {
        ...headers,
        'content-type': 'application/octet-stream',
        'content-length': String(size),
        expect: '100-continue',
      },
      signal,
    });
    // A file that shrank mid-read then fails at once (ERR_HTTP_CONTENT_LENGTH_MISMATCH) instead of
    // leaving the server waiting for bytes that never come. Node >= 18.10; not in @types/node 20.
    (req as typeof req & { strictContentLength: boolean }).strictContentLength = true;

    const settle = () => {
      if (settled) return;
      if (response && response.status >= 300) {
        settled = true;
        cleanup();
        reject(new OpenStackHttpError(service, 'PUT', url, response.status, serverMessage(response.text, response.type), response.requestId));
      } else if (response && bodyDone) {
        settled = true;
        cleanup();
        if (hasher.bytes !== size) {
          reject(new GlanceSourceMismatchError(`${filePath}: sent ${hasher.bytes} bytes of ${size}; the file changed while it was read`));
          return;
        }
        hasher.report(true);
        resolve({ bytes: hasher.bytes, sha256: hasher.sha256.digest('hex'), sha512: hasher.sha512.digest('hex'), status: response.status });
      } else if (pipeError !== undefined && !response && signal?.aborted) {
        settled = true;
        cleanup();
        reject(connectionFailure(service, 'PUT', url, pipeError, signal));
      } else if (pipeError !== undefined && !response) {
        // The server may have answered and closed before we saw it: give the answer a moment.
        setTimeout(() => {
          if (settled) return;
          if (response) return settle();
          settled = true;
          cleanup();
          reject(connectionFailure(service, 'PUT', url, pipeError, signal));
        }, 300);
      }
    };
    const cleanup = () => {
      clearTimeout(continueTimer);
      source.destroy();
      if (!req.destroyed && !(response && bodyDone)) req.destroy();
    };

    const start = () => {
      if (started || response || settled) return;
      started = true;
      clearTimeout(continueTimer);
      pipeline(source, hasher, req).then(
        () => {
          bodyDone = true;
          settle();
        },
        (err: unknown) => {
          pipeError = err;
          settle();
        },
      );
    };
    const continueTimer = setTimeout(start, CONTINUE_WAIT_MS);
    req.on('continue', start);
    req.setTimeout(opts.idleTimeoutMs ?? 5 * 60_000, () => req.destroy(Object.assign(new Error('upload stalled'), { code: 'ETIMEDOUT' })));
    req.on('error', (err) => {
      pipeError ??= err;
      settle();
    });
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        if (chunks.length < 64) chunks.push(c);
      });
      res.on('error', (err) => {
        pipeError ??= err;
        settle();
      });
      res.on('end', () => {
        const h = res.headers;
        response = {
          status: res.statusCode ?? 0,
          text: Buffer.concat(chunks).toString('utf8'),
          type: h['content-type'],
          requestId: typeof h['x-openstack-request-id'] === 'string' ? h['x-openstack-request-id'] : undefined,
        };
        settle();
      });
    });
    req.flushHeaders();
  });
}

/** Reads a file once for its sha256 and sha512, with bounded memory. */
export async function hashFile(
  filePath: string,
  opts: { signal?: AbortSignal; onProgress?: (p: UploadProgress) => void } = {},
): Promise<{ bytes: number; sha256: string; sha512: string }> {
  const { size } = await stat(filePath);
  const hasher = new HashingCounter(size, opts.onProgress, 500);
  const sink = new Writable({ write: (_chunk, _enc, done) => done() });
  await pipeline(createReadStream(filePath, { highWaterMark: READ_CHUNK }), hasher, sink, { signal: opts.signal });
  hasher.report(true);
  return { bytes: hasher.bytes, sha256: hasher.sha256.digest('hex'), sha512: hasher.sha512.digest('hex') };
}

/** Passes bytes through, hashing and counting them, and reports progress now and then. */
class HashingCounter extends Transform {
  readonly sha256: Hash = createHash('sha256');
  readonly sha512: Hash = createHash('sha512');
  bytes = 0;
  private lastReport = 0;

  constructor(
    private readonly total: number,
    private readonly onProgress: ((p: UploadProgress) => void) | undefined,
    private readonly everyMs: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.sha256.update(chunk);
    this.sha512.update(chunk);
    this.bytes += chunk.length;
    this.report(false);
    done(null, chunk);
  }

  report(final: boolean): void {
    if (!this.onProgress) return;
    const now = Date.now();
    if (!final && now - this.lastReport < this.everyMs) return;
    this.lastReport = now;
    this.onProgress({ bytes: this.bytes, total: this.total });
  }
}
