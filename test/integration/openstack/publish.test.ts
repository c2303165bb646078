// publishToGlance against the real Glance and Keystone: a real qcow2 published and checked by
// Glance's hashes, a re-run that creates nothing, a queued leftover replaced, and an upload cut
// off mid-way (cancelled, or a worker that died) leaving exactly one active image after the re-run;
// and the retention's listing reading the published images as the rules need them.
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { runActivity } from '../../unit/openstack/run-activity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGlanceActivities, type PublishToGlanceHeartbeat, type PublishToGlanceInput } from '../../../activities/glance';
import { createGlanceRetentionActivities } from '../../../activities/glance-retention';
import type { GlanceClient } from '../../../clients/openstack';
import { planGlanceNightlyRetention } from '../../../domain/glance-retention';
import { deleteTagged, ensureOpenstack, eventually, glanceClient, makeQcow2, tempDir, uniqueTag, type Qcow2 } from './helpers';

const tag = uniqueTag('publish');
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
let tmp: Awaited<ReturnType<typeof tempDir>>;
let glance: GlanceClient;
let qcow2: Qcow2;
let bigger: Qcow2;

beforeAll(async () => {
  await ensureOpenstack();
  tmp = await tempDir('glance-publish-');
  glance = glanceClient({ progressEveryMs: 0 });
  qcow2 = await makeQcow2(tmp.dir, 'Fedora-Cloud-Base-Generic-44-1.7.x86_64', 6, 64);
  bigger = await makeQcow2(tmp.dir, 'Fedora-Cloud-Base-Generic-Rawhide-20261122.n.0.x86_64', 48, 64);
});

afterAll(async () => {
  await deleteTagged(glanceClient(), tag);
  await tmp.cleanup();
});

function input(name: string, file: Qcow2, extra: Partial<PublishToGlanceInput> = {}): PublishToGlanceInput {
  return {
    name,
    qcow2Path: file.path,
    size: file.size,
    sha256: file.sha256,
    arch: 'x86_64',
    release: '44',
    family: 'Cloud-Base-Generic',
    kind: 'rc',
    buildId: 'Fedora-Cloud-Base-Generic-44-1.7',
    visibility: 'public',
    ...extra,
  };
}

function run() {
  const acts = createGlanceActivities({ client: glance, tag });
  const env = new MockActivityEnvironment({}, { logger: quiet });
  const beats: PublishToGlanceHeartbeat[] = [];
  env.on('heartbeat', (d: PublishToGlanceHeartbeat) => beats.push(d));
  return { acts, env, beats };
}

const ours = (name: string) => glance.findImages({ name, tag });

