// Real disk images for the simulated builds: a sparse raw disk with a GPT (BIOS boot on x86_64,
// an EFI system partition, a root partition of the arch's discoverable type) and a few seeded
// data regions with holes between them, then the formats builders deliver (qcow2 through
// qemu-img, .raw.xz through xz, VHD/VMDK, Azure's fixed VHD, GCE's sparse tar.gz, and through
// output-formats.ts live ISOs, Vagrant boxes and OCI archives). Results are cached by their
// content parameters, so a repeated build costs a hard link.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { link, mkdir, mkdtemp, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PART_TYPES, SECTOR, buildGpt, isoDescriptors } from './gpt';
import type { GptPartition } from './gpt';
import { writeLiveIso, writeOciArchive, writeVagrantBox } from './output-formats';
import { seededBytes, seededGuid, seedOf } from './prng';

/** What the files of one build are made from. Equal content -> equal bytes. */
export interface DiskContent {
  /** Seeds the GUIDs and the data regions. */
  seed: string;
  arch: string;
  /** Logical size; rounded up to whole MiB, at least 4 MiB. */
  sizeBytes: number;
  /** Adds an ISO 9660 volume descriptor (live media). */
  iso?: boolean;
  /** Volume id for the ISO descriptor. */
  volumeId?: string;
}

export type ImageFormat =
  | 'raw'
  | 'raw.xz'
  | 'qcow2'
  | 'vmdk'
  | 'vhd'
  | 'vhdfixed.xz'
  | 'tar.gz'
  | 'iso'
  | 'vagrant.libvirt.box'
  | 'vagrant.virtualbox.box'
  | 'oci.tar.xz';

export interface DiskImageOptions {
  cacheDir: string;
  /** `qemu-img convert -c` for qcow2 (kiwi leaves it off). */
  qcow2Compress?: boolean;
  /** xz preset for .xz outputs (0-9); low by default to spare the CPU. */
  xzPreset?: number;
}

const MiB = 1024 * 1024;
// 2: ISOs from xorriso, Vagrant boxes, OCI archives.
const FORMAT_VERSION = 2;

export function roundedSize(sizeBytes: number): number {
  return Math.max(4, Math.ceil(sizeBytes / MiB)) * MiB;
}

/** The partitions of a disk of `totalSectors`. */
export function partitionLayout(content: DiskContent): GptPartition[] {
  const total = roundedSize(content.sizeBytes) / SECTOR;
  const mib = MiB / SECTOR;
  const parts: GptPartition[] = [];
  let next = mib;
  if (content.arch === 'x86_64') {
    parts.push({ name: 'p.legacy', typeGuid: PART_TYPES.biosBoot, guid: seededGuid(`${content.seed}:bios`), firstLba: next, lastLba: next + mib - 1 });
    next += mib;
  }
  const espMiB = Math.min(100, Math.max(1, Math.floor(total / mib / 8)));
  parts.push({ name: 'p.UEFI', typeGuid: PART_TYPES.esp, guid: seededGuid(`${content.seed}:esp`), firstLba: next, lastLba: next + espMiB * mib - 1 });
  next += espMiB * mib;
  const rootType = content.arch === 'x86_64' ? PART_TYPES.rootX86_64 : content.arch === 'aarch64' ? PART_TYPES.rootAarch64 : PART_TYPES.linuxFs;
  const end = Math.floor((total - 34) / mib) * mib - 1;
  if (end <= next) throw new Error(`a ${total * SECTOR}-byte disk is too small for its partitions`);
  parts.push({ name: 'p.lxroot', typeGuid: rootType, guid: seededGuid(`${content.seed}:root`), firstLba: next, lastLba: end });
  return parts;
}

/** Where the seeded data goes: one region at the start of the ESP, four spread over the root. */
export function dataRegions(content: DiskContent): Array<{ offset: number; length: number }> {
  const parts = partitionLayout(content);
  const esp = parts[parts.length - 2]!;
  const root = parts[parts.length - 1]!;
  const regions: Array<{ offset: number; length: number }> = [];
  const espBytes = (esp.lastLba - esp.firstLba + 1) * SECTOR;
  regions.push({ offset: esp.firstLba * SECTOR, length: Math.min(256 * 1024, espBytes / 2) });
  const rootStart = root.firstLba * SECTOR;
  const rootBytes = (root.lastLba - root.firstLba + 1) * SECTOR;
  const len = Math.max(4096, Math.min(512 * 1024, Math.floor(rootBytes / 16 / 4096) * 4096));
  const jitter = seedOf(content.seed) % 16;
  for (let i = 0; i < 4; i++) {
    const at = Math.floor((rootBytes * i) / 4 / 65536) * 65536 + (i === 0 ? 0 : jitter * 4096);
    regions.push({ offset: rootStart + Math.min(at, rootBytes - len), length: len });
  }
  return regions;
}

