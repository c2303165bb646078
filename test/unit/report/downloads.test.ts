// Serving the downloads directory: nothing outside the root is reachable, by any spelling.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRange, registerDownloads, resolveInside } from '../../../report/http/downloads';

let base: string;
let root: string;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'catalogue-dl-'));
  root = join(base, 'root');
  mkdirSync(join(root, 'rawhide', 'x86_64'), { recursive: true });
  writeFileSync(join(root, 'rawhide', 'x86_64', 'image.qcow2'), '0123456789');
  writeFileSync(join(root, 'rawhide', 'x86_64', 'Fedora-CHECKSUM'), 'SHA256 (image.qcow2) = abc\n');
  writeFileSync(join(root, '.hidden'), 'secret');
  writeFileSync(join(base, 'outside.txt'), 'OUTSIDE-CONTENT');
  symlinkSync(join(base, 'outside.txt'), join(root, 'escape'));
  symlinkSync(base, join(root, 'escape-dir'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('resolveInside', () => {
  it('finds files and directories under the root', async () => {
    expect(await resolveInside(root, 'rawhide/x86_64/image.qcow2')).toMatchObject({ kind: 'file', size: 10 });
    expect(await resolveInside(root, 'rawhide/')).toMatchObject({ kind: 'dir' });
    expect(await resolveInside(root, '')).toMatchObject({ kind: 'dir' });
  });
  it.each([
    '../outside.txt',
    'rawhide/../../outside.txt',
    '..%2Foutside.txt',
    'escape',
    'escape-dir/outside.txt',
    '.hidden',
    'rawhide\\..\\..\\outside.txt',
    'image.qcow2\0.txt',
    'missing',
  ])('refuses %j', async (p) => {
    expect(await resolveInside(root, p)).toBeUndefined();
  });
});

describe('parseRange', () => {
  it('reads single byte ranges', () => {
    expect(parseRange('bytes=0-3', 10)).toEqual({ start: 0, end: 3 });
    expect(parseRange('bytes=5-', 10)).toEqual({ start: 5, end: 9 });
    expect(parseRange('bytes=-4', 10)).toEqual({ start: 6, end: 9 });
    expect(parseRange('bytes=8-100', 10)).toEqual({ start: 8, end: 9 });
    expect(parseRange('bytes=10-', 10)).toBeNull();
    expect(parseRange('bytes=0-1,3-4', 10)).toBeUndefined();
    expect(parseRange(undefined, 10)).toBeUndefined();
  });
});

describe('GET /downloads', () => {
  const app = Fastify();
  beforeAll(() => registerDownloads(app, { root }));
  afterAll(() => app.close());

  it('serves a file whole and by range, read-only', async () => {
    const whole = await app.inject({ url: '/downloads/rawhide/x86_64/image.qcow2' });
    expect(whole.statusCode).toBe(200);
    expect(whole.body).toBe('0123456789');
    expect(whole.headers['content-type']).toBe('application/octet-stream');
    const part = await app.inject({ url: '/downloads/rawhide/x86_64/image.qcow2', headers: { range: 'bytes=2-4' } });
    expect(part.statusCode).toBe(206);
    expect(part.body).toBe('234');
    expect(part.headers['content-range']).toBe('bytes 2-4/10');
    expect((await app.inject({ url: '/downloads/rawhide/x86_64/image.qcow2', headers: { range: 'bytes=20-' } })).statusCode).toBe(416);
    expect((await app.inject({ method: 'PUT', url: '/downloads/rawhide/x86_64/image.qcow2', payload: 'x' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url: '/downloads/rawhide/x86_64/image.qcow2' })).statusCode).toBe(404);
  });

  it('serves CHECKSUM files as text and lists directories (escaped, no dot-files)', async () => {
    const sum = await app.inject({ url: '/downloads/rawhide/x86_64/Fedora-CHECKSUM' });
    expect(sum.headers['content-type']).toBe('text/plain; charset=utf-8');
    const list = await app.inject({ url: '/downloads/' });
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('href="rawhide/"');
    expect(list.body).not.toContain('.hidden');
    expect((await app.inject({ url: '/downloads/rawhide' })).headers.location).toBe('/downloads/rawhide/');
  });

  it.each(['/downloads/../outside.txt', '/downloads/%2e%2e/outside.txt', '/downloads/rawhide/%2e%2e/%2e%2e/outside.txt', '/downloads/escape', '/downloads/.hidden'])(
    '404s %s',
    async (url) => {
      const res = await app.inject({ url });
      expect(res.statusCode).toBe(404);
      expect(res.body).not.toContain('OUTSIDE-CONTENT');
      expect(res.body).not.toContain('secret');
    },
  );
});
