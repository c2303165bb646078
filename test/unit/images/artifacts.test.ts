// The artifact stage end to end with the real tools (qemu-img, xz, GNU tar, sha256sum) on small
// generated disks: what comes out must round-trip to the source byte for byte, stay sparse,
// carry the right hashes and sizes, and pass the tools' own checks.
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareArtifacts } from '../../../clients/images/artifacts';
import type { ArtifactProgress, PreparedArtifacts } from '../../../clients/images/artifacts';
import { writeDiskImage, smallImageSpec } from './disk-image';
import { allocatedBytes, listAll, makeTmp, mustSh, removeTmp, sameBytes, sh, sha256sum } from './helpers';

const MiB = 1 << 20;
const BASE = 'Fedora-Cloud-Base-Test-44-1.0.x86_64';

let root: string;
let rawSource: string;
let xzSource: string;
let qcow2Source: string;
let sourceSha: string;
let dataBytes: number;

beforeAll(async () => {
  root = await makeTmp('artifacts');
  const src = join(root, 'src');
  await mkdir(src);
  rawSource = join(src, 'disk.raw');
  dataBytes = await writeDiskImage(rawSource, smallImageSpec());
  xzSource = join(src, 'disk.raw.xz');
  await mustSh('sh', ['-c', `xz -T0 -c "${rawSource}" > "${xzSource}"`]);
  qcow2Source = join(src, 'disk.qcow2');
  await mustSh('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', rawSource, qcow2Source]);
  sourceSha = await sha256sum(rawSource);
});

afterAll(async () => {
  await removeTmp(root);
});

async function run(source: string, outDir: string, extra: Partial<Parameters<typeof prepareArtifacts>[0]> = {}): Promise<PreparedArtifacts> {
  return prepareArtifacts({
    sourcePath: source,
    outDir,
    baseName: BASE,
    outputs: ['qcow2', 'raw.tar.xz'],
    maxImageBytes: 1 << 30,
    qemuParallelism: 4,
    xzThreads: 2,
    ...extra,
  });
}