/** Writes the sparse raw disk to `path` (holes left by truncate, data written in place). */
export async function writeRawDisk(path: string, content: DiskContent): Promise<void> {
  const size = roundedSize(content.sizeBytes);
  const fh = await open(path, 'w');
  try {
    await fh.truncate(size);
    const gpt = buildGpt(size / SECTOR, seededGuid(`${content.seed}:disk`), partitionLayout(content));
    await fh.write(gpt.head, 0, gpt.head.length, 0);
    await fh.write(gpt.tail, 0, gpt.tail.length, gpt.tailOffset);
    if (content.iso) {
      const iso = isoDescriptors(content.volumeId ?? 'SIM-LIVE', size);
      await fh.write(iso.bytes, 0, iso.bytes.length, iso.offset);
    }
    for (const [i, r] of dataRegions(content).entries()) {
      const data = seededBytes(`${content.seed}:region${i}`, r.length);
      await fh.write(data, 0, data.length, r.offset);
    }
  } finally {
    await fh.close();
  }
}

function run(cmd: string, args: string[], stdoutFile?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', stdoutFile ? 'pipe' : 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    let out: ReturnType<typeof createWriteStream> | undefined;
    let outDone: Promise<void> = Promise.resolve();
    if (stdoutFile) {
      out = createWriteStream(stdoutFile);
      child.stdout!.pipe(out);
      outDone = new Promise((r, j) => {
        out!.on('finish', r);
        out!.on('error', j);
      });
    }
    child.on('error', reject);
    child.on('close', (code, sig) => {
      outDone.then(
        () => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code ?? sig}: ${err.trim()}`))),
        reject,
      );
    });
  });
}

/** One process at a time: the machine's cores are shared. */
class Gate {
  private tail: Promise<void> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.tail.then(fn, fn);
    this.tail = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
  }
}

export class DiskImageFactory {
  private readonly inflight = new Map<string, Promise<string>>();
  private readonly gate = new Gate();

  constructor(private readonly opts: DiskImageOptions) {}

  private key(content: DiskContent): string {
    const c = { v: FORMAT_VERSION, seed: content.seed, arch: content.arch, size: roundedSize(content.sizeBytes), iso: Boolean(content.iso), vol: content.volumeId ?? null };
    return createHash('sha256').update(JSON.stringify(c)).digest('hex').slice(0, 24);
  }

  /**
   * Path of the cached file holding `content` in `format` (made on first use). An abort stops
   * the wait, not the making: another build may want the same file, and the cache keeps it.
   */
  get(content: DiskContent, format: ImageFormat, signal?: AbortSignal): Promise<string> {
    const dest = join(this.opts.cacheDir, `${this.key(content)}.${format}`);
    let p = this.inflight.get(dest);
    if (!p) {
      p = this.make(content, format, dest).finally(() => this.inflight.delete(dest));
      this.inflight.set(dest, p);
    }
    if (!signal) return p;
    signal.throwIfAborted();
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason as Error);
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  private async make(content: DiskContent, format: ImageFormat, dest: string): Promise<string> {
    if (await exists(dest)) return dest;
    await mkdir(this.opts.cacheDir, { recursive: true });
    const raw = format === 'raw' || format === 'iso' || format === 'oci.tar.xz' ? undefined : await this.get({ ...content, iso: false }, 'raw');
    const out = { seed: content.seed, arch: content.arch, sizeBytes: roundedSize(content.sizeBytes), volumeId: content.volumeId };
    const tmp = `${dest}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const xz = ['-T1', `-${this.opts.xzPreset ?? 0}`, '-c'];
    try {
      await this.gate.run(async () => {
        switch (format) {
          case 'raw':
            await writeRawDisk(tmp, content);
            break;
          case 'iso':
            await writeLiveIso(run, tmp, out);
            break;
          case 'vagrant.libvirt.box':
            await writeVagrantBox(run, tmp, 'libvirt', raw!, out);
            break;
          case 'vagrant.virtualbox.box':
            await writeVagrantBox(run, tmp, 'virtualbox', raw!, out);
            break;
          case 'oci.tar.xz':
            await writeOciArchive(run, tmp, out, xz);
            break;
          case 'raw.xz':
            await run('xz', [...xz, raw!], tmp);
            break;
          case 'qcow2':
            await run('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'qcow2', ...(this.opts.qcow2Compress ? ['-c'] : []), raw!, tmp]);
            break;
          case 'vmdk':
            await run('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'vmdk', raw!, tmp]);
            break;
          case 'vhd':
            await run('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'vpc', raw!, tmp]);
            break;
          case 'vhdfixed.xz': {
            const vhd = `${tmp}.vhd`;
            try {
              await run('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=fixed,force_size=on', raw!, vhd]);
              await run('xz', [...xz, vhd], tmp);
            } finally {
              await rm(vhd, { force: true });
            }
            break;
          }
          case 'tar.gz': {
            // GCE wants a sparse tar of a file called disk.raw.
            const dir = await mkdtemp(`${dest}.d-`);
            try {
              await link(raw!, join(dir, 'disk.raw'));
              await run('tar', ['--sparse', '--format=oldgnu', '-czf', tmp, '-C', dir, 'disk.raw']);
            } finally {
              await rm(dir, { recursive: true, force: true });
            }
            break;
          }
        }
      });
      await rename(tmp, dest);
      return dest;
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
