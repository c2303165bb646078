// The fetch leaves a marker in the image's staging folder naming the release workflow, so the
// host's staging janitor (workers/staging-janitor.ts) can tell whose files these are.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createFetchActivities } from '../../../activities/fetch';
import { STAGING_MARKER, stagingFolder } from '../../../activities/staging-paths';
import type { BuiltImage } from '../../../domain/image-release';

const body = randomBytes(64 * 1024);
const image: BuiltImage = { arch: 'x86_64', childTaskId: 78, file: 'disk.raw', size: body.length, sha256: createHash('sha256').update(body).digest('hex') };
let server: Server;
let topUrl = '';
let stagingDir = '';

beforeAll(async () => {
  server = createServer((_req, res) => res.writeHead(200, { 'content-length': String(body.length) }).end(body));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  topUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/kojifiles`;
  stagingDir = await mkdtemp(join(tmpdir(), 'fedimg-marker-'));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(stagingDir, { recursive: true, force: true });
});

it('a staged image folder names its release workflow, and a second fetch keeps the first marker', async () => {
  const acts = createFetchActivities({ topUrl, stagingDir, maxImageBytes: 1 << 30, hostTaskQueue: 'files-h1', hostId: 'h1' });
  const env = () => new MockActivityEnvironment({ attempt: 1 }, { logger: new DefaultLogger('ERROR') });
  const imageKey = 'image/Cloud-Base-Generic/44/44-1.7/x86_64';
  await env().run(acts.stageImage, { imageKey, image });

  const folder = stagingFolder(stagingDir, imageKey);
  expect((await readdir(folder)).sort()).toEqual([STAGING_MARKER, 'disk.raw']);
  const marker = JSON.parse(await readFile(join(folder, STAGING_MARKER), 'utf8')) as Record<string, unknown>;
  expect(marker).toMatchObject({ imageKey, releaseWorkflowId: 'image/Cloud-Base-Generic/44/44-1.7' });
  expect(Number.isNaN(Date.parse(String(marker.stagedAt)))).toBe(false);

  await env().run(acts.stageImage, { imageKey, image });
  expect(JSON.parse(await readFile(join(folder, STAGING_MARKER), 'utf8'))).toEqual(marker);
});
