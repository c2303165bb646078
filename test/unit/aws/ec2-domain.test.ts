import { describe, expect, it } from 'vitest';
import {
  amiName,
  amiNameProblem,
  amiSettingsProblems,
  amiTags,
  deprecationTime,
  ec2ArchOf,
  pollDelayMs,
  publishAmiInputProblems,
  resolveAmiSettings,
  volumeGiBFor,
} from '../../../domain/ec2';
import { planRetention, type ManagedImage } from '../../../domain/ec2-retention';
import { registerImageRequest } from '../../../clients/aws/images';

const good = {
  imageKey: 'Fedora-Cloud-Base-AmazonEC2-44-1.7.x86_64',
  arch: 'x86_64',
  kind: 'release',
  name: 'Fedora-Cloud-Base-AmazonEC2.x86_64-44-1.7',
  sourceRegion: 'us-east-1',
  regions: ['us-east-1', 'eu-west-1'],
  maxConcurrentRegions: 4,
  kojiTaskId: 123,
};

describe('AMI names', () => {
  it("follows Fedora's names", () => {
    expect(amiName({ buildName: 'Fedora-Cloud-Base-AmazonEC2', arch: 'x86_64', version: '44', release: '1.7' })).toBe('Fedora-Cloud-Base-AmazonEC2.x86_64-44-1.7');
    expect(amiName({ buildName: 'Fedora-Cloud-Base-AmazonEC2', arch: 'aarch64', version: 'Rawhide', release: '20261122.n.0' })).toBe(
      'Fedora-Cloud-Base-AmazonEC2.aarch64-Rawhide-20261122.n.0',
    );
  });

  it("refuses what EC2 refuses: length and characters", () => {
    expect(amiNameProblem('Fedora-Cloud-Base-AmazonEC2.x86_64-44-1.7')).toBeUndefined();
    expect(amiNameProblem("ok (name) [x] a/b @c 'd' e_f")).toBeUndefined();
    expect(amiNameProblem('ab')).toMatch(/3-128/);
    expect(amiNameProblem('x'.repeat(129))).toMatch(/3-128/);
    expect(amiNameProblem('Fedora:44*beta')).toMatch(/":" "\*"/);
  });
});

describe('input check', () => {
  it('accepts good input', () => expect(publishAmiInputProblems(good)).toEqual([]));

  it('names every problem with a stable reason', () => {
    const problems = publishAmiInputProblems({ ...good, arch: 'ppc64le', name: 'bad|name', regions: ['eu-west-1', 'mars-1', 'eu-west-1'], kind: 'daily' });
    expect(problems.map((p) => p.reason)).toEqual(['unsupported-arch', 'bad-name', 'unknown-region', 'invalid-input', 'invalid-input']);
  });

  it('maps arches and sizes', () => {
    expect(ec2ArchOf('aarch64')).toBe('arm64');
    expect(ec2ArchOf('x86_64')).toBe('x86_64');
    expect(ec2ArchOf('s390x')).toBeUndefined();
    expect(ec2ArchOf('toString')).toBeUndefined();
    expect(volumeGiBFor(1)).toBe(1);
    expect(volumeGiBFor(5 * 1024 ** 3)).toBe(5);
    expect(volumeGiBFor(5 * 1024 ** 3 + 1)).toBe(6);
  });
});

describe('registration settings', () => {
  it('defaults: uefi-preferred on x86_64, uefi on arm64, IMDSv2, gp3, ENA, no TPM', () => {
    expect(resolveAmiSettings('x86_64')).toMatchObject({ bootMode: 'uefi-preferred', tpm: false, imdsV2Only: true, volumeType: 'gp3', enaSupport: true });
    expect(resolveAmiSettings('arm64').bootMode).toBe('uefi');
  });

  it('layers config defaults, family and arch overrides; undefined keeps the lower layer', () => {
    const s = resolveAmiSettings('x86_64', { volumeType: 'gp2' }, { bootMode: 'uefi', tpm: true }, { volumeType: undefined });
    expect(s).toMatchObject({ volumeType: 'gp2', bootMode: 'uefi', tpm: true });
    expect(amiSettingsProblems(s, 'x86_64')).toEqual([]);
    expect(amiSettingsProblems(resolveAmiSettings('x86_64', { tpm: true }), 'x86_64')).toEqual([expect.stringMatching(/TPM needs bootMode "uefi"/)]);
    expect(amiSettingsProblems(resolveAmiSettings('arm64', { bootMode: 'legacy-bios' }), 'arm64')).toHaveLength(1);
  });

  it('RegisterImage carries the reference parameters', () => {
    const req = registerImageRequest({ name: 'n-x', description: 'd', arch: 'x86_64', snapshotId: 'snap-1', settings: resolveAmiSettings('x86_64'), tags: { a: 'b' } });
    expect(req).toEqual({
      Name: 'n-x',
      Description: 'd',
      Architecture: 'x86_64',
      RootDeviceName: '/dev/sda1',
      BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { SnapshotId: 'snap-1', VolumeType: 'gp3', DeleteOnTermination: true } }],
      VirtualizationType: 'hvm',
      EnaSupport: true,
      SriovNetSupport: 'simple',
      BootMode: 'uefi-preferred',
      ImdsSupport: 'v2.0',
      TagSpecifications: [{ ResourceType: 'image', Tags: [{ Key: 'a', Value: 'b' }] }],
    });
    const arm = registerImageRequest({ name: 'n-a', description: 'd', arch: 'arm64', snapshotId: 'snap-1', settings: resolveAmiSettings('arm64', { tpm: true }), tags: {} });
    expect(arm).toMatchObject({ Architecture: 'arm64', BootMode: 'uefi', TpmSupport: 'v2.0' });
  });
});

