// The fetch on a host that cannot hold the image: with no room before the download, or when the
// disk fills up mid-way, it fails for good on this host (DiskFullError naming the host, which the
// details carry for the workflow's avoid list) and leaves nothing of the image behind. A host on
// the avoid list hands the task back at once, retryably, after a short delay.
import { createHash, randomBytes } from 'node:crypto';
import { readdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFetchActivities, type StagedImage } from '../../../activities/fetch';
import type { BuiltImage } from '../../../domain/image-release';
import { makeTmp, mountTmpfs, noTmpfs, removeTmp } from '../images/helpers';
import { failureOf } from '../../helpers/failure-of';

const KiB = 1024;
const body = randomBytes(1536 * KiB);
const sha256 = createHash('sha256').update(body).digest('hex');
const image: BuiltImage = { arch: 'x86_64', childTaskId: 77, file: 'disk.raw', size: body.length, sha256 };

let server: Server;
let topUrl = '';
/** Resolved by the test once it has filled the disk; the server then sends the rest. */
let releaseSecondHalf: Promise<void> = Promise.resolve();
let firstHalfSent: () => void = () => undefined;
let mnt = '';
let unmount: (() => Promise<void>) | undefined;

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-length': String(body.length) });
    res.write(body.subarray(0, body.length / 2), () => {
      firstHalfSent();
      void releaseSecondHalf.then(() => res.end(body.subarray(body.length / 2)));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  topUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/kojifiles`;
  mnt = await makeTmp('fetch-full');
  unmount = await mountTmpfs(mnt, '2m');
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await unmount?.();
  await removeTmp(mnt);
});

const env = (attempt = 1) => new MockActivityEnvironment({ attempt }, { logger: new DefaultLogger('ERROR') });
const acts = (stagingDir: string, hostId = 'full-host') =>
  createFetchActivities({ topUrl, stagingDir, maxImageBytes: 1 << 30, hostTaskQueue: `files-${hostId}`, hostId });

describe('stageImage on a host that cannot hold the image', () => {
  it('no room before the download: DiskFullError, final here, naming the host; nothing left', async (ctx) => {
    if (!unmount) return noTmpfs(ctx);
    const big = { ...image, size: 4 << 20, sha256: undefined, file: 'too-big.raw' };
    const f = await failureOf(env().run(acts(mnt).stageImage, { imageKey: 'wf/no-room', image: big }));
    expect(f.type).toBe('DiskFullError');
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toContain('full-host');
    expect(f.message).toContain('staging.dir');
    expect(f.details).toEqual([{ hostId: 'full-host', hostTaskQueue: 'files-full-host' }]);
    expect(await readdir(mnt)).toEqual([]);
  });

  it('the disk fills up mid-way: DiskFullError, final here; the partial file is removed', async (ctx) => {
    if (!unmount) return noTmpfs(ctx);
    const filler = join(mnt, 'someone-else.bin');
    let release: () => void = () => undefined;
    releaseSecondHalf = new Promise((r) => (release = r));
    const halfway = new Promise<void>((r) => (firstHalfSent = r));
    const staging = acts(mnt).stageImage;
    const run = env().run(staging, { imageKey: 'wf/mid-way', image });
    // Another image's work takes the rest of the disk while ours is half fetched.
    await halfway;
    await writeFile(filler, Buffer.alloc(2 << 20)).catch(() => undefined);
    release();
    const f = await failureOf(run);
    expect(f.type).toBe('DiskFullError');
    expect(f.nonRetryable).toBe(true);
    expect(f.details).toEqual([{ hostId: 'full-host', hostTaskQueue: 'files-full-host' }]);
    expect(await readdir(mnt)).toEqual(['someone-else.bin']);
  });

  it('a host on the avoid list hands the task back, retryably, before touching anything', async () => {
    const dir = await makeTmp('fetch-avoid');
    try {
      const f = await failureOf(env(3).run(acts(dir, 'a').stageImage, { imageKey: 'wf/avoid', image, avoidHosts: ['a'] }));
      expect(f.type).toBe('StagingHostAvoided');
      expect(f.nonRetryable).toBe(false);
      expect(f.nextRetryDelay).toBe(5000);
      expect(await readdir(dir)).toEqual([]);
      // Any other host stages it.
      releaseSecondHalf = Promise.resolve();
      const staged = (await env().run(acts(dir, 'b').stageImage, { imageKey: 'wf/avoid', image, avoidHosts: ['a'] })) as StagedImage;
      expect(staged).toMatchObject({ hostId: 'b', hostTaskQueue: 'files-b', size: image.size, sha256 });
    } finally {
      await removeTmp(dir);
    }
  });

  it('an image over the limit is ImageTooLargeError, the conversion\'s name for it', async () => {
    const f = await failureOf(
      env().run(createFetchActivities({ topUrl, stagingDir: mnt, maxImageBytes: 1024, hostTaskQueue: 'q', hostId: 'h' }).stageImage, { imageKey: 'wf/big', image }),
    );
    expect(f.type).toBe('ImageTooLargeError');
    expect(f.nonRetryable).toBe(true);
  });
});