describe.each([
  ['raw', () => rawSource],
  ['raw.xz', () => xzSource],
  ['qcow2', () => qcow2Source],
])('from a %s source', (format, source) => {
  let out: string;
  let result: PreparedArtifacts;
  const progress: ArtifactProgress[] = [];

  beforeAll(async () => {
    out = join(root, `out-${format}`);
    result = await run(source(), out, { progressIntervalMs: 0, onProgress: (p) => progress.push(p) });
  });

  it('detects the format from the content and reports progress through every phase', () => {
    expect(result.source.format).toBe(format);
    expect(result.source.virtualSize).toBe(64 * MiB);
    const phases = [...new Set(progress.map((p) => p.phase))];
    expect(phases).toEqual(['inspect', 'raw', 'convert', 'checksum', 'done']);
    const last = progress.at(-1);
    expect(last?.raw).toEqual({ size: result.raw.size, sha256: result.raw.sha256 });
    expect(last?.qcow2).toBe(1);
    expect(last?.rawTarXz).toBe(1);
  });

  it('writes the raw sparse, byte for byte equal to the source disk', async () => {
    expect(result.raw.path).toBe(join(out, `${BASE}.raw`));
    expect(await sameBytes(result.raw.path, rawSource)).toBe(true);
    expect(result.raw.sha256).toBe(sourceSha);
    const allocated = await allocatedBytes(result.raw.path);
    expect(result.rawAllocatedBytes).toBe(allocated);
    // the written zeros (1 MiB) became holes too; only real data is allocated
    expect(allocated).toBeLessThanOrEqual(dataBytes - 1 * MiB + 64 * 1024);
    expect(allocated).toBeGreaterThanOrEqual(dataBytes - 1 * MiB - 4096);
    expect(allocated).toBeLessThan((64 * MiB) / 8);
  });

  it('reports sizes and sha256s that match stat and sha256sum', async () => {
    for (const f of [result.raw, result.qcow2, result.rawTarXz, result.checksumFile]) {
      expect(f).toBeDefined();
      if (!f) continue;
      expect(f.path).toBe(join(out, f.name));
      expect((await stat(f.path)).size).toBe(f.size);
      expect(await sha256sum(f.path)).toBe(f.sha256);
    }
  });

  it('makes a clean, compressed qcow2 that converts back to the source', async () => {
    const qcow2 = result.qcow2?.path ?? '';
    expect(result.qcow2?.name).toBe(`${BASE}.qcow2`);
    expect((await sh('qemu-img', ['check', '-f', 'qcow2', qcow2])).code).toBe(0);
    const info = JSON.parse(await mustSh('qemu-img', ['info', '-f', 'qcow2', '--output=json', qcow2])) as Record<string, unknown>;
    expect(info.format).toBe('qcow2');
    expect(info['virtual-size']).toBe(64 * MiB);
    const check = JSON.parse((await sh('qemu-img', ['check', '-f', 'qcow2', '--output=json', qcow2])).stdout) as Record<string, number>;
    expect(check['compressed-clusters']).toBeGreaterThan(0);
    const back = join(root, `back-${format}.raw`);
    await mustSh('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', qcow2, back]);
    expect(await sameBytes(back, rawSource)).toBe(true);
  });

  it('makes a raw.tar.xz whose single sparse member extracts (GNU tar) to the source', async () => {
    const tarXz = result.rawTarXz?.path ?? '';
    expect(result.rawTarXz?.name).toBe(`${BASE}.raw.tar.xz`);
    const listing = (await mustSh('tar', ['--list', '--verbose', '--file', tarXz])).trim().split('\n');
    expect(listing).toHaveLength(1);
    expect(listing[0]).toMatch(new RegExp(`^-rw-r--r-- \\S+\\s+${64 * MiB} .* ${BASE}\\.raw$`));
    // stored sparse: the uncompressed tar is about the data, not the 64 MiB disk
    const tarBytes = Number((await mustSh('sh', ['-c', `xz -dc "${tarXz}" | wc -c`])).trim());
    expect(tarBytes).toBeLessThan(dataBytes + 1 * MiB);
    const x = join(root, `x-${format}`);
    await mkdir(x);
    await mustSh('tar', ['--extract', '--sparse', '--file', tarXz, '--directory', x]);
    const extracted = join(x, `${BASE}.raw`);
    expect(await sameBytes(extracted, rawSource)).toBe(true);
    expect(await allocatedBytes(extracted)).toBeLessThan((64 * MiB) / 8);
  });

  it('writes a Fedora-style CHECKSUM that sha256sum -c verifies', async () => {
    const text = await readFile(result.checksumFile.path, 'utf8');
    expect(result.checksumFile.name).toBe(`${BASE}-CHECKSUM`);
    const q = result.qcow2;
    const t = result.rawTarXz;
    expect(text).toBe(
      `# ${q?.name}: ${q?.size} bytes\nSHA256 (${q?.name}) = ${q?.sha256}\n` + `# ${t?.name}: ${t?.size} bytes\nSHA256 (${t?.name}) = ${t?.sha256}\n`,
    );
    const verify = await sh('sha256sum', ['--check', '--strict', result.checksumFile.name], { cwd: out });
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain(`${BASE}.qcow2: OK`);
    expect(verify.stdout).toContain(`${BASE}.raw.tar.xz: OK`);
  });

  it('leaves only the finished files (no temporary names)', async () => {
    expect(await listAll(out)).toEqual(['.artifacts.json', `${BASE}-CHECKSUM`, `${BASE}.qcow2`, `${BASE}.raw`, `${BASE}.raw.tar.xz`].sort());
  });
});

