// One HTTP/1.1 GET on a connection of its own, whose body reaches the caller in the very tick each
// read completes, as a view of the memory the kernel copied it into.
//
// Why not node:http: its parser copies every body chunk into a fresh Buffer (node_http_parser.cc,
// on_body -> Buffer::Copy) and pushes it through a Readable, 64 KiB per read. For a multi-GiB image
// that copy, its allocations, the garbage they make and the stream bookkeeping cost about as much
// CPU as the sha256 itself, which is the gap the fetch bench measured against curl. Here the
// socket reads with `onread` straight into one reused 1 MiB buffer (up to 1 MiB per read, one
// callback per read, no copy, no allocation). What a trusted download needs of HTTP is small: one
// GET with `Connection: close`, then a status line, header fields and a body framed by
// Content-Length, by chunks or by the close of the connection.
import { ClientError } from '../client-error';
import { connect as netConnect, isIP, type OnReadOpts, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { ChunkedBodyDecoder } from './chunked-body';

/** The server's bytes are not an HTTP/1.x response we can read. */
export class HttpProtocolError extends ClientError {
  override name = 'HttpProtocolError';
  override readonly retryable: boolean = true;
}

/** Nothing arrived for the idle timeout while we were waiting to read (connect, head or body). */
export class HttpStalledError extends ClientError {
  override name = 'HttpStalledError';
  override readonly retryable: boolean = true;
}

/**
 * Default idle timeout. A server or a middlebox that stops sending without closing would
 * otherwise hold the download (and its worker slot) until TCP gives up, hours later; the
 * activity's heartbeat timeout starts a retry elsewhere but cannot stop this attempt.
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

export interface HttpGetOptions {
  /** Fail with HttpStalledError after this long without a byte while reading. */
  idleTimeoutMs?: number;
}

export interface BodyHandlers {
  /**
   * A view of body bytes in the receive buffer, valid only until this call returns: the next
   * read reuses the memory. Hash it, write it, or copy it; do not keep it.
   */
  onData(slice: Buffer): void;
  /** The whole body arrived (the framing says so). */
  onEnd(): void;
  /** The connection failed or closed before the body was complete. */
  onError(err: Error): void;
}

const MAX_HEAD = 64 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n');
/** The receive buffer, reused for every read of a download... */
const SLAB = 1024 * 1024;
/** ...from its start again once less than this is left after the previous read. */
const MIN_WINDOW = 64 * 1024;
/** Body bytes handed on at once (when the reads are smaller). */
const HAND_ON = 256 * 1024;

export function abortError(signal: AbortSignal): Error {
  // The name is what callers (Temporal's activity runner among them) recognise as a cancellation.
  const e = new Error('the download was aborted', { cause: signal.reason });
  e.name = 'AbortError';
  return e;
}

export interface HttpGetResponse {
  readonly status: number;
  /** Lower-case names; repeated fields joined with ", ". */
  readonly headers: ReadonlyMap<string, string>;
  /** Body bytes the framing promises; undefined for a chunked body or one that ends at the close. */
  readonly contentLength: number | undefined;
  /** Starts the body: bytes read together with the head first, then the socket's. */
  startBody(handlers: BodyHandlers): void;
  /** Stops reading (the kernel's socket buffer fills, then TCP holds the server back). */
  pause(): void;
  resume(): void;
  /** Closes the connection; no handler is called after this. */
  destroy(): void;
}

/**
 * Sends `GET url` with the given extra header fields and resolves with the response's head; the
 * body waits for `startBody`. Rejects with the socket's error when the server cannot be reached,
 * with HttpProtocolError when the reply is not HTTP/1.x, with an AbortError when `signal` aborts.
 */
export function httpGet(url: URL, extraHeaders: Record<string, string>, signal?: AbortSignal, options: HttpGetOptions = {}): Promise<HttpGetResponse> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      reject(new HttpProtocolError(`not an http(s) URL: ${url.href}`));
      return;
    }
    new Exchange(url, extraHeaders, signal, options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, resolve, reject);
  });
}

class Exchange implements HttpGetResponse {
  status = 0;
  headers: ReadonlyMap<string, string> = new Map();
  contentLength: number | undefined;
  private readonly socket: Socket;
  private readonly slab = Buffer.allocUnsafeSlow(SLAB);
  private used = 0;
  private phase: 'head' | 'waiting' | 'body' | 'finished' = 'head';
  private head: Buffer = Buffer.alloc(0);
  private leftover: Buffer = Buffer.alloc(0);
  private early: Error | 'end' | undefined;
  private chunked: ChunkedBodyDecoder | undefined;
  private remaining = Infinity;
  private handlers: BodyHandlers | undefined;
  private failure: Error | undefined;
  /** Body bytes received but not yet handed on (a view of the receive buffer). */
  private pending: Buffer | undefined;
  /**
   * Idle watch: a clock read per read, checked by one coarse unref'd interval (cheaper than
   * re-arming socket.setTimeout for every pause and resume). Paused time does not count: a
   * pause is ours (the caller is busy), not the server's silence.
   */
  private lastActivity = performance.now();
  private paused = false;
  private readonly idleTimer: NodeJS.Timeout | undefined;

