// The activities over the image client, in Temporal's mock activity environment: heartbeats with
// progress and resume details, cancellation, failure types and retryability, cleanup.
import { copyFile, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArtifactActivities } from '../../../activities/artifacts';
import { stagingFolder } from '../../../activities/staging-paths';
import type { ArtifactActivities, ArtifactHeartbeat, PrepareArtifactsInput, PreparedArtifactsResult } from '../../../activities/artifacts';
import { smallImageSpec, writeDiskImage } from './disk-image';
import { childProcesses, makeTmp, mountTmpfs, mustSh, noTmpfs, removeTmp, sha256sum } from './helpers';
import { failureOf } from '../../helpers/failure-of';

const MiB = 1 << 20;
let root: string;
let staging: string;
let source: string;

beforeAll(async () => {
  root = await makeTmp('activity');
  staging = join(root, 'staging');
  const raw = join(root, 'disk.raw');
  await writeDiskImage(raw, smallImageSpec(5));
  source = join(root, 'Fedora-Cloud-Base-AmazonEC2-44-1.7.x86_64.raw.xz');
  await mustSh('sh', ['-c', `xz -T0 -c "${raw}" > "${source}"`]);
});

afterAll(async () => {
  await removeTmp(root);
});

// The mock environment logs every failed attempt at WARN; these failures are the point here.
const mockEnv = (info: ConstructorParameters<typeof MockActivityEnvironment>[0] = {}) => new MockActivityEnvironment(info, { logger: new DefaultLogger('ERROR') });
const input = (i: PrepareArtifactsInput): PrepareArtifactsInput => i;
/** env.run cannot infer the result type from the activity; say it once here. */
const prepare = (env: MockActivityEnvironment, acts: ArtifactActivities, i: PrepareArtifactsInput) =>
  env.run(acts.prepareArtifacts, i) as Promise<PreparedArtifactsResult>;
const deps = () => ({ stagingDir: staging, maxImageBytes: 1 << 30, qemuParallelism: 4, xzThreads: 1 });