describe('re-running', () => {
  it('returns the finished set as it is, and makes byte-identical outputs when it starts over', async () => {
    const out = join(root, 'rerun');
    const first = await run(rawSource, out);
    const inode = (await stat(first.qcow2?.path ?? '')).ino;
    const again = await run(rawSource, out);
    expect(again.reused).toBe('all');
    expect(again.qcow2).toEqual(first.qcow2);
    expect((await stat(again.qcow2?.path ?? '')).ino).toBe(inode);

    const other = await run(rawSource, join(root, 'rerun-2'));
    expect(other.reused).toBe('none');
    expect(other.rawTarXz?.sha256).toBe(first.rawTarXz?.sha256);
    expect(other.qcow2?.sha256).toBe(first.qcow2?.sha256);
    expect(other.checksumFile.sha256).toBe(first.checksumFile.sha256);
  });

  it('reuses the raw an earlier attempt finished only when its sha256 still matches', async () => {
    const out = join(root, 'resume');
    const first = await run(xzSource, out, { outputs: ['qcow2'] });
    await writeFile(join(out, '.artifacts.json'), '{}'); // as if the attempt died before finishing
    const ino = (await stat(first.raw.path)).ino;
    const resumed = await run(xzSource, out, { outputs: ['qcow2'], resumeRaw: { size: first.raw.size, sha256: first.raw.sha256 } });
    expect(resumed.reused).toBe('raw');
    expect((await stat(resumed.raw.path)).ino).toBe(ino);
    expect(resumed.qcow2?.sha256).toBe(first.qcow2?.sha256);

    await writeFile(join(out, '.artifacts.json'), '{}');
    const wrong = await run(xzSource, out, { outputs: ['qcow2'], resumeRaw: { size: first.raw.size, sha256: '0'.repeat(64) } });
    expect(wrong.reused).toBe('none');
    expect(wrong.raw.sha256).toBe(sourceSha);
  });
});

describe('outputs', () => {
  it('makes only what is asked; CHECKSUM lists the published files', async () => {
    const out = join(root, 'only-tar');
    const r = await run(rawSource, out, { outputs: ['raw.tar.xz'] });
    expect(r.qcow2).toBeUndefined();
    expect(r.rawTarXz).toBeDefined();
    expect(await readdir(out)).not.toContain(`${BASE}.qcow2`);
    const text = await readFile(r.checksumFile.path, 'utf8');
    expect(text).toContain(`SHA256 (${BASE}.raw.tar.xz) = ${r.rawTarXz?.sha256}`);
    expect(text).not.toContain('.raw)');

    const rawOnly = await run(rawSource, join(root, 'raw-only'), { outputs: [] });
    expect(await readFile(rawOnly.checksumFile.path, 'utf8')).toBe(`# ${BASE}.raw: ${64 * MiB} bytes\nSHA256 (${BASE}.raw) = ${sourceSha}\n`);
  });

  it('removes outputs of an earlier run that are no longer asked for', async () => {
    const out = join(root, 'fewer');
    await run(rawSource, out, { outputs: ['qcow2', 'raw.tar.xz'] });
    const r = await run(rawSource, out, { outputs: ['raw.tar.xz'] });
    expect(r.reused).toBe('none');
    expect(await listAll(out)).toEqual(['.artifacts.json', `${BASE}-CHECKSUM`, `${BASE}.raw`, `${BASE}.raw.tar.xz`].sort());
  });

  it('stores a member whose name is longer than a tar header holds (GNU long name) as sparse', async () => {
    const long = `Fedora-Cloud-Base-${'Long'.repeat(25)}-44-1.0.x86_64`;
    const r = await prepareArtifacts({ sourcePath: rawSource, outDir: join(root, 'long'), baseName: long, outputs: ['raw.tar.xz'], maxImageBytes: 1 << 30, xzThreads: 2 });
    expect(r.rawTarXz?.name).toBe(`${long}.raw.tar.xz`);
    const listing = (await mustSh('tar', ['--list', '--verbose', '--file', r.rawTarXz?.path ?? ''])).trim();
    expect(listing.endsWith(` ${long}.raw`)).toBe(true);
  });
});
