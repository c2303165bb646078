// The request rules one by one: each refusal names the field the caller gave, quotes the value
// and says what to write instead.
import { describe, expect, it } from 'vitest';
import { ARCHES } from '../../../config/schema';
import {
  amiNameProblems,
  archProblems,
  FEDORA_ARCHES,
  kindProblem,
  kojiNameProblem,
  normalizeRelease,
  regionProblems,
  releaseProblem,
  repoProblem,
  singleArchProblem,
} from '../../../domain/request-rules';

const CONFIGURED = ['us-east-1', 'us-east-2', 'us-west-2', 'eu-west-1', 'eu-central-1'];

describe('release', () => {
  it('takes a number or rawhide, and writes it one way', () => {
    expect(['44', '044', 'rawhide', 'Rawhide', 'RAWHIDE'].map(normalizeRelease)).toEqual(['44', '44', 'rawhide', 'rawhide', 'rawhide']);
    expect(releaseProblem('44')).toBeUndefined();
  });

  it.each(['f44', '44.1', '-1', '0', 'rawhide2', 'eln', '44 ', '123456'])('refuses %j naming the field', (raw) => {
    expect(releaseProblem(raw, 'families[0].schedules[1].release')).toEqual({
      field: 'families[0].schedules[1].release',
      message: `"${raw}" is not a Fedora release`,
      fix: 'give a number such as 44, or "rawhide"',
    });
  });

  it('says missing when there is none', () => {
    expect(releaseProblem(undefined)).toMatchObject({ field: 'release', message: 'missing' });
  });
});

describe('kind', () => {
  it('refuses an unknown kind listing the kinds', () => {
    expect(kindProblem('beta')).toEqual({ field: 'kind', message: '"beta" is not a build kind', fix: 'use one of nightly, weekly, rc, respin' });
    expect(kindProblem('rc')).toBeUndefined();
  });
});

describe('Koji names (label, version)', () => {
  it.each(['1.7', '20261122.n.0', '20261123.weekly', '44_Beta', '1.7+fix', '1~rc1'])('accepts %s', (v) => {
    expect(kojiNameProblem(v, 'label', 'label', '1.7')).toBeUndefined();
  });

  it.each([
    ['1-7', '"-"'],
    ['1.7 final', '" "'],
    ['1.7\tx', '"\\t"'],
    ['1.7/2', '"/"'],
    ['é1', '"é"'],
  ])('refuses %j naming the characters Koji refuses', (v, chars) => {
    const p = kojiNameProblem(v, 'label', 'label', '1.7');
    expect(p?.field).toBe('label');
    expect(p?.message).toBe(`${JSON.stringify(v)} has characters Koji refuses in a label (${chars})`);
    expect(p?.fix).toBe('use letters, digits and . _ + ~ only, e.g. 1.7');
  });

  it('refuses a label whose AMI name EC2 would refuse: too long, or a character Koji allows and EC2 does not', () => {
    const long = 'x'.repeat(100);
    const [tooLong] = amiNameProblems({ family: 'Cloud-Base-AmazonEC2', version: '44', label: long, arches: ['x86_64', 'aarch64'] }, 'label');
    expect(tooLong?.field).toBe('label');
    expect(tooLong?.message).toBe('the AMI name it gives is refused by EC2: AMI name must be 3-128 characters (got 138)');
    expect(tooLong?.fix).toBe('use a shorter label of letters, digits and . _ only');
    const [plus] = amiNameProblems({ family: 'Cloud-Base-AmazonEC2', version: '44', label: '1.7+fix', arches: ['x86_64'] }, 'label');
    expect(plus?.message).toContain('has characters EC2 refuses: "+"');
    // Arches EC2 does not run make no AMI, so no AMI name to check.
    expect(amiNameProblems({ family: 'Cloud-Base-AmazonEC2', version: '44', label: long, arches: ['s390x'] }, 'label')).toEqual([]);
    expect(amiNameProblems({ family: 'Cloud-Base-AmazonEC2', version: '44', label: '1.7', arches: ['x86_64', 'aarch64'] }, 'label')).toEqual([]);
  });
});

