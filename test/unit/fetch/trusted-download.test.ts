// The download client against a real HTTP server on loopback that can drop the connection mid-
// body: resumes with Range, verifies size and sha256, and leaves nothing behind on a mismatch.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { downloadVerified } from '../../../clients/fetch/trusted-download';
import { DownloadInterruptedError, DownloadNotFoundError, DownloadVerificationError } from '../../../clients/fetch/errors';

const body = randomBytes(3 * 1024 * 1024 + 123);
const sha = createHash('sha256').update(body).digest('hex');
let server: Server;
let base: string;
let resetAfter: number | undefined;
let stallAfter: number | undefined;
let rangeStartsAt: number | undefined;
let ignoreRange = false;
let served = 0;
const ranges: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url !== '/image.raw') {
      res.writeHead(404).end('not found');
      return;
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    ranges.push(req.headers.range ?? '');
    const start = range && !ignoreRange ? (rangeStartsAt ?? Number(range[1])) : 0;
    const slice = body.subarray(start);
    const headers: Record<string, string | number> = { 'Content-Length': slice.length, 'Accept-Ranges': 'bytes' };
    if (range && !ignoreRange) headers['Content-Range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    res.writeHead(range && !ignoreRange ? 206 : 200, headers);
    if (stallAfter !== undefined) {
      // Sends the first bytes, then nothing more, like a server that hangs mid-body.
      const cut = stallAfter;
      stallAfter = undefined;
      res.write(slice.subarray(0, cut));
      return;
    }
    if (resetAfter !== undefined) {
      const cut = resetAfter;
      resetAfter = undefined;
      res.write(slice.subarray(0, cut), () => {
        served += cut;
        setTimeout(() => req.socket.destroy(), 20);
      });
      return;
    }
    served += slice.length;
    res.end(slice);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((r) => server.close(() => r()));
});
beforeEach(() => {
  resetAfter = undefined;
  stallAfter = undefined;
  rangeStartsAt = undefined;
  ignoreRange = false;
  served = 0;
  ranges.length = 0;
});

const dest = () => join(mkdtempSync(join(tmpdir(), 'fedimg-dl-')), 'image.raw');

