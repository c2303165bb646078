// The small parts on their own: the sparse hashing writer, the CHECKSUM format, format sniffing.
import { createHash } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatChecksumFile } from '../../../clients/images/checksum-file';
import { decideFormat, formatFromName, parseQcow2Header, sniff } from '../../../clients/images/detect';
import { ImageCorruptError, ImageFormatError } from '../../../clients/images/errors';
import { SparseHashingWriter } from '../../../clients/images/sparse-writer';
import { listTarXz } from '../../../clients/images/tar-xz';
import { Prng } from './disk-image';
import { makeTmp, mustSh, removeTmp, sh } from './helpers';

let dir: string;
beforeAll(async () => {
  dir = await makeTmp('pieces');
});
afterAll(async () => {
  await removeTmp(dir);
});

describe('SparseHashingWriter', () => {
  it('keeps zero blocks as holes whatever the chunk boundaries, and hashes every byte', async () => {
    const size = 1 << 20;
    const image = Buffer.alloc(size);
    const rng = new Prng(9);
    // data: one block-aligned 8 KiB, one unaligned 100 bytes straddling a block edge, the last byte
    rng.fill(image.subarray(65536, 65536 + 8192));
    rng.fill(image.subarray(4096 * 40 - 50, 4096 * 40 + 50));
    image[size - 1] = 1;
    const path = join(dir, 'odd-chunks.raw');
    const w = await SparseHashingWriter.create(path, { expectedSize: size, sourceName: 'test' });
    // odd chunk sizes, so blocks are split across chunks
    for (let off = 0, i = 0; off < size; i++) {
      const n = Math.min(size - off, [1000, 4096, 7777, 65536, 3][i % 5] as number);
      await w.write(image.subarray(off, off + n));
      off += n;
    }
    const r = await w.finish();
    expect(r.size).toBe(size);
    expect(r.sha256).toBe(createHash('sha256').update(image).digest('hex'));
    expect((await readFile(path)).equals(image)).toBe(true);
    // 8 KiB + two 4 KiB blocks for the straddling data + the last block
    expect((await stat(path)).blocks * 512).toBeLessThanOrEqual(8192 + 3 * 4096);
    expect(r.dataBytes).toBeLessThanOrEqual(8192 + 3 * 4096);
  });

  it('treats more or fewer bytes than announced as a damaged source', async () => {
    const w1 = await SparseHashingWriter.create(join(dir, 'more.raw'), { expectedSize: 10, sourceName: 'src.raw.xz' });
    await expect(w1.write(Buffer.alloc(11, 1))).rejects.toThrow(ImageCorruptError);
    await w1.close();
    const w2 = await SparseHashingWriter.create(join(dir, 'fewer.raw'), { expectedSize: 10, sourceName: 'src.raw.xz' });
    await w2.write(Buffer.alloc(5, 1));
    await expect(w2.finish()).rejects.toThrow(/src\.raw\.xz ended after 5 of the 10 bytes/);
    await w2.close();
  });
});

describe('CHECKSUM', () => {
  it('is sorted by name, two lines per file, and sha256sum -c accepts it', async () => {
    const files = { 'b.qcow2': 'second', 'a.raw.tar.xz': 'first' };
    const entries = [];
    for (const [name, content] of Object.entries(files)) {
      await writeFile(join(dir, name), content);
      entries.push({ name, size: content.length, sha256: createHash('sha256').update(content).digest('hex') });
    }
    const text = formatChecksumFile(entries);
    expect(text.split('\n')).toEqual([
      '# a.raw.tar.xz: 5 bytes',
      `SHA256 (a.raw.tar.xz) = ${createHash('sha256').update('first').digest('hex')}`,
      '# b.qcow2: 6 bytes',
      `SHA256 (b.qcow2) = ${createHash('sha256').update('second').digest('hex')}`,
      '',
    ]);
    await writeFile(join(dir, 'CHECKSUM'), text);
    expect((await sh('sha256sum', ['--check', '--strict', 'CHECKSUM'], { cwd: dir })).code).toBe(0);
    await writeFile(join(dir, 'b.qcow2'), 'tampered');
    expect((await sh('sha256sum', ['--check', '--strict', 'CHECKSUM'], { cwd: dir })).code).not.toBe(0);
  });

  it('refuses names that would break the format', () => {
    expect(() => formatChecksumFile([{ name: 'a\nb', size: 1, sha256: 'a'.repeat(64) }])).toThrow();
  });
});

describe('format detection', () => {
  const qcow2Head = () => {
    const h = Buffer.alloc(4096);
    Buffer.from([0x51, 0x46, 0x49, 0xfb]).copy(h);
    h.writeUInt32BE(3, 4);
    h.writeBigUInt64BE(5n * 1024n ** 3n, 24);
    return h;
  };

  it('goes by magic bytes; the name only has to agree when it says something', () => {
    expect(sniff(qcow2Head())).toEqual({ kind: 'qcow2' });
    expect(decideFormat('anything', qcow2Head())).toBe('qcow2');
    expect(decideFormat('x.raw.xz', Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0, 0]))).toBe('raw.xz');
    expect(decideFormat('x.img', Buffer.alloc(512))).toBe('raw');
    expect(() => decideFormat('x.qcow2', Buffer.alloc(512))).toThrow(ImageFormatError);
    expect(() => decideFormat('x.raw', Buffer.from([0x1f, 0x8b, 8, 0]))).toThrow(/x\.raw is a gzip file/);
    expect(formatFromName('F.x86_64.QCOW2')).toBe('qcow2');
    expect(formatFromName('F.vhdfixed.xz')).toBeUndefined();
  });

  it('reads the virtual size and the dangerous features from the qcow2 header', () => {
    const h = qcow2Head();
    expect(parseQcow2Header('x', h)).toEqual({ version: 3, virtualSize: 5 * 1024 ** 3, hasBackingFile: false, encrypted: false, externalDataFile: false });
    h.writeBigUInt64BE(0b100n, 72);
    expect(parseQcow2Header('x', h).externalDataFile).toBe(true);
    expect(() => parseQcow2Header('x', h.subarray(0, 50))).toThrow(ImageCorruptError);
  });
});

describe('listing a tar.xz', () => {
  it('lets tar stop at the end-of-archive blocks while xz still checks the rest of the stream', async () => {
    await writeFile(join(dir, 'member.raw'), Buffer.alloc(100_000, 7));
    // 8 MiB after the archive's end: tar exits before reading it, xz must still finish cleanly
    await mustSh('bash', ['-o', 'pipefail', '-c', `(tar -C '${dir}' -cf - member.raw; head -c 8M /dev/zero) | xz -T1 > '${dir}/padded.tar.xz'`]);
    const entries = await listTarXz(join(dir, 'padded.tar.xz'), 1);
    expect(entries.map((e) => [e.name, e.size])).toEqual([['member.raw', 100_000]]);
    expect(entries[0]?.streamBytes).toBeGreaterThan(8 * 1024 * 1024);
  });

  it('reports a damaged tar.xz as an invalid output', async () => {
    const size = (await stat(join(dir, 'padded.tar.xz'))).size;
    await mustSh('bash', ['-c', `head -c ${Math.floor(size / 2)} '${dir}/padded.tar.xz' > '${dir}/cut.tar.xz'`]);
    await expect(listTarXz(join(dir, 'cut.tar.xz'), 1)).rejects.toThrow(/cut\.tar\.xz could not be listed/);
  });
});
