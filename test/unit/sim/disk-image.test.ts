// The simulator's disk images are real ones: a sparse raw disk with a GPT that util-linux reads
// (partx, blkid), holes between its data regions, a qcow2 that `qemu-img check` accepts and
// that holds the same disk, an xz stream of it, and a repeat that comes from the cache.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { DiskImageFactory, dataRegions, partitionLayout } from '../../../sim/koji';
import { tempDir } from './helpers';

const dir = tempDir('koji-sim-disk-');
const dir2 = tempDir('koji-sim-disk2-');
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(dir2, { recursive: true, force: true });
});
const factory = new DiskImageFactory({ cacheDir: dir });
const SIZE = 32 * 1024 * 1024;
const content = { seed: 'disk-test', arch: 'x86_64', sizeBytes: SIZE };

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('generated disk images', () => {
  it('raw: a GPT util-linux reads, with the planned partitions, and holes', async () => {
    const raw = await factory.get(content, 'raw');
    const st = statSync(raw);
    expect(st.size).toBe(SIZE);
    // Sparse: only the partition table and the seeded regions take space.
    expect(st.blocks * 512).toBeLessThan(SIZE / 4);
    expect(execFileSync('blkid', ['-p', '-o', 'export', raw], { encoding: 'utf8' })).toMatch(/^PTTYPE=gpt$/m);
    const rows = execFileSync('partx', ['--show', '-o', 'NR,START,END,TYPE,NAME', '-g', raw], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/));
    const planned = partitionLayout(content);
    expect(rows.map((r) => [Number(r[1]), Number(r[2]), r[3]!.toUpperCase(), r[4]])).toEqual(planned.map((p) => [p.firstLba, p.lastLba, p.typeGuid, p.name]));
    // The data regions hold seeded bytes; the space between them reads as zeros.
    const bytes = readFileSync(raw);
    const regions = dataRegions(content);
    for (const r of regions) expect(bytes.subarray(r.offset, r.offset + r.length).some((b) => b !== 0)).toBe(true);
    const gapStart = regions[1]!.offset + regions[1]!.length;
    expect(bytes.subarray(gapStart, regions[2]!.offset).every((b) => b === 0)).toBe(true);
  });

  it('aarch64 disks have no BIOS boot partition and an arm64 root', () => {
    const parts = partitionLayout({ ...content, arch: 'aarch64' });
    expect(parts.map((p) => p.name)).toEqual(['p.UEFI', 'p.lxroot']);
    expect(parts[1]!.typeGuid).toBe('B921B045-1DF0-41C3-AF44-4C6F280D3FAE');
  });

  it('qcow2: passes qemu-img check and holds the same disk', async () => {
    const [raw, qcow2] = [await factory.get(content, 'raw'), await factory.get(content, 'qcow2')];
    execFileSync('qemu-img', ['check', qcow2]);
    const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', qcow2], { encoding: 'utf8' })) as { format: string; 'virtual-size': number };
    expect(info.format).toBe('qcow2');
    expect(info['virtual-size']).toBe(SIZE);
    execFileSync('qemu-img', ['compare', '-f', 'raw', '-F', 'qcow2', raw, qcow2]);
  });

  it('raw.xz: a valid xz stream of the raw disk', async () => {
    const [raw, xz] = [await factory.get(content, 'raw'), await factory.get(content, 'raw.xz')];
    expect(readFileSync(xz).subarray(0, 6)).toEqual(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]));
    const out = execFileSync('xz', ['-dc', xz], { maxBuffer: 2 * SIZE });
    expect(createHash('sha256').update(out).digest('hex')).toBe(sha(raw));
  });

  it('is deterministic and cached: the same content is the same file, made once', async () => {
    const a = await factory.get(content, 'qcow2');
    const before = statSync(a).mtimeMs;
    const again = await factory.get({ ...content }, 'qcow2');
    expect(again).toBe(a);
    expect(statSync(again).mtimeMs).toBe(before);
    const other = await new DiskImageFactory({ cacheDir: dir2 }).get(content, 'raw');
    expect(sha(other)).toBe(sha(await factory.get(content, 'raw')));
    expect(await factory.get({ ...content, seed: 'another' }, 'raw')).not.toBe(await factory.get(content, 'raw'));
  });
});