  constructor(
    url: URL,
    extraHeaders: Record<string, string>,
    private readonly signal: AbortSignal | undefined,
    private readonly idleTimeoutMs: number,
    private readonly resolveHead: (r: HttpGetResponse) => void,
    private readonly rejectHead: (err: Error) => void,
  ) {
    const secure = url.protocol === 'https:';
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(url.port || (secure ? 443 : 80));
    const onread: OnReadOpts = { buffer: () => this.window(), callback: (n, buf) => this.onRead(n, buf) };
    // tls.connect takes `onread` like net.connect (documented since Node 14); @types/node lacks it.
    const tlsOptions: ConnectionOptions & { onread: OnReadOpts } = { host, port, servername: isIP(host) ? undefined : host, ALPNProtocols: ['http/1.1'], onread };
    this.socket = secure ? tlsConnect(tlsOptions) : netConnect({ host, port, onread });
    this.socket.on('end', () => this.closed('end'));
    this.socket.on('error', (err) => this.closed(err));
    this.socket.on('close', () => this.closed(new HttpProtocolError('the connection closed')));
    signal?.addEventListener('abort', this.onAbort, { once: true });
    if (idleTimeoutMs > 0 && Number.isFinite(idleTimeoutMs)) {
      this.idleTimer = setInterval(this.checkIdle, Math.max(10, Math.min(1000, idleTimeoutMs / 4)));
      this.idleTimer.unref();
    }
    const fields = { Host: url.host, 'User-Agent': 'fedimg', 'Accept-Encoding': 'identity', Connection: 'close', ...extraHeaders };
    const lines = Object.entries(fields).map(([k, v]) => `${k}: ${v}\r\n`);
    this.socket.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\n${lines.join('')}\r\n`, 'latin1');
  }

  startBody(handlers: BodyHandlers): void {
    if (this.phase === 'finished') {
      // Aborted or failed between the head and this call.
      handlers.onError(this.failure ?? new HttpProtocolError('the connection was closed'));
      return;
    }
    if (this.phase !== 'waiting') return;
    this.phase = 'body';
    this.lastActivity = performance.now();
    this.handlers = handlers;
    const first = this.leftover;
    this.leftover = Buffer.alloc(0);
    if (first.length > 0) this.body(first);
    if (this.early !== undefined) this.closed(this.early);
    else if (this.phase === 'body') this.socket.resume();
  }

  pause(): void {
    this.paused = true;
    this.socket.pause();
  }

  resume(): void {
    if (this.phase !== 'body') return;
    this.paused = false;
    this.lastActivity = performance.now();
    this.socket.resume();
  }

  destroy(): void {
    this.phase = 'finished';
    if (this.idleTimer) clearInterval(this.idleTimer);
    this.signal?.removeEventListener('abort', this.onAbort);
    this.socket.destroy();
  }

  /**
   * Where the next read goes: after the previous read's bytes, or from the start again. Nothing
   * in the buffer outlives the read that filled it: body views are used up within `onData`, and
   * head bytes and bytes that wait for `startBody` are copied out.
   */
  private window(): Buffer {
    if (SLAB - this.used < MIN_WINDOW) this.used = 0;
    return this.slab.subarray(this.used);
  }

  private onRead(n: number, buf: Uint8Array): boolean {
    // `buf` is the window handed out last; the bytes stay where they are and the next window starts after them.
    const data = Buffer.from(buf.buffer, buf.byteOffset, n);
    this.used += n;
    this.lastActivity = performance.now();
    if (this.phase === 'body') {
      this.body(data);
      // The next read starts the buffer over: nothing in it may wait any longer.
      if (SLAB - this.used < MIN_WINDOW) this.handOn();
    }
    else if (this.phase === 'head') this.readHead(data);
    else if (this.phase === 'waiting') {
      this.leftover = Buffer.concat([this.leftover, data]);
      this.socket.pause();
    }
    return true;
  }

  private readHead(data: Buffer): void {
    // A copy: the head (and the body bytes read with it) may wait for later reads and startBody.
    this.head = Buffer.concat([this.head, data]);
    for (;;) {
      const end = this.head.indexOf(HEAD_END);
      if (end === -1) {
        if (this.head.length > MAX_HEAD) this.failHead(new HttpProtocolError(`a response head longer than ${MAX_HEAD} bytes`));
        return;
      }
      let parsed: { status: number; headers: Map<string, string> };
      try {
        parsed = parseHead(this.head.toString('latin1', 0, end));
      } catch (err) {
        this.failHead(err as Error);
        return;
      }
      const rest = this.head.subarray(end + HEAD_END.length);
      // 1xx heads are interim; the final one follows.
      if (parsed.status < 200) {
        this.head = rest;
        continue;
      }
      try {
        this.frame(parsed.headers);
      } catch (err) {
        this.failHead(err as Error);
        return;
      }
      this.status = parsed.status;
      this.headers = parsed.headers;
      this.leftover = rest;
      this.head = Buffer.alloc(0);
      this.phase = 'waiting';
      this.socket.pause();
      this.resolveHead(this);
      return;
    }
  }

  private frame(headers: Map<string, string>): void {
    const te = headers.get('transfer-encoding');
    const cl = headers.get('content-length');
    if (te !== undefined) {
      const codings = te.toLowerCase().split(',').map((s) => s.trim());
      if (codings.at(-1) !== 'chunked' || codings.some((c) => c !== 'chunked' && c !== 'identity')) {
        throw new HttpProtocolError(`the server used Transfer-Encoding "${te}"; only chunked is understood`);
      }
      this.chunked = new ChunkedBodyDecoder();
    } else if (cl !== undefined) {
      const values = new Set(cl.split(',').map((s) => s.trim()));
      const [only] = [...values];
      if (values.size !== 1 || !only || !/^\d{1,15}$/.test(only)) throw new HttpProtocolError(`not a Content-Length: ${JSON.stringify(cl)}`);
      this.contentLength = Number(only);
      this.remaining = this.contentLength;
    }
  }

  /**
   * Body bytes side by side in the receive buffer are handed on together, from HAND_ON bytes on:
   * TLS decrypts one 16 KiB record per read, and a hash update plus a write per record cost a
   * third more CPU than per 256 KiB.
   */
  private readonly deliver = (slice: Buffer) => {
    if (this.phase !== 'body') return;
    const p = this.pending;
    if (p && p.buffer === slice.buffer && p.byteOffset + p.length === slice.byteOffset) {
      this.pending = Buffer.from(p.buffer, p.byteOffset, p.length + slice.length);
    } else {
      this.handOn();
      this.pending = slice;
    }
    if (this.pending && this.pending.length >= HAND_ON) this.handOn();
  };

  private handOn(): void {
    const p = this.pending;
    this.pending = undefined;
    if (p && this.phase === 'body') this.handlers?.onData(p);
  }

  private body(buf: Buffer): void {
    if (this.chunked) {
      try {
        this.chunked.push(buf, this.deliver);
      } catch (err) {
        this.fail(err as Error);
        return;
      }
      if (this.chunked.done) this.complete();
      return;
    }
    if (buf.length >= this.remaining) {
      // Bytes after the body on a `Connection: close` response are not ours; they are dropped.
      this.deliver(buf.length === this.remaining ? buf : buf.subarray(0, this.remaining));
      this.remaining = 0;
      this.complete();
      return;
    }
    this.remaining -= buf.length;
    this.deliver(buf);
  }

  private readonly checkIdle = () => {
    // 'waiting': the head is in and the caller has not started the body; that pause is ours too.
    if (this.paused || this.phase === 'waiting' || this.phase === 'finished') return;
    const idle = performance.now() - this.lastActivity;
    if (idle < this.idleTimeoutMs) return;
    const err = new HttpStalledError(`no bytes from the server for ${Math.round(idle / 1000)} s (${this.phase === 'head' ? 'waiting for the response' : 'inside the body'})`);
    if (this.phase === 'head') this.failHead(err);
    else this.fail(err);
  };

  private readonly onAbort = () => {
    const err = abortError(this.signal as AbortSignal);
    if (this.phase === 'head') this.failHead(err);
    else this.fail(err);
  };

  private closed(why: Error | 'end'): void {
    if (this.phase === 'head') {
      this.failHead(why === 'end' ? new HttpProtocolError('the server closed the connection before a complete response head') : why);
    } else if (this.phase === 'waiting') {
      this.early ??= why;
    } else if (this.phase === 'body') {
      if (why === 'end' && this.contentLength === undefined && !this.chunked) this.complete();
      else if (why === 'end') this.fail(new HttpProtocolError(this.chunked ? 'the connection closed inside a chunked body' : `the connection closed ${this.remaining} bytes before the end of the body`));
      else this.fail(why);
    }
  }

  private failHead(err: Error): void {
    this.destroy();
    this.rejectHead(err);
  }

  private complete(): void {
    this.handOn();
    if (this.phase !== 'body') return;
    const h = this.handlers;
    this.destroy();
    h?.onEnd();
  }

  private fail(err: Error): void {
    // What arrived before the failure still goes to the caller (and so to disk, for the retry).
    this.handOn();
    if (this.phase === 'finished') return;
    this.failure = err;
    const h = this.handlers;
    this.destroy();
    h?.onError(err);
  }
}

function parseHead(text: string): { status: number; headers: Map<string, string> } {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(lines[0] ?? '');
  if (!m?.[1]) throw new HttpProtocolError(`not an HTTP/1.x status line: ${JSON.stringify((lines[0] ?? '').slice(0, 60))}`);
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new HttpProtocolError(`not a header field: ${JSON.stringify(line.slice(0, 60))}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const prev = headers.get(name);
    headers.set(name, prev === undefined ? value : `${prev}, ${value}`);
  }
  return { status: Number(m[1]), headers };
}