describe('tags and time', () => {
  it('tags every resource with the identity and the managed marker', () => {
    expect(amiTags({ ...good, family: 'Cloud-Base-AmazonEC2', release: '44', kind: 'release', buildId: 'Fedora-44-20260422.1' })).toEqual({
      Name: good.name,
      FedoraRelease: '44',
      FedoraCompose: 'Fedora-44-20260422.1',
      FedoraFamily: 'Cloud-Base-AmazonEC2',
      Arch: 'x86_64',
      ImageKind: 'release',
      KojiTaskId: '123',
      'fedimg:managed': 'true',
      'fedimg:image-key': good.imageKey,
    });
  });

  it('rounds the deprecation time up to the minute', () => {
    expect(deprecationTime(Date.parse('2026-11-22T10:00:30.500Z'), 30)).toBe('2026-12-22T10:01:00.000Z');
  });

  it('backs off polls up to a cap', () => {
    const p = { initialMs: 1000, maxMs: 4000 };
    expect([0, 1, 2, 3, 4].map((a) => pollDelayMs(a, p))).toEqual([1000, 1500, 2250, 3375, 4000]);
  });
});

describe('retention plan', () => {
  const now = Date.parse('2026-11-22T00:00:00Z');
  const day = 86_400_000;
  const img = (id: string, ageDays: number, tags: Record<string, string>, more: Partial<ManagedImage> = {}): ManagedImage => ({
    region: 'us-east-1',
    imageId: id,
    name: id,
    state: 'available',
    creationDate: new Date(now - ageDays * day).toISOString(),
    public: true,
    snapshotIds: [`snap-${id}`],
    tags,
    ...more,
  });
  const nightly = { 'fedimg:managed': 'true', ImageKind: 'nightly' };

  it('acts only on old managed nightlies; never on releases, RCs, protected or unmanaged images', () => {
    const plan = planRetention(
      [
        img('old', 40, nightly),
        img('young', 5, nightly),
        img('release', 400, { 'fedimg:managed': 'true', ImageKind: 'release' }),
        img('rc', 400, { 'fedimg:managed': 'true', ImageKind: 'rc' }),
        img('protected', 400, { ...nightly, 'fedimg:protected': 'true' }),
        img('foreign', 400, { ImageKind: 'nightly' }),
      ],
      { nowMs: now, olderThanDays: 30 },
    );
    expect(plan.actions).toEqual([{ region: 'us-east-1', imageId: 'old', name: 'old', steps: ['deprecate', 'make-private', 'deregister'], snapshotIds: ['snap-old'], ageDays: 40 }]);
    expect(Object.fromEntries(plan.kept.map((k) => [k.imageId, k.reason]))).toEqual({
      young: '5.0 days old',
      release: 'kind is release, only nightlies expire',
      rc: 'kind is rc, only nightlies expire',
      protected: 'tagged protected/official',
      foreign: 'not managed by fedimg',
    });
  });

  it('staged: deprecate first, private after the gap, removal after two gaps', () => {
    const plan = planRetention(
      [img('a', 31, nightly), img('b', 38, nightly, { deprecationTime: new Date(now - 7 * day).toISOString() }), img('c', 45, nightly, { public: false, deprecationTime: new Date(now - day).toISOString() })],
      { nowMs: now, olderThanDays: 30, stageGapDays: 7 },
    );
    expect(plan.actions.map((a) => [a.imageId, a.steps])).toEqual([
      ['a', ['deprecate']],
      ['b', ['make-private']],
      ['c', ['deregister']],
    ]);
  });
});
