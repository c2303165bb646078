// The directory backend through publishImageSet, on a real temporary directory.
import { spawn, spawnSync } from 'node:child_process';
import { watch } from 'node:fs';
import { mkdir, readFile, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BadFileNameError,
  DownloadConflictError,
  SourceMismatchError,
  createDirectoryTarget,
  publishImageSet,
  type DownloadTarget,
  type PublishProgress,
} from '../../../clients/downloads';
import { partialName } from '../../../clients/downloads/partial-files';
import { MiB, randomContent, sha256Hex, stageChecksum, stageFile, stageSmallSet, tempDir } from './staged-files';

const LAYOUT = '{release}/{family}/{arch}/images/{file}';
const IMAGES = '44/Cloud/x86_64/images';

let staging: Awaited<ReturnType<typeof tempDir>>;
let pub: Awaited<ReturnType<typeof tempDir>>;
let target: DownloadTarget;

beforeEach(async () => {
  staging = await tempDir('dl-staging');
  pub = await tempDir('dl-pub');
  target = createDirectoryTarget({ root: pub.dir, layout: LAYOUT, publicUrl: 'https://dl.example.org/pub/' });
});
afterEach(async () => {
  await staging.cleanup();
  await pub.cleanup();
});

const listImages = () => readdir(join(pub.dir, IMAGES)).catch(() => [] as string[]);