describe('arches', () => {
  const family = { name: 'Cloud-Base-AmazonEC2', arches: ['x86_64', 'aarch64'], destinations: ['downloads', 'ec2'] as const };

  it('is the schema list', () => {
    expect([...FEDORA_ARCHES]).toEqual([...ARCHES]);
  });

  it('accepts a subset of the family arches (a one-arch respin)', () => {
    expect(archProblems(['aarch64'], family, 'arch', 'families[1].arches (config)')).toEqual([]);
    expect(archProblems(undefined, family, 'arch', 'families[1].arches (config)')).toEqual([]);
  });

  it('refuses an arch Fedora does not build, and one the family does not build, each named', () => {
    expect(archProblems(['amd64', 's390x'], family, 'arch', 'families[1].arches (config)')).toEqual([
      { field: 'arch', message: '"amd64" is not an architecture Fedora builds', fix: 'use one of x86_64, aarch64, ppc64le, s390x, riscv64' },
      { field: 'arch', message: 'family Cloud-Base-AmazonEC2 does not build s390x', fix: 'choose from its arches (x86_64, aarch64) or add s390x to families[1].arches (config)' },
    ]);
  });

  it('refuses arches EC2 cannot run for a family that publishes to EC2, on the config field when the config has them', () => {
    const wide = { ...family, arches: ['x86_64', 'ppc64le'] };
    expect(archProblems(undefined, wide, 'arch', 'families[1].arches (config)')).toEqual([
      {
        field: 'families[1].arches (config)',
        message: 'family Cloud-Base-AmazonEC2 publishes to EC2, which runs only x86_64 and aarch64, but the build would include ppc64le',
        fix: 'leave those arches out (--arch x86_64 --arch aarch64) or drop "ec2" from the family\'s destinations',
      },
    ]);
    expect(archProblems(['x86_64'], wide, 'arch', 'families[1].arches (config)')).toEqual([]);
  });
});

describe('livecd and appliance builds', () => {
  it('make one arch: Koji\'s buildImage takes one', () => {
    expect(singleArchProblem('livecd', ['x86_64', 'aarch64'], 'arch')).toEqual({
      field: 'arch',
      message: "a livecd build makes one arch (Koji's buildImage takes one), not x86_64, aarch64",
      fix: 'build one arch per release, e.g. --arch x86_64',
    });
    expect(singleArchProblem('appliance', ['x86_64'], 'arch')).toBeUndefined();
    expect(singleArchProblem('kiwi', ['x86_64', 'aarch64'], 'arch')).toBeUndefined();
  });
});

describe('EC2 regions', () => {
  it('accepts configured regions', () => {
    expect(regionProblems(['eu-west-1', 'us-east-2', 'eu-west-1'], CONFIGURED, 'region')).toEqual([]);
  });

  it('refuses a name that is not a region, suggesting the configured one meant', () => {
    expect(regionProblems(['eu-west1'], CONFIGURED, 'region')).toEqual([
      { field: 'region', message: '"eu-west1" is not an AWS region name', fix: `did you mean eu-west-1? write it like eu-west-1; configured: ${CONFIGURED.join(', ')}` },
    ]);
    expect(regionProblems(['EU-WEST-1'], CONFIGURED, 'region')[0]?.message).toBe('"EU-WEST-1" is not an AWS region name');
  });

  it('refuses a region-shaped typo and a real region not configured, listing aws.regions', () => {
    expect(regionProblems(['eu-westt-1', 'ap-south-2'], CONFIGURED, 'region')).toEqual([
      { field: 'region', message: 'eu-westt-1 is not one of the configured regions', fix: `use one of ${CONFIGURED.join(', ')} (aws.regions in the config); did you mean eu-west-1?` },
      { field: 'region', message: 'ap-south-2 is not one of the configured regions', fix: `use one of ${CONFIGURED.join(', ')} (aws.regions in the config)` },
    ]);
  });
});

describe('repos', () => {
  it('takes http(s) URLs only', () => {
    expect(repoProblem('https://kojipkgs.fedoraproject.org/repos/f44-build/latest/$arch/', 'repo')).toBeUndefined();
    expect(repoProblem('ftp://x/', 'repo')).toMatchObject({ field: 'repo', message: '"ftp://x/" is not an http(s) URL' });
    expect(repoProblem('https://', 'repo')).toBeDefined();
  });
});