describe('prepareArtifacts', () => {
  it('returns the facts of files staged in the image\'s staging folder, heartbeating progress', async () => {
    const env = mockEnv();
    const beats: ArtifactHeartbeat[] = [];
    env.on('heartbeat', (d: ArtifactHeartbeat) => beats.push(d));
    const acts = createArtifactActivities(deps());
    const r = await prepare(env, acts, input({ imageId: 'task-1.x86_64', sourcePath: source, baseName: 'Fedora-Cloud-Base-AmazonEC2-44-1.7.x86_64', outputs: ['qcow2', 'raw.tar.xz'] }));

    const dir = join(stagingFolder(staging, 'task-1.x86_64'), 'artifacts');
    expect(Object.keys(r).sort()).toEqual(['checksumFile', 'qcow2', 'raw', 'rawTarXz']);
    expect(r.raw).toEqual({ path: join(dir, 'Fedora-Cloud-Base-AmazonEC2-44-1.7.x86_64.raw'), name: 'Fedora-Cloud-Base-AmazonEC2-44-1.7.x86_64.raw', size: 64 * MiB, sha256: r.raw.sha256 });
    for (const f of [r.raw, r.qcow2, r.rawTarXz, r.checksumFile]) {
      if (!f) throw new Error('missing file facts');
      expect(f.path.startsWith(`${dir}/`)).toBe(true);
      expect(await sha256sum(f.path)).toBe(f.sha256);
    }
    expect(beats.length).toBeGreaterThan(2);
    expect(beats.every((b) => b.imageId === 'task-1.x86_64')).toBe(true);
    expect(beats.map((b) => b.phase)).toContain('convert');
    expect(beats.at(-1)?.raw).toEqual({ size: r.raw.size, sha256: r.raw.sha256 });
  });

  it('reuses the raw named in the previous attempt\'s heartbeat', async () => {
    const acts = createArtifactActivities(deps());
    const resumeInput = input({ imageId: 'resume', sourcePath: source, baseName: 'R', outputs: ['qcow2'] });
    const first = await prepare(mockEnv(), acts, resumeInput);
    await writeFile(join(stagingFolder(staging, 'resume'), 'artifacts', '.artifacts.json'), '{}'); // the attempt "died" before finishing
    const ino = (await stat(first.raw.path)).ino;
    const retry = mockEnv({ attempt: 2, heartbeatDetails: { imageId: 'resume', phase: 'convert', rawBytes: 0, rawTotal: 0, raw: { size: first.raw.size, sha256: first.raw.sha256 } } });
    const second = await prepare(retry, acts, resumeInput);
    expect(second.raw).toEqual(first.raw);
    expect((await stat(second.raw.path)).ino).toBe(ino);
  });

  it('final errors are non-retryable ApplicationFailures typed by the error name', async () => {
    const fake = join(root, 'fake.qcow2');
    await copyFile(join(root, 'disk.raw'), fake);
    const acts = createArtifactActivities(deps());
    const f1 = await failureOf(prepare(mockEnv(), acts, input({ imageId: 'bad', sourcePath: fake, baseName: 'B', outputs: ['qcow2'] })));
    expect(f1.type).toBe('ImageFormatError');
    expect(f1.nonRetryable).toBe(true);
    expect(f1.message).toContain('fake.qcow2 is named like a qcow2 image');

    const small = createArtifactActivities({ ...deps(), maxImageBytes: 16 * MiB });
    const f2 = await failureOf(prepare(mockEnv(), small, input({ imageId: 'big', sourcePath: source, baseName: 'B', outputs: ['qcow2'] })));
    expect(f2.type).toBe('ImageTooLargeError');
    expect(f2.nonRetryable).toBe(true);

    const f3 = await failureOf(prepare(mockEnv(), acts, input({ imageId: 'wf-1/x86_64', sourcePath: source, baseName: '../B', outputs: [] })));
    expect(f3.type).toBe('ArtifactRequestError');
    expect(f3.nonRetryable).toBe(true);
  });

  it('cancellation stops the tools, cleans up and ends as cancelled', async () => {
    const busy = join(root, 'busy.raw');
    await writeDiskImage(busy, { size: 128 * MiB, regions: [{ offset: MiB, length: 16 * MiB, kind: 'random' }] });
    const env = mockEnv();
    let cancelled = false;
    env.on('heartbeat', (d: ArtifactHeartbeat) => {
      if (d.phase === 'convert' && !cancelled) {
        cancelled = true;
        setTimeout(() => env.cancel(), 200);
      }
    });
    const acts = createArtifactActivities(deps());
    const err = await prepare(env, acts, input({ imageId: 'cancel-me', sourcePath: busy, baseName: 'C', outputs: ['qcow2', 'raw.tar.xz'] })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledFailure);
    expect(await readdir(join(stagingFolder(staging, 'cancel-me'), 'artifacts'))).toEqual([]);
    expect(await childProcesses()).toEqual([]);
  });
});

describe('disk full is final on this host (the arch pipeline stages the image on another)', () => {
  let mnt = '';
  let unmount: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    mnt = await makeTmp('act-full');
    unmount = await mountTmpfs(mnt, '3m');
  });
  afterAll(async () => {
    await unmount?.();
    await removeTmp(mnt);
  });

  it('DiskFullError, not retried here', async (ctx) => {
    if (!unmount) return noTmpfs(ctx);
    const acts = createArtifactActivities({ ...deps(), stagingDir: mnt });
    const f = await failureOf(prepare(mockEnv(), acts, input({ imageId: 'full', sourcePath: source, baseName: 'F', outputs: ['qcow2'] })));
    expect(f.type).toBe('DiskFullError');
    expect(f.nonRetryable).toBe(true);
    expect(await readdir(join(stagingFolder(mnt, 'full'), 'artifacts'))).toEqual([]);
  });
});

describe('removeStaged', () => {
  it('removes the image\'s staging folder (fetched file and artifacts) and is idempotent', async () => {
    const acts = createArtifactActivities(deps());
    const dir = stagingFolder(staging, 'wf-gone/x86_64');
    await mkdir(join(dir, 'artifacts'), { recursive: true });
    await writeFile(join(dir, 'fetched.raw.xz'), 'x');
    await writeFile(join(dir, 'artifacts', 'X.raw'), 'x');
    const other = stagingFolder(staging, 'wf-keep/x86_64');
    await mkdir(other, { recursive: true });
    const env = mockEnv();
    await env.run(acts.removeStaged, 'wf-gone/x86_64');
    await env.run(acts.removeStaged, 'wf-gone/x86_64');
    const left = await readdir(staging);
    expect(left).not.toContain(basename(dir));
    expect(left).toContain(basename(other));
    // a hostile key still names a folder inside the staging dir
    await env.run(acts.removeStaged, '../..');
    expect(await readdir(root)).toContain('staging');
  });
});
