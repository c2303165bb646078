// Stopping the stage: an abort kills the tools (their whole process groups) and removes every
// partial file; a full disk (a real small tmpfs) fails with DiskFullError and removes them too.
import { mkdir, readdir, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareArtifacts } from '../../../clients/images/artifacts';
import type { ArtifactProgress, PrepareArtifactsOptions } from '../../../clients/images/artifacts';
import { DiskFullError } from '../../../clients/images/errors';
import { smallImageSpec, writeDiskImage } from './disk-image';
import { childProcesses, isAlive, makeTmp, mountTmpfs, mustSh, noTmpfs, removeTmp } from './helpers';
import type { ChildProc } from './helpers';

const MiB = 1 << 20;
let root: string;

beforeAll(async () => {
  root = await makeTmp('abort');
});

afterAll(async () => {
  await removeTmp(root);
});

/** Start the stage and abort it when `when` first says so; returns what was running then. */
async function abortWhen(
  options: Omit<PrepareArtifactsOptions, 'signal' | 'onProgress'>,
  when: (p: ArtifactProgress) => boolean,
): Promise<{ error: unknown; running: ChildProc[]; reason: Error; afterAbortMs: number }> {
  const ac = new AbortController();
  const reason = new Error('operator cancelled');
  let running: ChildProc[] = [];
  let abortedAt = 0;
  let triggered = false;
  const error = await prepareArtifacts({
    ...options,
    progressIntervalMs: 0,
    signal: ac.signal,
    onProgress: (p) => {
      if (triggered || !when(p)) return;
      triggered = true;
      // let the tools get going, then look at them and pull the plug
      setTimeout(() => {
        void childProcesses().then((procs) => {
          running = procs;
          abortedAt = Date.now();
          ac.abort(reason);
        });
      }, 300);
    },
  }).then(
    () => undefined,
    (err: unknown) => err,
  );
  return { error, running, reason, afterAbortMs: Date.now() - abortedAt };
}

describe('abort', () => {
  it('while converting: kills qemu-img, tar and xz and leaves no file behind', async () => {
    const src = join(root, 'busy.raw');
    await writeDiskImage(src, {
      size: 256 * MiB,
      // more data than xz takes in ahead of compressing (a few 24 MiB blocks), so tar is still
      // reading when the abort comes
      regions: [
        { offset: 1 * MiB, length: 96 * MiB, kind: 'random' },
        { offset: 128 * MiB, length: 64 * MiB, kind: 'text' },
      ],
    });
    const outDir = join(root, 'out-convert');
    const r = await abortWhen({ sourcePath: src, outDir, baseName: 'Busy', outputs: ['qcow2', 'raw.tar.xz'], maxImageBytes: 1 << 30, xzThreads: 2 }, (p) => p.phase === 'convert');
    expect(r.error).toBe(r.reason);
    expect(r.running.map((p) => p.comm).sort()).toEqual(['qemu-img', 'tar', 'xz']);
    for (const p of r.running) expect(isAlive(p.pid), `${p.comm} ${p.pid} still running`).toBe(false);
    expect(await childProcesses()).toEqual([]);
    expect(await readdir(outDir, { recursive: true })).toEqual([]);
    expect(r.afterAbortMs).toBeLessThan(5000);
  });

  it('while decompressing an xz: kills xz and removes the partial raw', async () => {
    const raw = join(root, 'long.raw');
    await writeDiskImage(raw, { size: 512 * MiB, regions: [{ offset: 1 * MiB, length: 2 * MiB, kind: 'text' }] });
    const src = join(root, 'long.raw.xz');
    await mustSh('sh', ['-c', `xz -0 -T2 -c "${raw}" > "${src}"`]);
    const outDir = join(root, 'out-raw');
    const r = await abortWhen({ sourcePath: src, outDir, baseName: 'Long', outputs: ['qcow2'], maxImageBytes: 1 << 30, xzThreads: 1 }, (p) => p.phase === 'raw' && p.rawBytes > 0);
    expect(r.error).toBe(r.reason);
    if (r.running.length > 0) {
      // (on a fast machine xz may have finished within the 300 ms; then qemu-img is the one)
      for (const p of r.running) expect(isAlive(p.pid)).toBe(false);
    }
    expect(await childProcesses()).toEqual([]);
    expect(await readdir(outDir, { recursive: true })).toEqual([]);
  });

  it('before starting: nothing happens', async () => {
    const ac = new AbortController();
    ac.abort(new Error('too late'));
    const err = await prepareArtifacts({ sourcePath: join(root, 'x.raw'), outDir: join(root, 'never'), baseName: 'X', outputs: [], maxImageBytes: 1, signal: ac.signal }).catch((e: Error) => e);
    expect((err as Error).message).toBe('too late');
    expect(await readdir(root)).not.toContain('never');
  });
});

describe('disk full (a small tmpfs as the staging area)', () => {
  // Mounted in a hook, not while collecting, so a filtered run (-t) never leaves a mount behind.
  let mnt = '';
  let srcDir = '';
  let src = '';
  let unmount: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    mnt = await makeTmp('full');
    unmount = await mountTmpfs(mnt, '7m');
    srcDir = await makeTmp('full-src');
    src = join(srcDir, 'disk.raw');
    await writeDiskImage(src, smallImageSpec(11));
  });

  afterAll(async () => {
    await unmount?.();
    await removeTmp(mnt);
    await removeTmp(srcDir);
  });

  async function fill(sub: string, outputs: PrepareArtifactsOptions['outputs'], squat: number) {
    const outDir = join(mnt, sub);
    await mkdir(outDir);
    // Take space so that the run fails where wanted, then give it back.
    const squatFile = join(mnt, `${sub}.squat`);
    if (squat > 0) await mustSh('fallocate', ['-l', String(squat), squatFile]);
    const err = await prepareArtifacts({ sourcePath: src, outDir, baseName: 'Full', outputs, maxImageBytes: 1 << 30, xzThreads: 1 }).catch((e: Error) => e);
    await mustSh('rm', ['-f', squatFile]);
    return { err, outDir };
  }

  it('while writing the raw: DiskFullError, nothing left', async (ctx) => {
    if (!unmount) return noTmpfs(ctx);
    const { err, outDir } = await fill('a', ['qcow2', 'raw.tar.xz'], 4 * MiB);
    expect(err).toBeInstanceOf(DiskFullError);
    expect((err as Error).message).toMatch(/^No space left on the staging file system at .* while writing the raw image/);
    expect((err as Error).message).toContain('Free space there or run the stage on a host with more room');
    expect(await readdir(outDir, { recursive: true })).toEqual([]);
  });

  it('while qemu-img and xz write their outputs: DiskFullError, the finished raw is removed too', async (ctx) => {
    if (!unmount) return noTmpfs(ctx);
    const { err, outDir } = await fill('b', ['qcow2', 'raw.tar.xz'], 0);
    expect(err).toBeInstanceOf(DiskFullError);
    expect((err as Error).message).toContain('No space left');
    expect(await readdir(outDir, { recursive: true })).toEqual([]);
    expect(await childProcesses()).toEqual([]);
    const fs = await statfs(mnt);
    expect((fs.blocks - fs.bfree) * fs.bsize).toBeLessThan(64 * 1024);
  });
});
