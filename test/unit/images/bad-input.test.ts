// Inputs the stage must refuse, each with a named error that says what is wrong and what to do,
// and without leaving anything behind.
import { copyFile, mkdir, open, readdir, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareArtifacts } from '../../../clients/images/artifacts';
import type { PrepareArtifactsOptions } from '../../../clients/images/artifacts';
import { ArtifactRequestError, ImageCorruptError, ImageFormatError, ImageTooLargeError } from '../../../clients/images/errors';
import { smallImageSpec, writeDiskImage } from './disk-image';
import { childProcesses, makeTmp, mustSh, removeTmp } from './helpers';

const MiB = 1 << 20;
let root: string;
let raw: string;
let xz: string;
let qcow2: string;

beforeAll(async () => {
  root = await makeTmp('bad');
  raw = join(root, 'disk.raw');
  await writeDiskImage(raw, smallImageSpec(3));
  xz = join(root, 'disk.raw.xz');
  await mustSh('sh', ['-c', `xz -T0 -c "${raw}" > "${xz}"`]);
  qcow2 = join(root, 'disk.qcow2');
  await mustSh('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, qcow2]);
});

afterAll(async () => {
  await removeTmp(root);
});

let n = 0;
async function attempt(sourcePath: string, extra: Partial<PrepareArtifactsOptions> = {}): Promise<{ error: Error; outDir: string; ms: number }> {
  const outDir = join(root, `out-${++n}`);
  const started = Date.now();
  const error = await prepareArtifacts({
    sourcePath,
    outDir,
    baseName: 'Img',
    outputs: ['qcow2', 'raw.tar.xz'],
    maxImageBytes: 1 << 30,
    xzThreads: 1,
    ...extra,
  }).then(
    () => new Error('expected a failure'),
    (err: Error) => err,
  );
  return { error, outDir, ms: Date.now() - started };
}

async function leftovers(dir: string): Promise<string[]> {
  return readdir(dir, { recursive: true }).catch(() => [] as string[]);
}

describe('format detection by content', () => {
  it('refuses a raw disk named .qcow2', async () => {
    const fake = join(root, 'Fedora-Cloud-Base-Generic-44-1.7.x86_64.qcow2');
    await copyFile(raw, fake);
    const { error, outDir } = await attempt(fake);
    expect(error).toBeInstanceOf(ImageFormatError);
    expect(error.name).toBe('ImageFormatError');
    expect(error.message).toContain('Fedora-Cloud-Base-Generic-44-1.7.x86_64.qcow2 is named like a qcow2 image');
    expect(error.message).toMatch(/fetch the right one/);
    expect(await leftovers(outDir)).toEqual([]);
  });

  it('names an HTML error page saved as .qcow2', async () => {
    const page = join(root, 'page.qcow2');
    await writeFile(page, '<!DOCTYPE html><html><body>502 Bad Gateway</body></html>\n');
    const { error } = await attempt(page);
    expect(error).toBeInstanceOf(ImageFormatError);
    expect(error.message).toContain('is an HTML page');
  });

  it('refuses a .raw.xz that is not xz, and a qcow2 named .raw', async () => {
    const notXz = join(root, 'disk2.raw.xz');
    await copyFile(raw, notXz);
    const a = await attempt(notXz);
    expect(a.error).toBeInstanceOf(ImageFormatError);
    expect(a.error.message).toContain('named like an xz stream');

    const q = join(root, 'really-qcow2.raw');
    await copyFile(qcow2, q);
    const b = await attempt(q);
    expect(b.error).toBeInstanceOf(ImageFormatError);
    expect(b.error.message).toContain('its content is a qcow2 image');
  });

  it('accepts a name without a known suffix and goes by the content', async () => {
    const plain = join(root, 'download-1234');
    await copyFile(qcow2, plain);
    const r = await prepareArtifacts({ sourcePath: plain, outDir: join(root, 'by-content'), baseName: 'Img', outputs: [], maxImageBytes: 1 << 30 });
    expect(r.source.format).toBe('qcow2');
  });

  it('refuses a qcow2 with a backing file (it could read any file on this host)', async () => {
    const overlay = join(root, 'overlay.qcow2');
    await mustSh('qemu-img', ['create', '-f', 'qcow2', '-b', qcow2, '-F', 'qcow2', overlay]);
    const { error } = await attempt(overlay);
    expect(error).toBeInstanceOf(ImageFormatError);
    expect(error.message).toContain('a backing file');
  });

  it('refuses an xz that holds a qcow2 rather than a raw disk', async () => {
    const wrapped = join(root, 'wrapped.raw.xz');
    await mustSh('sh', ['-c', `xz -c "${qcow2}" > "${wrapped}"`]);
    const { error, outDir } = await attempt(wrapped);
    expect(error).toBeInstanceOf(ImageFormatError);
    expect(error.message).toContain('decompresses to a qcow2 image');
    expect(await leftovers(outDir)).toEqual([]);
  });
});

describe('damaged input', () => {
  it('refuses a truncated xz before converting', async () => {
    const cut = join(root, 'cut.raw.xz');
    await copyFile(xz, cut);
    await truncate(cut, Math.floor((await stat(xz)).size / 2));
    const { error, outDir } = await attempt(cut);
    expect(error).toBeInstanceOf(ImageCorruptError);
    expect(error.message).toMatch(/cut\.raw\.xz is not a complete xz file .*corrupt or truncated.*Fetch the image again/);
    expect(await leftovers(outDir)).toEqual([]);
  });

  it('fails on an xz damaged in the middle, removing the partial raw', async () => {
    const bad = join(root, 'bad.raw.xz');
    await copyFile(xz, bad);
    const fh = await open(bad, 'r+');
    await fh.write(Buffer.alloc(64, 0x5a), 0, 64, Math.floor((await stat(xz)).size / 2));
    await fh.close();
    const { error, outDir } = await attempt(bad);
    expect(error).toBeInstanceOf(ImageCorruptError);
    expect(error.message).toMatch(/bad\.raw\.xz could not be decompressed \(.*corrupt.*\).*Fetch the image again/i);
    expect(await leftovers(outDir)).toEqual([]);
    expect(await childProcesses()).toEqual([]);
  });

  it('refuses a truncated qcow2', async () => {
    const cut = join(root, 'cut.qcow2');
    await copyFile(qcow2, cut);
    await truncate(cut, 300_000);
    const { error } = await attempt(cut);
    expect(error).toBeInstanceOf(ImageCorruptError);
    expect(error.message).toContain('is a damaged qcow2');
  });

  it('refuses an empty file', async () => {
    const empty = join(root, 'empty.raw');
    await writeFile(empty, '');
    const { error } = await attempt(empty);
    expect(error).toBeInstanceOf(ImageFormatError);
    expect(error.message).toContain('is empty');
  });
});

describe('size limit, checked from the header before converting', () => {
  it.each([
    ['raw', () => raw],
    ['raw.xz', () => xz],
    ['qcow2', () => qcow2],
  ])('refuses a %s above maxImageBytes', async (_f, source) => {
    const { error, outDir } = await attempt(source(), { maxImageBytes: 32 * MiB });
    expect(error).toBeInstanceOf(ImageTooLargeError);
    expect((error as ImageTooLargeError).virtualSize).toBe(64 * MiB);
    expect(error.message).toContain('describes a 64.0 MiB disk (67108864 bytes), above the limit of 32.0 MiB (staging.maxImageBytes)');
    expect(await leftovers(outDir)).toEqual([]);
  });

  it('refuses a 1 TiB qcow2 at once, without reading its data', async () => {
    const huge = join(root, 'huge.qcow2');
    await mustSh('qemu-img', ['create', '-f', 'qcow2', huge, '1T']);
    const { error, ms } = await attempt(huge, { maxImageBytes: 10 * 1024 * MiB });
    expect(error).toBeInstanceOf(ImageTooLargeError);
    expect(error.message).toContain('describes a 1.0 TiB disk');
    expect(ms).toBeLessThan(5000);
  });
});

describe('requests', () => {
  it('refuses names that are not plain file names and sources that do not exist', async () => {
    const a = await attempt(raw, { baseName: '../escape' });
    expect(a.error).toBeInstanceOf(ArtifactRequestError);
    const b = await attempt(join(root, 'missing.raw'));
    expect(b.error).toBeInstanceOf(ArtifactRequestError);
    expect(b.error.message).toContain('does not exist on this host');
  });

  it('refuses a source that has the name of an output', async () => {
    const dir = join(root, 'same');
    await mkdir(dir);
    await copyFile(raw, join(dir, 'Img.raw'));
    const error = await prepareArtifacts({ sourcePath: join(dir, 'Img.raw'), outDir: dir, baseName: 'Img', outputs: [], maxImageBytes: 1 << 30 }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(ArtifactRequestError);
    expect(await readdir(dir)).toEqual(['Img.raw']);
  });
});
