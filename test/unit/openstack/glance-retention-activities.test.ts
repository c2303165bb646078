// The scheduled Glance retention's activities against an in-memory Glance: the listing holds this
// project's images of one family (every kind, as the rules need them), and a deletion looks at
// the image again and refuses one that is no longer an expired nightly of ours, deleting nothing.
// The workflow's dry run and the whole run against a real Glance: test/integration/openstack/retention.
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { GlanceFailureType } from '../../../domain/failures';
import { GLANCE_RETENTION_REFUSED, createGlanceRetentionActivities } from '../../../activities/glance-retention';
import { OpenStackHttpError } from '../../../clients/openstack';
import { FakeGlance } from './fake-glance';
import { runActivity } from './run-activity';
import { failureOf } from '../../helpers/failure-of';

const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const longAgo = '2026-08-01T00:00:00Z';

function setup() {
  const glance = new FakeGlance();
  const nightly = { status: 'active', created_at: longAgo, fedimg_kind: 'nightly', fedimg_family: 'F', fedimg_release: 'rawhide', architecture: 'x86_64' } as const;
  const seeded = {
    old: glance.seed({ ...nightly, name: 'old-nightly', fedimg_build: 'Fedora-Rawhide-20260801.n.0' }),
    rc: glance.seed({ ...nightly, name: 'rc', fedimg_kind: 'rc', fedimg_release: '44' }),
    release: glance.seed({ ...nightly, name: 'release', fedimg_kind: 'release', fedimg_release: '43' }),
    foreign: glance.seed({ ...nightly, name: 'foreign', tags: ['someone-else'] }),
    otherFamily: glance.seed({ ...nightly, name: 'other-family', fedimg_family: 'G' }),
    protectedOne: glance.seed({ ...nightly, name: 'protected', protected: true }),
  };
  const acts = createGlanceRetentionActivities({ client: glance });
  const env = new MockActivityEnvironment({}, { logger: quiet });
  return { glance, acts, env, seeded };
}

describe('listGlanceRetentionImages', () => {
  it("lists only the family's images carrying our tag, every kind, with their identity and protection", async () => {
    const { acts, env, seeded } = setup();
    const { tag, images } = await runActivity(env, acts.listGlanceRetentionImages, { family: 'F' });
    expect(tag).toBe('fedimg');
    const byId = Object.fromEntries(images.map((i) => [i.imageId, i]));
    expect(Object.keys(byId).sort()).toEqual([seeded.old.id, seeded.rc.id, seeded.release.id, seeded.protectedOne.id].sort());
    expect(byId[seeded.old.id]).toEqual({
      imageId: seeded.old.id,
      name: 'old-nightly',
      status: 'active',
      createdAt: longAgo,
      size: null,
      family: 'F',
      release: 'rawhide',
      kind: 'nightly',
      buildId: 'Fedora-Rawhide-20260801.n.0',
      arch: 'x86_64',
      tags: ['fedimg'],
      protected: false,
      visibility: 'public',
    });
    expect(byId[seeded.rc.id]).toMatchObject({ kind: 'rc', release: '44' });
    expect(byId[seeded.protectedOne.id]).toMatchObject({ protected: true });
  });

  it("a Glance outage fails the listing as the publish activities' retryable failure", async () => {
    const { glance, acts, env } = setup();
    glance.failFind = () => new OpenStackHttpError('glance', 'GET', 'http://g/v2/images', 503, 'Service Unavailable');
    const f = await failureOf(runActivity(env, acts.listGlanceRetentionImages, { family: 'F' }));
    expect(f).toMatchObject({ type: GlanceFailureType.Unavailable, nonRetryable: false });
  });
});

describe('deleteExpiredGlanceImage', () => {
  it('deletes an old nightly of ours, and only it; a second call finds it already gone', async () => {
    const { glance, acts, env, seeded } = setup();
    expect(await runActivity(env, acts.deleteExpiredGlanceImage, { imageId: seeded.old.id, family: 'F' })).toEqual({ outcome: 'deleted' });
    expect(glance.images.has(seeded.old.id)).toBe(false);
    expect(glance.images.size).toBe(5);
    expect(await runActivity(env, acts.deleteExpiredGlanceImage, { imageId: seeded.old.id, family: 'F' })).toEqual({ outcome: 'already gone' });
  });

  it('refuses for good, deleting nothing, an RC, a release, an image without our tag, of another family, or protected', async () => {
    const { glance, acts, env, seeded } = setup();
    const reasons: Array<[keyof typeof seeded, string]> = [
      ['rc', 'kind is rc, only nightlies expire'],
      ['release', 'kind is release, only nightlies expire'],
      ['foreign', 'not tagged fedimg'],
      ['otherFamily', 'family is G, not F'],
      ['protectedOne', 'protected in Glance'],
    ];
    for (const [which, reason] of reasons) {
      const { id, name } = seeded[which];
      const f = await failureOf(runActivity(env, acts.deleteExpiredGlanceImage, { imageId: id, family: 'F' }));
      expect(f, which).toMatchObject({ type: GLANCE_RETENTION_REFUSED, nonRetryable: true });
      expect(f.message, which).toBe(`Glance image ${id} (${name}) is no longer one to delete: ${reason}`);
    }
    expect(glance.calls.filter((c) => c.startsWith('delete'))).toEqual([]);
    expect(glance.images.size).toBe(6);
  });
});