describe('directory download target', () => {
  it('publishes a set under the layout, with URLs, and leaves no temporary files', async () => {
    const set = await stageSmallSet(staging.dir);
    const progress: PublishProgress[] = [];
    const result = await publishImageSet(target, set, { onProgress: (p) => progress.push(p) });

    expect(result.map((f) => [f.key, f.state])).toEqual([
      [`${IMAGES}/Fedora-Cloud-Base-Generic-44-1.7.x86_64.qcow2`, 'uploaded'],
      [`${IMAGES}/Fedora-Cloud-Base-Generic-44-1.7.x86_64.raw.tar.xz`, 'uploaded'],
      [`${IMAGES}/Fedora-Cloud-44-1.7-x86_64-CHECKSUM`, 'uploaded'],
    ]);
    expect(result[0]?.url).toBe(`https://dl.example.org/pub/${IMAGES}/Fedora-Cloud-Base-Generic-44-1.7.x86_64.qcow2`);
    for (const f of [...set.files, set.checksumFile]) {
      const published = await readFile(join(pub.dir, IMAGES, f.name));
      expect(sha256Hex(published)).toBe(f.sha256);
      expect((await stat(join(pub.dir, IMAGES, f.name))).mode & 0o777).toBe(0o644 & ~process.umask());
    }
    expect((await listImages()).sort()).toEqual([...set.files, set.checksumFile].map((f) => f.name).sort());
    // The last report names every key as written, which is what a retry would resume from.
    expect(progress.at(-1)?.resume.uploaded).toEqual(result.map((f) => f.key));
  });

  it('writes each file under a temporary name and renames it, and the CHECKSUM file appears last', async () => {
    const big = await stageFile(staging.dir, 'Fedora-Cloud-Base-Generic-44-1.7.x86_64.qcow2', randomContent(24 * MiB));
    const small = await stageFile(staging.dir, 'Fedora-Cloud-Base-Generic-44-1.7.x86_64.raw.tar.xz', randomContent(3 * MiB));
    const checksumFile = await stageChecksum(staging.dir, 'Fedora-Cloud-44-1.7-x86_64-CHECKSUM', [big, small]);
    const sizes = new Map([big, small, checksumFile].map((f) => [f.name, f.size]));
    const dir = join(pub.dir, IMAGES);
    await mkdir(dir, { recursive: true });

    const appeared: string[] = [];
    const temporary = new Set<string>();
    const partialSightings: string[] = [];
    const watcher = watch(dir, (_event, name) => {
      if (!name) return;
      if (name.startsWith('.')) {
        temporary.add(name);
        return;
      }
      if (!appeared.includes(name)) appeared.push(name);
      // Whenever a published name is visible at all, it must be whole.
      stat(join(dir, name)).then(
        (st) => st.size !== sizes.get(name) && partialSightings.push(`${name}: ${st.size}`),
        () => undefined,
      );
    });
    try {
      await publishImageSet(target, { release: '44', family: 'Cloud', arch: 'x86_64', files: [big, small], checksumFile });
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      watcher.close();
    }
    expect(appeared).toEqual([big.name, small.name, checksumFile.name]);
    expect(partialSightings).toEqual([]);
    expect([...temporary].every((t) => /^\..+\.[0-9a-f]{12}-\d+-[0-9a-f]{12}\.partial$/.test(t))).toBe(true);
    expect(temporary.size).toBe(3);
    expect((await readdir(dir)).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('writes no CHECKSUM file when an image fails, and leaves no temporary file behind', async () => {
    const set = await stageSmallSet(staging.dir);
    // The second image's recorded sha256 is not what is on disk: the backend finds out while
    // copying it, after the first image is already published.
    const broken = { ...set, files: [set.files[0]!, { ...set.files[1]!, sha256: sha256Hex('something else') }] };
    await expect(publishImageSet(target, broken)).rejects.toThrow(SourceMismatchError);
    expect(await listImages()).toEqual([set.files[0]!.name]);

    // Fixed, the same publication completes: the first image is unchanged, the rest go up.
    const result = await publishImageSet(target, set);
    expect(result.map((f) => f.state)).toEqual(['unchanged', 'uploaded', 'uploaded']);
  });

  it('removes what a killed writer left, and keeps what a live writer is still writing', async () => {
    const set = await stageSmallSet(staging.dir);
    const dir = join(pub.dir, IMAGES);
    await mkdir(dir, { recursive: true });
    const qcow2 = set.files[0]!.name;
    // The real tags of this host: one from a writer that has exited, one from a writer that runs.
    const ours = partialName(qcow2).split('.').at(-2)!;
    const hostTag = ours.split('-')[0]!;
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      const leftovers = {
        killed: `.${qcow2}.${hostTag}-${dead}-0123456789ab.partial`,
        running: `.${qcow2}.${hostTag}-${live.pid}-0123456789ab.partial`,
        otherHostFresh: `.${qcow2}.aaaaaaaaaaaa-1-0123456789ab.partial`,
        otherHostOld: `.${qcow2}.bbbbbbbbbbbb-1-0123456789ab.partial`,
        untaggedOld: `.${qcow2}.0123456789ab.partial`,
        otherFile: `.Fedora-Other.qcow2.${hostTag}-${dead}-0123456789ab.partial`,
      };
      for (const name of Object.values(leftovers)) await writeFile(join(dir, name), 'half an image');
      const dayAgo = new Date(Date.now() - 24 * 3600_000);
      await utimes(join(dir, leftovers.otherHostOld), dayAgo, dayAgo);
      await utimes(join(dir, leftovers.untaggedOld), dayAgo, dayAgo);

      await publishImageSet(target, set);

      const hidden = (await listImages()).filter((n) => n.startsWith('.')).sort();
      expect(hidden).toEqual([leftovers.otherFile, leftovers.otherHostFresh, leftovers.running].sort());
    } finally {
      live.kill();
    }
  });

  it('writes nothing at all when cancelled during a copy', async () => {
    const big = await stageFile(staging.dir, 'big.qcow2', randomContent(32 * MiB));
    const checksumFile = await stageChecksum(staging.dir, 'CHECKSUM', [big]);
    const controller = new AbortController();
    const run = publishImageSet(
      target,
      { release: '44', family: 'Cloud', arch: 'x86_64', files: [big], checksumFile },
      { signal: controller.signal, onProgress: (p) => p.phase === 'upload' && p.bytesDone > 0 && controller.abort(new Error('cancelled by test')) },
    );
    await expect(run).rejects.toThrow('cancelled by test');
    expect(await listImages()).toEqual([]);
  });

  it('re-publishing the same files writes nothing and reports them unchanged', async () => {
    const set = await stageSmallSet(staging.dir);
    await publishImageSet(target, set);
    const before = await Promise.all([...set.files, set.checksumFile].map((f) => stat(join(pub.dir, IMAGES, f.name))));

    const again = await publishImageSet(target, set);
    expect(again.map((f) => f.state)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    const after = await Promise.all([...set.files, set.checksumFile].map((f) => stat(join(pub.dir, IMAGES, f.name))));
    expect(after.map((s) => [s.ino, s.mtimeMs])).toEqual(before.map((s) => [s.ino, s.mtimeMs]));
  });

  it('reports files an earlier attempt wrote as uploaded', async () => {
    const set = await stageSmallSet(staging.dir);
    const first = await publishImageSet(target, set);
    const result = await publishImageSet(target, set, { resume: { uploaded: [first[0]!.key] } });
    expect(result.map((f) => f.state)).toEqual(['uploaded', 'unchanged', 'unchanged']);
  });

  it('refuses different content under a published name and writes nothing of the set', async () => {
    const set = await stageSmallSet(staging.dir);
    // An older build's raw.tar.xz, same name, other bytes, already published.
    const dir = join(pub.dir, IMAGES);
    await mkdir(dir, { recursive: true });
    const old = randomContent(set.files[1]!.size);
    await writeFile(join(dir, set.files[1]!.name), old);

    const err = await publishImageSet(target, set).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadConflictError);
    expect((err as DownloadConflictError).conflicts).toEqual([
      { key: `${IMAGES}/${set.files[1]!.name}`, detail: expect.stringContaining('sha256') },
    ]);
    expect((err as Error).message).toContain('not overwriting');
    // Checked before writing: not even the first image went up, and the old file is intact.
    expect(await listImages()).toEqual([set.files[1]!.name]);
    expect(sha256Hex(await readFile(join(dir, set.files[1]!.name)))).toBe(sha256Hex(old));
  });

  it('tells a size difference without hashing', async () => {
    const set = await stageSmallSet(staging.dir);
    await mkdir(join(pub.dir, IMAGES), { recursive: true });
    await writeFile(join(pub.dir, IMAGES, set.checksumFile.name), 'short');
    await expect(publishImageSet(target, set)).rejects.toThrow(/CHECKSUM \(5 bytes, this file has \d+\)/);
  });

  it.each(['../escape.qcow2', 'sub/dir.qcow2', 'new\nline.qcow2', '.hidden'])('refuses the file name %j before writing anything', async (name) => {
    const set = await stageSmallSet(staging.dir);
    const bad = { ...set, files: [set.files[0]!, { ...set.files[1]!, name }] };
    await expect(publishImageSet(target, bad)).rejects.toThrow(BadFileNameError);
    expect(await readdir(pub.dir)).toEqual([]);
  });

  it('refuses a bad release and a name given twice', async () => {
    const set = await stageSmallSet(staging.dir);
    await expect(publishImageSet(target, { ...set, release: '..' })).rejects.toThrow(BadFileNameError);
    await expect(publishImageSet(target, { ...set, files: [set.files[0]!, set.files[0]!] })).rejects.toThrow('appears twice');
    expect(await readdir(pub.dir)).toEqual([]);
  });

  it('refuses a staged file whose size is not the recorded one', async () => {
    const set = await stageSmallSet(staging.dir);
    const wrong = { ...set, files: [{ ...set.files[0]!, size: set.files[0]!.size + 1 }, set.files[1]!] };
    await expect(publishImageSet(target, wrong)).rejects.toThrow(SourceMismatchError);
    expect(await listImages()).toEqual([]);
  });
});
