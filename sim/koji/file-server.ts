// The plain web server in front of KojiDir (what https://kojipkgs… is for real Koji): GET and
// HEAD under /kojifiles/, single byte ranges (206; 416 past EOF), an ETag and Last-Modified,
// Content-Type from the extension, 404 as text/plain, streamed from disk. File faults (503,
// delays, a dropped connection after K body bytes) come from the fault rules with target "files".
import { createReadStream } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpDate } from './clock';
import type { KojiFaults } from './fault-injection';
import type { TaskFiles } from './task-files';

const TEXT = /\.(log|sha256|ks|txt|kiwi)$/;
const XML = /\.xml$/;

export function contentType(name: string): string {
  if (TEXT.test(name)) return 'text/plain';
  if (XML.test(name)) return 'application/xml';
  return 'application/octet-stream';
}

/** A single `bytes=` range against `size`: [start, end] inclusive, 'unsatisfiable', or undefined (ignore). */
export function parseRange(h: string | undefined, size: number): [number, number] | 'unsatisfiable' | undefined {
  if (!h) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(h.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    return [Math.max(0, size - n), size - 1];
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return [start, end];
}

/** One request to the file server, as tests read it back (KojiSim.fileRequests). */
export interface FileRequest {
  method: string;
  path: string;
  /** The Range header as sent, if any. */
  range: string | undefined;
  /** The status answered (0 until the head is written). */
  status: number;
  /** Body bytes written to the connection so far. */
  bytesSent: number;
}

export async function serveFile(
  req: IncomingMessage,
  res: ServerResponse,
  rel: string,
  files: TaskFiles,
  faults: KojiFaults,
  onRequest?: (r: FileRequest) => void,
): Promise<void> {
  const path = `/kojifiles/${rel}`;
  const rec: FileRequest = { method: req.method ?? 'GET', path, range: req.headers.range, status: 0, bytesSent: 0 };
  onRequest?.(rec);
  const fq = { target: 'files' as const, path };
  const delay = faults.check('delay', fq);
  if (delay) await sleep(delay.ms);
  const err = faults.check('httpError', fq);
  if (err) {
    const status = err.status ?? 503;
    const body = `Service Unavailable (koji-sim fault ${status})\n`;
    res.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain', 'Content-Length': 19 });
    res.end('Method Not Allowed\n');
    return;
  }
  const real = await files.resolvePublic(rel);
  if (!real) {
    res.writeHead(404, { 'Content-Type': 'text/plain', 'Content-Length': 10 });
    res.end(req.method === 'HEAD' ? undefined : 'Not Found\n');
    return;
  }
  const st = await stat(real, { bigint: true });
  const size = Number(st.size);
  const mtimeUs = st.mtimeNs / 1000n;
  const etag = `"${st.size.toString(16)}-${mtimeUs.toString(16)}"`;
  const common: Record<string, string | number> = {
    'Last-Modified': httpDate(Number(st.mtimeMs)),
    ETag: etag,
    'Accept-Ranges': 'bytes',
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, common);
    res.end();
    return;
  }
  const range = parseRange(req.headers.range, size);
  if (range === 'unsatisfiable') {
    res.writeHead(416, { 'Content-Range': `bytes */${size}`, 'Content-Length': 0 });
    res.end();
    return;
  }
  const [start, end] = range ?? [0, size - 1];
  const length = size === 0 ? 0 : end - start + 1;
  const headers: Record<string, string | number> = { ...common, 'Content-Type': contentType(rel) };
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
  headers['Content-Length'] = length;
  const reset = faults.check('reset', fq);
  rec.status = range ? 206 : 200;
  res.writeHead(rec.status, headers);
  if (req.method === 'HEAD') {
    if (reset) req.socket.destroy();
    else res.end();
    return;
  }
  if (reset) {
    const k = Math.min(reset.afterBytes ?? 0, length);
    await sendThenDrop(req, res, real, start, k);
    rec.bytesSent = k;
    return;
  }
  if (length === 0) {
    res.end();
    return;
  }
  await sendRange(res, real, start, length, rec);
}

const CHUNK = 1 << 20;

/**
 * Sends `length` bytes of `path` from `start` through two reused 1 MiB buffers: one is read while
 * the other is being written. A read stream piped to the response allocated a fresh 1 MiB buffer
 * per read, and the simulator spent a quarter of its CPU in the page faults and garbage
 * collections that followed; on a small machine that CPU is taken from the client under test.
 */
async function sendRange(res: ServerResponse, path: string, start: number, length: number, rec: FileRequest): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, 'r');
    const bufs = [Buffer.allocUnsafeSlow(CHUNK), Buffer.allocUnsafeSlow(CHUNK)];
    // A buffer is read into again only after its previous write has completed: the write of
    // buffer i % 2 is awaited (as `inflight`) before buffer (i + 1) % 2 is written.
    let inflight: Promise<void> = Promise.resolve();
    let sent = 0;
    for (let i = 0; sent < length; i++) {
      const buf = bufs[i % 2] as Buffer;
      const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, length - sent), start + sent);
      if (bytesRead === 0) throw new Error(`${path} is shorter than when its size was taken`);
      await inflight;
      if (res.destroyed) return;
      inflight = writeChunk(res, buf.subarray(0, bytesRead));
      // Awaited on the next turn; until then a failure must not count as unhandled.
      inflight.catch(() => {});
      sent += bytesRead;
      rec.bytesSent = sent;
    }
    await inflight;
    res.end();
  } catch {
    res.destroy();
  } finally {
    await fh?.close();
  }
}

function writeChunk(res: ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    // The callback runs once the bytes are handed to the kernel, or with an error when the client
    // went away; 'close' covers a connection torn down before either (the caller then stops).
    const onClose = () => resolve();
    res.once('close', onClose);
    res.write(chunk, (err) => {
      res.off('close', onClose);
      if (err) reject(err);
      else resolve();
    });
  });
}

/** Sends the headers and `k` body bytes, then drops the connection (a reset mid-download). */
async function sendThenDrop(req: IncomingMessage, res: ServerResponse, path: string, start: number, k: number): Promise<void> {
  const drop = () => setTimeout(() => req.socket.destroy(), 20);
  if (k === 0) {
    res.flushHeaders();
    drop();
    return;
  }
  const chunks: Buffer[] = [];
  for await (const c of createReadStream(path, { start, end: start + k - 1 })) chunks.push(c as Buffer);
  res.write(Buffer.concat(chunks), drop);
}
