// publishDownloads in a mocked activity context: heartbeats carry the resume state, a retried
// attempt continues from them, and final errors become non-retryable failures with stable types.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createDownloadActivities,
  type PublishDownloadsHeartbeat,
  type PublishDownloadsInput,
  type PublishDownloadsResult,
} from '../../../activities/downloads';
import { createDirectoryTarget } from '../../../clients/downloads';
import { randomContent, stageSmallSet, tempDir } from './staged-files';

const IMAGES = '44/Cloud/x86_64/images';
let staging: Awaited<ReturnType<typeof tempDir>>;
let pub: Awaited<ReturnType<typeof tempDir>>;

beforeEach(async () => {
  staging = await tempDir('dl-act-staging');
  pub = await tempDir('dl-act-pub');
});
afterEach(async () => {
  await staging.cleanup();
  await pub.cleanup();
});

const target = () => createDirectoryTarget({ root: pub.dir, layout: '{release}/{family}/{arch}/images/{file}', publicUrl: 'https://dl.example.org' });
const activities = () => createDownloadActivities({ target: target() });
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

function environment(heartbeatDetails?: unknown) {
  const env = new MockActivityEnvironment(heartbeatDetails === undefined ? {} : { heartbeatDetails }, { logger: quiet });
  const beats: PublishDownloadsHeartbeat[] = [];
  env.on('heartbeat', (d: PublishDownloadsHeartbeat) => beats.push(d));
  return { env, beats };
}

function publish(env: MockActivityEnvironment, input: PublishDownloadsInput): Promise<PublishDownloadsResult> {
  return env.run(activities().publishDownloads, input);
}

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('publishDownloads activity', () => {
  it('publishes, returns keys, URLs and states, and heartbeats what it wrote', async () => {
    const set = await stageSmallSet(staging.dir);
    const { env, beats } = environment();
    const { files } = await publish(env, set);
    expect(files).toEqual([
      ...set.files.map((f) => ({
        name: f.name,
        key: `${IMAGES}/${f.name}`,
        url: `https://dl.example.org/${IMAGES}/${f.name}`,
        size: f.size,
        sha256: f.sha256,
        state: 'uploaded',
      })),
      expect.objectContaining({ name: set.checksumFile.name, state: 'uploaded' }),
    ]);
    expect(beats.at(-1)).toMatchObject({ uploaded: files.map((f) => f.key), progress: { name: set.checksumFile.name, phase: 'upload' } });
  });

  it('continues from the heartbeat details of an earlier attempt', async () => {
    const set = await stageSmallSet(staging.dir);
    // An earlier attempt wrote the first image, heartbeated that, and died.
    const key = `${IMAGES}/${set.files[0]!.name}`;
    expect(await target().put(key, set.files[0]!)).toBe('written');
    // And the second image was already there from elsewhere (not written by this publication).
    expect(await target().put(`${IMAGES}/${set.files[1]!.name}`, set.files[1]!)).toBe('written');
    const details = { uploaded: [key], progress: { name: set.files[0]!.name, phase: 'upload', bytesDone: 1, bytesTotal: 1 } };
    const { env } = environment(details);
    const { files } = await publish(env, set);
    expect(files.map((f) => f.state)).toEqual(['uploaded', 'unchanged', 'uploaded']);
  });

  it('ignores heartbeat details it does not understand', async () => {
    const set = await stageSmallSet(staging.dir);
    const { env } = environment({ something: 'else' });
    const { files } = await publish(env, set);
    expect(files.map((f) => f.state)).toEqual(['uploaded', 'uploaded', 'uploaded']);
  });

  it('fails for good with type DownloadConflict when a name holds other content', async () => {
    const set = await stageSmallSet(staging.dir);
    await mkdir(join(pub.dir, IMAGES), { recursive: true });
    await writeFile(join(pub.dir, IMAGES, set.files[0]!.name), randomContent(set.files[0]!.size));
    const failure = await failureOf(publish(environment().env, set));
    expect(failure).toMatchObject({ type: 'DownloadConflict', nonRetryable: true });
    expect(failure.details?.[0]).toEqual({ conflicts: [{ key: `${IMAGES}/${set.files[0]!.name}`, detail: expect.any(String) }] });
    expect(await readdir(join(pub.dir, IMAGES))).toEqual([set.files[0]!.name]);
  });

  it('fails for good with type BadFileName for an unsafe name', async () => {
    const set = await stageSmallSet(staging.dir);
    const failure = await failureOf(publish(environment().env, { ...set, arch: 'x86_64/../..' }));
    expect(failure).toMatchObject({ type: 'BadFileName', nonRetryable: true });
    expect(failure.details?.[0]).toEqual({ component: 'arch', value: 'x86_64/../..' });
  });

  it('fails for good with type DownloadSourceMismatch when a staged file changed', async () => {
    const set = await stageSmallSet(staging.dir);
    await writeFile(set.files[1]!.path, randomContent(set.files[1]!.size));
    const failure = await failureOf(publish(environment().env, set));
    expect(failure).toMatchObject({ type: 'DownloadSourceMismatch', nonRetryable: true });
  });

  it('stops when the activity is cancelled', async () => {
    const set = await stageSmallSet(staging.dir);
    const { env } = environment();
    env.cancel('CANCELLED');
    const err = await publish(env, set).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(ApplicationFailure);
    expect(await readdir(pub.dir)).toEqual([]);
  });
});