describe('trusted download', () => {
  it('streams the file to disk and verifies size and sha256', async () => {
    const d = dest();
    const r = await downloadVerified({ url: `${base}/image.raw`, dest: d, expectedSize: body.length, expectedSha256: sha });
    expect(r).toMatchObject({ size: body.length, sha256: sha, resumedFrom: 0, transferred: body.length });
    expect(readFileSync(d).equals(body)).toBe(true);
  });

  it('resumes a dropped connection with a Range request, fetching no byte twice', async () => {
    const d = dest();
    resetAfter = 1024 * 1024 + 7;
    const first = downloadVerified({ url: `${base}/image.raw`, dest: d, expectedSize: body.length, expectedSha256: sha });
    await expect(first).rejects.toBeInstanceOf(DownloadInterruptedError);
    expect(existsSync(d)).toBe(true);
    const r = await downloadVerified({ url: `${base}/image.raw`, dest: d, expectedSize: body.length, expectedSha256: sha });
    expect(r.resumedFrom).toBeGreaterThan(0);
    expect(ranges.at(-1)).toBe(`bytes=${r.resumedFrom}-`);
    expect(r.resumedFrom + r.transferred).toBe(body.length);
    expect(served).toBe(body.length);
    expect(readFileSync(d).equals(body)).toBe(true);
  });

  it('starts over when the server ignores Range instead of appending a second copy', async () => {
    const d = dest();
    writeFileSync(d, body.subarray(0, 5000));
    ignoreRange = true;
    const r = await downloadVerified({ url: `${base}/image.raw`, dest: d, expectedSize: body.length, expectedSha256: sha });
    expect(readFileSync(d).equals(body)).toBe(true);
    expect(r.sha256).toBe(sha);
  });

  it('starts over when a 206 carries a different range than the one asked for', async () => {
    const d = dest();
    writeFileSync(d, body.subarray(0, 5000));
    rangeStartsAt = 4000;
    const r = await downloadVerified({ url: `${base}/image.raw`, dest: d, expectedSize: body.length, expectedSha256: sha });
    expect(ranges).toEqual(['bytes=5000-', '']);
    expect(r).toMatchObject({ resumedFrom: 0, transferred: body.length, sha256: sha });
    expect(readFileSync(d).equals(body)).toBe(true);
  });

  it('stops on cancellation, keeps what arrived on disk, and a later call resumes from it', async () => {
    const d = dest();
    stallAfter = 2 * 1024 * 1024;
    const ac = new AbortController();
    const first = downloadVerified({ url: `${base}/image.raw`, dest: d, expectedSize: body.length, expectedSha256: sha, signal: ac.signal });
    // Cancel once the first MiB is on disk; the server sends nothing after its first 2 MiB.
    const until = Date.now() + 10_000;
    while ((existsSync(d) ? statSync(d).size : 0) < 1024 * 1024 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    ac.abort();
    await expect(first).rejects.toMatchObject({ name: 'AbortError' });
    const kept = readFileSync(d);
    expect(kept.length).toBeGreaterThanOrEqual(1024 * 1024);
    expect(kept.length).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(kept.equals(body.subarray(0, kept.length))).toBe(true);
    const r = await downloadVerified({ url: `${base}/image.raw`, dest: d, expectedSize: body.length, expectedSha256: sha });
    expect(r).toMatchObject({ resumedFrom: kept.length, transferred: body.length - kept.length, sha256: sha });
    expect(ranges.at(-1)).toBe(`bytes=${kept.length}-`);
  });

  it('gives up on a server that stops sending mid-body, keeps what arrived, and the retry resumes from it', async () => {
    const d = dest();
    stallAfter = 1024 * 1024 + 11;
    const first = downloadVerified({ url: `${base}/image.raw`, dest: d, expectedSize: body.length, expectedSha256: sha, idleTimeoutMs: 300 });
    await expect(first).rejects.toThrow(/interrupted after 1048587 bytes: no bytes from the server for \d+ s \(inside the body\)/);
    await expect(first).rejects.toBeInstanceOf(DownloadInterruptedError);
    expect(statSync(d).size).toBe(1024 * 1024 + 11);
    const r = await downloadVerified({ url: `${base}/image.raw`, dest: d, expectedSize: body.length, expectedSha256: sha, idleTimeoutMs: 300 });
    expect(r).toMatchObject({ resumedFrom: 1024 * 1024 + 11, sha256: sha });
  });

  it('gives up on a server that accepts the connection and never answers', async () => {
    const silent = createNetServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/image.raw`;
      const run = downloadVerified({ url, dest: dest(), expectedSize: body.length, idleTimeoutMs: 300 });
      await expect(run).rejects.toThrow(/cannot reach .*: no bytes from the server for \d+ s \(waiting for the response\)/);
      await expect(run).rejects.toBeInstanceOf(DownloadInterruptedError);
    } finally {
      silent.close();
    }
  });

  it('reports progress offsets that are already on disk', async () => {
    const d = dest();
    const seen: Array<{ offset: number; onDisk: number }> = [];
    await downloadVerified({
      url: `${base}/image.raw`,
      dest: d,
      expectedSize: body.length,
      progressEveryBytes: 512 * 1024,
      onProgress: ({ offset }) => seen.push({ offset, onDisk: statSync(d).size }),
    });
    expect(seen.length).toBeGreaterThanOrEqual(2);
    for (const s of seen) expect(s.onDisk).toBeGreaterThanOrEqual(s.offset);
    expect(seen.map((s) => s.offset)).toEqual([...seen.map((s) => s.offset)].sort((a, b) => a - b));
  });

  it('refuses a file whose sha256 differs and removes it', async () => {
    const d = dest();
    const wrong = 'f'.repeat(64);
    await expect(downloadVerified({ url: `${base}/image.raw`, dest: d, expectedSize: body.length, expectedSha256: wrong })).rejects.toThrow(
      DownloadVerificationError,
    );
    expect(existsSync(d)).toBe(false);
  });

  it('refuses a file shorter than Koji lists (truncated at the source)', async () => {
    const d = dest();
    await expect(downloadVerified({ url: `${base}/image.raw`, dest: d, expectedSize: body.length + 10 })).rejects.toThrow(
      /got \d+ bytes, Koji lists/,
    );
    expect(existsSync(d)).toBe(false);
  });

  it('refuses a file longer than Koji lists', async () => {
    await expect(downloadVerified({ url: `${base}/image.raw`, dest: dest(), expectedSize: 1000 })).rejects.toThrow(DownloadVerificationError);
  });

  it('says a missing file is missing, as a final error', async () => {
    await expect(downloadVerified({ url: `${base}/nope.raw`, dest: dest(), expectedSize: 10 })).rejects.toBeInstanceOf(DownloadNotFoundError);
  });
});
