// Test and benchmark disk images: a sparse raw file with an MBR partition table and seeded data
// in separate regions (random, text-like, and zeros that are written, i.e. allocated).
// Written region by region with a 1 MiB buffer, so a 4 GiB image costs no more memory than a small one.
import { open } from 'node:fs/promises';

export type RegionKind = 'random' | 'text' | 'zeros';

export interface Region {
  offset: number;
  length: number;
  kind: RegionKind;
}

export interface DiskImageSpec {
  size: number;
  regions: Region[];
  seed?: number;
}

const MiB = 1 << 20;

/** xorshift128: fast and seeded, so test images are the same on every run. */
export class Prng {
  private s: Uint32Array;
  constructor(seed: number) {
    this.s = new Uint32Array([seed >>> 0 || 1, 0x9e3779b9, 0x243f6a88, 0xb7e15162]);
    for (let i = 0; i < 16; i++) this.next();
  }
  next(): number {
    const s = this.s;
    let t = s[3] as number;
    const x = s[0] as number;
    s[3] = s[2] as number;
    s[2] = s[1] as number;
    s[1] = x;
    t ^= t << 11;
    t ^= t >>> 8;
    s[0] = (t ^ x ^ (x >>> 19)) >>> 0;
    return s[0] as number;
  }
  fill(buf: Buffer): void {
    const words = Math.floor(buf.length / 4);
    for (let i = 0; i < words; i++) buf.writeUInt32LE(this.next(), i * 4);
    for (let i = words * 4; i < buf.length; i++) buf[i] = this.next() & 0xff;
  }
}

/** File-list-like lines: compressible about 5-10x, like a file system's metadata and text. */
function fillText(buf: Buffer, rng: Prng): void {
  let off = 0;
  const dirs = ['usr/lib64', 'usr/share/doc', 'etc/systemd/system', 'usr/bin', 'var/lib/rpm'];
  while (off < buf.length) {
    const n = rng.next();
    const line = `/${dirs[n % dirs.length]}/lib${(n >>> 8) % 997}-${(n >>> 4) % 13}.so.${n % 7} 0644 root root ${(n % 65536).toString(16).padStart(4, '0')}\n`;
    off += buf.write(line, off);
  }
}

export function mbr(diskSize: number, seed: number): Buffer {
  const b = Buffer.alloc(512);
  b.writeUInt32LE(seed >>> 0, 440); // disk signature
  const first = 2048;
  const sectors = Math.min(0xffffffff, Math.floor(diskSize / 512) - first);
  const e = 446;
  b[e] = 0x80; // bootable
  b[e + 4] = 0x83; // Linux
  b.writeUInt32LE(first, e + 8);
  b.writeUInt32LE(sectors, e + 12);
  b[510] = 0x55;
  b[511] = 0xaa;
  return b;
}

/** Write the image; returns the number of data bytes written (MBR + regions). */
export async function writeDiskImage(path: string, spec: DiskImageSpec): Promise<number> {
  const seed = spec.seed ?? 1;
  const rng = new Prng(seed);
  const fh = await open(path, 'wx');
  let data = 0;
  try {
    await fh.truncate(spec.size);
    await fh.write(mbr(spec.size, seed), 0, 512, 0);
    data += 512;
    const buf = Buffer.alloc(MiB);
    for (const r of spec.regions) {
      if (r.offset < 4096 || r.offset + r.length > spec.size) throw new Error(`region ${JSON.stringify(r)} outside the disk`);
      for (let done = 0; done < r.length; ) {
        const n = Math.min(MiB, r.length - done);
        const part = buf.subarray(0, n);
        if (r.kind === 'random') rng.fill(part);
        else if (r.kind === 'text') fillText(part, rng);
        else part.fill(0);
        await fh.write(part, 0, n, r.offset + done);
        done += n;
      }
      data += r.length;
    }
  } finally {
    await fh.close();
  }
  return data;
}

/** 64 MiB with ~5 MiB of data in four places, 1 MiB of written zeros and a last-sector write. */
export function smallImageSpec(seed = 7): DiskImageSpec {
  const size = 64 * MiB;
  return {
    size,
    seed,
    regions: [
      { offset: 1 * MiB, length: 2 * MiB, kind: 'random' },
      { offset: 20 * MiB, length: 2 * MiB, kind: 'text' },
      { offset: 30 * MiB, length: 1 * MiB, kind: 'zeros' },
      { offset: 40 * MiB + 4096, length: 512 * 1024, kind: 'random' },
      { offset: 40 * MiB + 4096 + 512 * 1024, length: 512 * 1024, kind: 'text' },
      { offset: size - 4096, length: 4096, kind: 'random' },
    ],
  };
}

/** `dataMiB` of data (half random, half text, some written zeros) spread over a `sizeGiB` disk. */
export function benchImageSpec(sizeGiB: number, dataMiB: number, seed = 42): DiskImageSpec {
  const size = Math.round(sizeGiB * 1024) * MiB;
  const extentMiB = 4;
  const extents = Math.max(1, Math.round(dataMiB / extentMiB));
  const stride = Math.floor((size - 2 * MiB) / extents / MiB) * MiB;
  if (stride < extentMiB * MiB) throw new Error(`${dataMiB} MiB of data do not fit in ${sizeGiB} GiB`);
  const regions: Region[] = [];
  for (let i = 0; i < extents; i++) {
    const base = MiB + i * stride;
    // 4 MiB extent: 2 MiB random, 1.75 MiB text, 256 KiB written zeros (a partly used block group).
    regions.push({ offset: base, length: 2 * MiB, kind: i % 2 === 0 ? 'random' : 'text' });
    regions.push({ offset: base + 2 * MiB, length: 1.75 * MiB, kind: i % 2 === 0 ? 'text' : 'random' });
    regions.push({ offset: base + 3.75 * MiB, length: 0.25 * MiB, kind: 'zeros' });
  }
  return { size, seed, regions };
}
