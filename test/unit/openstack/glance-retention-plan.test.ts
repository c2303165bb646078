// The scheduled Glance retention's rules, without a cloud: what it must never delete whatever a
// listing returns, and which expired nightlies go.
import { describe, expect, it } from 'vitest';
import { planGlanceNightlyRetention, type GlanceRetentionImage } from '../../../domain/glance-retention';

const DAY = 86_400_000;
const now = Date.parse('2026-11-22T07:45:00Z');
const policy = { tag: 'fedimg', family: 'F', olderThanDays: 14, keepLatest: 1, nowMs: now };

function img(id: string, ageDays: number, over: Partial<GlanceRetentionImage> = {}): GlanceRetentionImage {
  return {
    imageId: id,
    name: `image-${id}`,
    status: 'active',
    createdAt: new Date(now - ageDays * DAY).toISOString(),
    size: 1,
    family: 'F',
    release: 'rawhide',
    kind: 'nightly',
    buildId: `Fedora-Rawhide-${id}`,
    arch: 'x86_64',
    tags: ['fedimg'],
    protected: false,
    visibility: 'public',
    ...over,
  };
}

describe('planGlanceNightlyRetention', () => {
  it('never deletes images without our tag, protected ones, other families or kinds other than nightly', () => {
    const plan = planGlanceNightlyRetention(
      [
        img('newest', 1),
        img('untagged', 90, { tags: ['someone-else'] }),
        img('protected', 90, { protected: true }),
        img('other-family', 90, { family: 'G' }),
        img('rc', 90, { kind: 'rc' }),
        img('weekly', 90, { kind: 'weekly' }),
        img('no-kind', 90, { kind: undefined }),
      ],
      policy,
    );
    expect(plan.deletions).toEqual([]);
    expect(Object.fromEntries(plan.kept.map((k) => [k.imageId, k.reason]))).toEqual({
      newest: 'one of the 1 newest of F/rawhide/x86_64',
      untagged: 'not tagged fedimg',
      protected: 'protected in Glance',
      'other-family': 'family is G, not F',
      rc: 'kind is rc, only nightlies expire',
      weekly: 'kind is weekly, only nightlies expire',
      'no-kind': 'kind is unknown, only nightlies expire',
    });
  });

  it('deletes nightlies past the age, oldest first, keeping the newest of each release + arch however old', () => {
    const plan = planGlanceNightlyRetention(
      [img('a', 40), img('b', 20), img('c', 10), img('d', 3), img('arm-only', 60, { arch: 'aarch64' }), img('f44-old', 30, { release: '44' }), img('f44-new', 16, { release: '44' })],
      policy,
    );
    expect(plan.deletions.map((d) => [d.imageId, d.ageDays, d.reason])).toEqual([
      ['a', 40, 'nightly 40 days old (limit 14)'],
      ['f44-old', 30, 'nightly 30 days old (limit 14)'],
      ['b', 20, 'nightly 20 days old (limit 14)'],
    ]);
    expect(plan.kept.map((k) => k.imageId).sort()).toEqual(['arm-only', 'c', 'd', 'f44-new']);
  });

  it('keepLatest 0 lets the last old one go too; a leftover (queued) image never counts as the one kept', () => {
    const plan = planGlanceNightlyRetention([img('old', 30), img('stuck', 20, { status: 'queued' })], { ...policy, keepLatest: 0 });
    expect(plan.deletions.map((d) => d.imageId)).toEqual(['old', 'stuck']);
    const kept = planGlanceNightlyRetention([img('old', 30), img('stuck', 20, { status: 'queued' })], policy);
    expect(kept.deletions.map((d) => d.imageId)).toEqual(['stuck']);
  });
});
