// The Glance activities against an in-memory Glance: idempotence (reuse, leftovers), cleanup of
// failed images, failure types and retryability, web-download, and deletion. The retention
// activities have their own file (glance-retention-activities.test.ts).
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { runActivity } from './run-activity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createGlanceActivities,
  type GlanceActivityDeps,
  type PublishToGlanceHeartbeat,
  type PublishToGlanceInput,
} from '../../../activities/glance';
import { OpenStackAuthError, OpenStackHttpError } from '../../../clients/openstack';
import { FakeGlance } from './fake-glance';
import { failureOf } from '../../helpers/failure-of';
import { GlanceFailureType } from '../../../domain/failures';

let dir: string;
let input: PublishToGlanceInput;
let sha512: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'glance-act-'));
  const data = randomBytes(3 * 1024 * 1024);
  const qcow2Path = join(dir, 'Fedora-Cloud-Base-Generic-44-1.7.x86_64.qcow2');
  await writeFile(qcow2Path, data);
  sha512 = createHash('sha512').update(data).digest('hex');
  input = {
    name: 'Fedora-Cloud-Base-Generic-44-1.7.x86_64',
    qcow2Path,
    size: data.length,
    sha256: createHash('sha256').update(data).digest('hex'),
    arch: 'x86_64',
    release: '44',
    family: 'Cloud-Base-Generic',
    kind: 'rc',
    buildId: 'Fedora-Cloud-Base-Generic-44-1.7',
    visibility: 'public',
  };
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

function setup(deps: Partial<GlanceActivityDeps> = {}) {
  const glance = new FakeGlance();
  const acts = createGlanceActivities({ client: glance, ...deps });
  const env = new MockActivityEnvironment({}, { logger: quiet });
  const beats: PublishToGlanceHeartbeat[] = [];
  env.on('heartbeat', (d: PublishToGlanceHeartbeat) => beats.push(d));
  return { glance, acts, env, beats };
}

