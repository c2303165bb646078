// The download client against a real HTTP server on loopback that can drop the connection mid-
// body: resumes with Range, verifies size and sha256, and leaves nothing behind on a mismatch.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
    const start = range && !ignoreRange ? Number(range[1]) : 0;
    const slice = body.subarray(start);
    res.writeHead(range && !ignoreRange ? 206 : 200, { 'Content-Length': slice.length, 'Accept-Ranges': 'bytes' });
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
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  resetAfter = undefined;
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
