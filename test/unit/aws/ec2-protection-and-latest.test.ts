// Deregistration protection as retention sees it, and the names of the "latest image" SSM
// parameters (what users type after resolve:ssm:).
import { describe, expect, it } from 'vitest';
import { latestParameterName, latestParameterPrefixProblem, protectsFromDeregistration } from '../../../domain/ec2';
import { planRetention, type ManagedImage } from '../../../domain/ec2-retention';

const day = 86_400_000;
const now = Date.parse('2026-12-01T00:00:00Z');
const img = (id: string, kind: string, deregistrationProtection?: string): ManagedImage => ({
  region: 'us-east-1',
  imageId: id,
  name: id,
  state: 'available',
  creationDate: new Date(now - 400 * day).toISOString(),
  public: true,
  snapshotIds: [`snap-${id}`],
  tags: { 'fedimg:managed': 'true', ImageKind: kind },
  ...(deregistrationProtection ? { deregistrationProtection } : {}),
});

describe('retention and deregistration protection', () => {
  it('keeps protected images, saying why, and plans no step for them', () => {
    const plan = planRetention(
      [
        img('release', 'release', 'enabled-with-cooldown'),
        img('nightly-protected', 'nightly', 'enabled-without-cooldown'),
        img('cooling-down', 'nightly', 'disabled-until 2026-12-01T12:00:00.000Z'),
        img('nightly', 'nightly', 'disabled'),
      ],
      { nowMs: now, olderThanDays: 30 },
    );
    expect(plan.actions.map((a) => a.imageId)).toEqual(['nightly']);
    expect(Object.fromEntries(plan.kept.map((k) => [k.imageId, k.reason]))).toEqual({
      release: 'deregistration protection is on (enabled-with-cooldown); kind is release',
      'nightly-protected': 'deregistration protection is on (enabled-without-cooldown)',
      'cooling-down': 'deregistration protection is on (disabled-until 2026-12-01T12:00:00.000Z)',
    });
  });

  it('protects release and RC images only', () => {
    expect(['nightly', 'weekly', 'rc', 'respin', 'release'].filter((k) => protectsFromDeregistration(k as never))).toEqual(['rc', 'release']);
  });
});

describe('latest image parameters', () => {
  it('names one pointer per family, release, arch and kind; releases move latest', () => {
    const p = { family: 'Cloud-Base-AmazonEC2', release: '44', arch: 'x86_64' };
    expect(latestParameterName('/fedora', { ...p, kind: 'release' })).toBe('/fedora/Cloud-Base-AmazonEC2/44/x86_64/latest');
    expect(latestParameterName('/fedora', { ...p, kind: 'respin' })).toBe('/fedora/Cloud-Base-AmazonEC2/44/x86_64/latest');
    expect(latestParameterName('/fedora', { ...p, release: 'Rawhide', kind: 'nightly' })).toBe('/fedora/Cloud-Base-AmazonEC2/rawhide/x86_64/nightly');
    expect(latestParameterName('/org/fedora', { ...p, kind: 'rc' })).toBe('/org/fedora/Cloud-Base-AmazonEC2/44/x86_64/rc');
  });

  it('refuses prefixes SSM would refuse, naming the rule', () => {
    expect(latestParameterPrefixProblem('/fedora')).toBeUndefined();
    expect(latestParameterPrefixProblem('fedora')).toMatch(/not an SSM parameter path/);
    expect(latestParameterPrefixProblem('/fedora/')).toMatch(/no trailing slash/);
    expect(latestParameterPrefixProblem('/aws/fedora')).toMatch(/AWS reserves/);
  });
});