describe('publishToGlance', () => {
  it('creates a tagged image with the Fedora properties, uploads it, and reports the verified result', async () => {
    const { glance, acts, env, beats } = setup();
    const r = await runActivity(env, acts.publishToGlance, input);
    expect(r).toMatchObject({ status: 'active', size: input.size, osHashValue: sha512, osHashAlgo: 'sha512', sha512, reused: false, removed: [] });
    const img = glance.images.get(r.imageId)!;
    expect(img).toMatchObject({
      name: input.name,
      tags: ['fedimg'],
      visibility: 'public',
      disk_format: 'qcow2',
      container_format: 'bare',
      os_distro: 'fedora',
      os_version: '44',
      hw_firmware_type: 'bios',
      fedimg_build: input.buildId,
      fedimg_kind: 'rc',
      fedimg_sha256: input.sha256,
    });
    expect(beats.map((b) => b.phase)).toEqual(expect.arrayContaining(['lookup', 'create', 'upload', 'verify']));
    expect(beats.filter((b) => b.phase === 'upload').at(-1)).toMatchObject({ imageId: r.imageId, bytes: input.size, total: input.size });
  });

  it('a re-run reuses the active image and uploads nothing', async () => {
    const { glance, acts, env } = setup();
    const first = await runActivity(env, acts.publishToGlance, input);
    glance.calls = [];
    const again = await runActivity(env, acts.publishToGlance, input);
    expect(again).toMatchObject({ imageId: first.imageId, status: 'active', reused: true, osHashValue: sha512 });
    expect(glance.calls).toEqual(['find']);
    expect(glance.images.size).toBe(1);
  });

  it('deletes queued, saving and killed leftovers of crashed attempts and uploads afresh', async () => {
    const { glance, acts, env } = setup();
    const leftovers = (['queued', 'saving', 'killed'] as const).map((status) => glance.seed({ name: input.name, status }).id);
    const other = glance.seed({ name: input.name, status: 'queued', tags: ['someone-else'] }).id;
    const r = await runActivity(env, acts.publishToGlance, input);
    expect(r.removed.sort()).toEqual([...leftovers].sort());
    expect(glance.byStatus('active').map((i) => i.id)).toEqual([r.imageId]);
    // Not tagged by us: not ours to delete.
    expect(glance.images.has(other)).toBe(true);
  });

  it('refuses to touch an active image of the same name with other content', async () => {
    const { glance, acts, env } = setup();
    const theirs = glance.seed({ name: input.name, status: 'active', size: 5, fedimg_sha256: 'ff'.repeat(32) });
    const f = await failureOf(runActivity(env, acts.publishToGlance, input));
    expect(f.type).toBe(GlanceFailureType.NameConflict);
    expect(f.nonRetryable).toBe(true);
    expect(glance.images.get(theirs.id)?.status).toBe('active');
    expect(glance.images.size).toBe(1);
  });

  it('a staged file of the wrong size fails for good before anything is created', async () => {
    const { glance, acts, env } = setup();
    const f = await failureOf(runActivity(env, acts.publishToGlance, { ...input, size: input.size + 1 }));
    expect(f).toMatchObject({ type: GlanceFailureType.SourceMismatch, nonRetryable: true });
    expect(glance.images.size).toBe(0);
    const missing = await failureOf(runActivity(env, acts.publishToGlance, { ...input, qcow2Path: join(dir, 'nope.qcow2') }));
    expect(missing.message).toContain('ENOENT');
  });

  it('a staged file whose content changed is caught while streaming; the image is deleted', async () => {
    const { glance, acts, env } = setup();
    const f = await failureOf(runActivity(env, acts.publishToGlance, { ...input, sha256: '00'.repeat(32) }));
    expect(f).toMatchObject({ type: GlanceFailureType.SourceMismatch, nonRetryable: true });
    expect(glance.images.size).toBe(0);
  });

  it('Glance storing other bytes than were sent: image deleted, retryable failure', async () => {
    const { glance, acts, env } = setup();
    glance.storedHash = () => '00'.repeat(64);
    const f = await failureOf(runActivity(env, acts.publishToGlance, input));
    expect(f).toMatchObject({ type: GlanceFailureType.VerificationFailed, nonRetryable: false });
    expect(glance.images.size).toBe(0);
  });

  it('a 503 during the upload: image deleted, retryable; a 403: final, with the server message', async () => {
    const { glance, acts, env } = setup();
    glance.beforeUpload = () => {
      throw new OpenStackHttpError('glance', 'PUT', 'http://g/v2/images/x/file', 503, 'Service Unavailable');
    };
    const f = await failureOf(runActivity(env, acts.publishToGlance, input));
    expect(f).toMatchObject({ type: GlanceFailureType.Unavailable, nonRetryable: false });
    expect(glance.images.size).toBe(0);

    glance.beforeUpload = () => {
      throw new OpenStackHttpError('glance', 'PUT', 'http://g/v2/images/x/file', 403, 'You are not authorized to complete publicize_image action.');
    };
    const g = await failureOf(runActivity(env, acts.publishToGlance, input));
    expect(g).toMatchObject({ type: GlanceFailureType.Forbidden, nonRetryable: true });
    expect(g.message).toContain('publicize_image');
    expect(glance.images.size).toBe(0);
  });

  it('wrong credentials are final', async () => {
    const { glance, acts, env } = setup();
    glance.failFind = () => new OpenStackAuthError('user "admin"', 'http://k/v3/auth/tokens', 401, 'The request you have made requires authentication.');
    const f = await failureOf(runActivity(env, acts.publishToGlance, input));
    expect(f).toMatchObject({ type: GlanceFailureType.AuthFailed, nonRetryable: true });
    expect(f.message).toContain('requires authentication');
  });

  it('cancellation mid-upload ends in CancelledFailure and removes the half image', async () => {
    const { glance, acts, env } = setup();
    glance.beforeUpload = (_id, opts) =>
      new Promise<void>((_resolve, reject) => {
        opts.signal?.addEventListener('abort', () => reject(opts.signal?.reason));
        setTimeout(() => env.cancel(), 20);
      });
    const err = await runActivity(env, acts.publishToGlance, input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledFailure);
    expect(glance.images.size).toBe(0);
  });

  it('web-download: hashes the local file, asks Glance to import, returns at once; a re-run waits on the same import', async () => {
    const { glance, acts, env } = setup({ upload: 'web-download' });
    const sourceUrl = 'http://127.0.0.1:18088/downloads/44/x.qcow2';
    const r = await runActivity(env, acts.publishToGlance, { ...input, sourceUrl });
    expect(r).toMatchObject({ status: 'importing', sha512, reused: false });
    expect(glance.calls).toContain(`import ${r.imageId} ${sourceUrl}`);
    const again = await runActivity(env, acts.publishToGlance, { ...input, sourceUrl });
    expect(again).toMatchObject({ imageId: r.imageId, status: 'importing', reused: true });
  });
});

describe('getGlanceImage', () => {
  it('returns the state, null when gone, and deletes an active image whose hash is wrong', async () => {
    const { glance, acts, env } = setup();
    const img = glance.seed({ name: 'x', status: 'active', size: 10, os_hash_algo: 'sha512', os_hash_value: 'aa' });
    expect(await runActivity(env, acts.getGlanceImage, { imageId: img.id })).toMatchObject({ status: 'active', size: 10, osHashValue: 'aa' });
    expect(await runActivity(env, acts.getGlanceImage, { imageId: img.id, expectedSize: 10, expectedSha512: 'aa' })).toMatchObject({ status: 'active' });
    const f = await failureOf(runActivity(env, acts.getGlanceImage, { imageId: img.id, expectedSha512: 'bb' }));
    expect(f).toMatchObject({ type: GlanceFailureType.VerificationFailed, nonRetryable: true });
    expect(await runActivity(env, acts.getGlanceImage, { imageId: img.id })).toBeNull();
  });
});

describe('deleteGlanceImage', () => {
  it('is idempotent: an image already gone counts as done', async () => {
    const { glance, acts, env } = setup();
    const i = glance.seed({ name: 'x', status: 'active' });
    expect(await runActivity(env, acts.deleteGlanceImage, { imageId: i.id })).toEqual({ deleted: true });
    expect(await runActivity(env, acts.deleteGlanceImage, { imageId: i.id })).toEqual({ deleted: false });
  });
});