describe('publishToGlance against the real Glance', () => {
  it("publishes a real qcow2: Glance's size and os_hash_value (sha512) match ours; a re-run creates nothing", async () => {
    const name = `${tag}-F44-x86_64`;
    const { acts, env, beats } = run();
    const r = await runActivity(env, acts.publishToGlance, input(name, qcow2));
    expect(r).toMatchObject({ status: 'active', size: qcow2.size, osHashAlgo: 'sha512', osHashValue: qcow2.sha512, sha512: qcow2.sha512, reused: false });
    expect(beats.filter((b) => b.phase === 'upload').at(-1)).toMatchObject({ bytes: qcow2.size, total: qcow2.size });

    const stored = await glance.getImage(r.imageId);
    expect(stored).toMatchObject({
      name,
      visibility: 'public',
      tags: [tag],
      checksum: qcow2.md5,
      os_distro: 'fedora',
      os_version: '44',
      architecture: 'x86_64',
      hw_machine_type: 'q35',
      hw_firmware_type: 'bios',
      hw_disk_bus: 'scsi',
      hw_scsi_model: 'virtio-scsi',
      fedimg_build: 'Fedora-Cloud-Base-Generic-44-1.7',
      fedimg_family: 'Cloud-Base-Generic',
      fedimg_release: '44',
      fedimg_kind: 'rc',
      fedimg_sha256: qcow2.sha256,
    });

    const again = await runActivity(env, acts.publishToGlance, input(name, qcow2));
    expect(again).toMatchObject({ imageId: r.imageId, status: 'active', reused: true, removed: [] });
    expect((await ours(name)).map((i) => i.id)).toEqual([r.imageId]);
  });

  it('aarch64 gets uefi on virt', async () => {
    const name = `${tag}-F44-aarch64`;
    const { acts, env } = run();
    const r = await runActivity(env, acts.publishToGlance, input(name, qcow2, { arch: 'aarch64' }));
    expect(await glance.getImage(r.imageId)).toMatchObject({ architecture: 'aarch64', hw_firmware_type: 'uefi', hw_machine_type: 'virt' });
  });

  it('replaces a queued leftover of a crashed attempt', async () => {
    const name = `${tag}-leftover`;
    const leftover = await glance.createImage({ name, visibility: 'public', tags: [tag] });
    expect(leftover.status).toBe('queued');
    const { acts, env } = run();
    const r = await runActivity(env, acts.publishToGlance, input(name, qcow2));
    expect(r.removed).toEqual([leftover.id]);
    expect(await glance.getImage(leftover.id)).toBeUndefined();
    const now = await ours(name);
    expect(now.map((i) => [i.id, i.status])).toEqual([[r.imageId, 'active']]);
  });

  it('a worker that died mid-upload: the half image is replaced and exactly one active image remains', async () => {
    const name = `${tag}-crash`;
    // The dead attempt: created and half uploaded, then the connection went away; nobody cleaned up.
    const half = await glance.createImage({ name, visibility: 'public', tags: [tag] });
    const ac = new AbortController();
    await glance
      .uploadFile(half.id, bigger.path, { signal: ac.signal, onProgress: (p) => p.bytes >= 8 * 2 ** 20 && ac.abort(new Error('kill -9')) })
      .catch(() => undefined);
    // Debian's single Glance puts it back to queued at once; a Glance behind a balancer may show saving for a while.
    await eventually(async () => (['queued', 'saving'].includes((await glance.getImage(half.id))?.status ?? '') ? true : undefined), 30_000);

    const { acts, env } = run();
    const r = await runActivity(env, acts.publishToGlance, input(name, bigger, { kind: 'nightly', release: 'rawhide' }));
    expect(r).toMatchObject({ status: 'active', osHashValue: bigger.sha512, removed: [half.id] });
    const now = await ours(name);
    expect(now.map((i) => [i.id, i.status])).toEqual([[r.imageId, 'active']]);
  });

  it('an upload cancelled mid-way cleans up after itself; the re-run leaves exactly one active image', async () => {
    const name = `${tag}-cancel`;
    const first = run();
    first.env.on('heartbeat', (d: PublishToGlanceHeartbeat) => {
      if (d.phase === 'upload' && (d.bytes ?? 0) >= 8 * 2 ** 20) first.env.cancel();
    });
    const err = await runActivity(first.env, first.acts.publishToGlance, input(name, bigger)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledFailure);
    const cancelledId = first.beats.find((b) => b.imageId)?.imageId;
    expect(cancelledId).toBeDefined();
    expect(await glance.getImage(cancelledId!)).toBeUndefined();

    const second = run();
    const r = await runActivity(second.env, second.acts.publishToGlance, input(name, bigger));
    expect(r).toMatchObject({ status: 'active', osHashValue: bigger.sha512, reused: false });
    expect((await ours(name)).map((i) => [i.id, i.status])).toEqual([[r.imageId, 'active']]);
  });

  it("retention reads what publishing made: the listing has these images as the family's RCs and nightly, and expires only the nightly", async () => {
    const { env } = run();
    const retention = createGlanceRetentionActivities({ client: glance, tag });
    const { images } = await runActivity(env, retention.listGlanceRetentionImages, { family: 'Cloud-Base-Generic' });
    const published = (await glance.findImages({ tag })).filter((i) => i.status === 'active');
    expect(images.filter((i) => i.status === 'active').map((i) => i.imageId).sort()).toEqual(published.map((i) => i.id).sort());
    const rcs = images.filter((i) => i.kind === 'rc');
    expect(rcs.length).toBeGreaterThanOrEqual(3);
    expect(rcs.every((i) => i.release === '44' && i.tags.includes(tag) && !i.protected)).toBe(true);
    const nightlies = images.filter((i) => i.kind === 'nightly');
    expect(nightlies.map((i) => [i.release, i.arch])).toEqual([['rawhide', 'x86_64']]);

    // A hundred days on, with nothing kept for being newest: the nightly goes, every RC stays.
    const plan = planGlanceNightlyRetention(images, { tag, family: 'Cloud-Base-Generic', olderThanDays: 30, keepLatest: 0, nowMs: Date.now() + 100 * 86_400_000 });
    expect(plan.deletions.map((d) => d.imageId)).toEqual(nightlies.map((i) => i.imageId));
    expect(rcs.every((i) => plan.kept.some((k) => k.imageId === i.imageId && k.reason === 'kind is rc, only nightlies expire'))).toBe(true);
  });
});
