// checkReleaseRequest: the one door every request goes through. It returns ALL the problems,
// each with the field as `fedimg build` spells it (or the config path), and on success the input
// carrying exactly the arches, regions and description the request chose.
import { describe, expect, it } from 'vitest';
import base from '../../../temporal.config';
import { checkReleaseRequest, type ReleaseRequest } from '../../../config/release-input';
import { loadConfig } from '../../../config/load';
import { desiredSchedules } from '../../../scripts/schedules/desired';
import { testConfig } from '../cli/helpers';

const NOW = new Date('2026-11-22T10:00:00Z');
const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const ec2Respin: ReleaseRequest = { family: 'Cloud-Base-AmazonEC2', release: '44', kind: 'respin', label: '20261122.1' };

function problems(req: ReleaseRequest, config = testConfig()) {
  const r = checkReleaseRequest(config, req, NOW);
  if (r.ok) throw new Error('expected problems');
  return r.problems;
}

function input(req: ReleaseRequest, config = testConfig()) {
  const r = checkReleaseRequest(config, req, NOW);
  if (!r.ok) throw new Error(r.problems.map((p) => `${p.field}: ${p.message}`).join('\n'));
  return r.release;
}

describe('release request', () => {
  it('returns every problem at once, each naming its field', () => {
    const all = problems({ family: 'Cloud-Base-AmazonEC2', release: 'f44', kind: 'rc', label: '1-7', arches: ['s390x'], regions: ['eu-westt-1'], scm: 'git+https://pagure.io/fedora-kiwi-descriptions.git?#main', repos: ['ftp://x/'] });
    expect(all.map((p) => p.field)).toEqual(['release', 'label', 'repo', 'scm', 'arch', 'region']);
    expect(all.find((p) => p.field === 'region')?.fix).toContain('did you mean eu-west-1?');
  });

  it('refuses an unknown family listing the configured ones, and checks nothing that needs the family', () => {
    expect(problems({ ...ec2Respin, family: 'Cloud-Base-AmazonEc2', arches: ['s390x'] })).toEqual([
      { field: 'family', message: 'no family named "Cloud-Base-AmazonEc2"', fix: 'use one of Cloud-Base-Generic, Cloud-Base-AmazonEC2, Cloud-Base-Oz (families[].name in the config)' },
    ]);
  });

  it('carries the chosen arches, regions and description into the input; the name stays the release name', () => {
    const scm = `git+https://pagure.io/fedora-kiwi-descriptions.git?#${COMMIT}`;
    const r = input({ ...ec2Respin, arches: ['aarch64'], regions: ['eu-west-1', 'eu-west-1'], scm });
    expect(r.workflowId).toBe('image/Cloud-Base-AmazonEC2/44/44-20261122.1');
    expect(r.input.family.arches).toEqual(['aarch64']);
    // The source region comes along: the image is registered there before any copy is made.
    expect(r.input.settings.ec2?.regions).toEqual(['us-east-1', 'eu-west-1']);
    expect(r.input.settings.ec2?.sourceRegion).toBe('us-east-1');
    expect(input({ ...ec2Respin, regions: ['eu-west-1', 'us-east-1'], scm }).input.settings.ec2?.regions).toEqual(['us-east-1', 'eu-west-1']);
    expect(r.input.family.koji).toMatchObject({ kind: 'kiwi', descriptionScm: scm, profile: 'Cloud-Base-AmazonEC2' });
    // The config itself is untouched (the input is a copy).
    const config = testConfig();
    input({ ...ec2Respin, arches: ['aarch64'], regions: ['eu-west-1'], scm }, config);
    expect(config.families[1]?.arches).toEqual(['x86_64', 'aarch64']);
    expect(config.aws.regions).toHaveLength(5);
  });

  it('without restrictions gives exactly what the config gives (the schedules rely on it)', () => {
    const r = input({ family: 'Cloud-Base-Generic', release: 'rawhide', kind: 'nightly' });
    expect(r.name).toEqual({ version: 'Rawhide', label: '20261122.n.0' });
    expect(r.input.family.arches).toEqual(['x86_64', 'aarch64']);
    expect(r.input.settings.ec2?.regions).toEqual(testConfig().aws.regions);
  });

  it('refuses regions for a family that does not publish to EC2', () => {
    expect(problems({ family: 'Cloud-Base-Generic', release: '44', kind: 'rc', label: '1.7', regions: ['eu-west-1'] })).toEqual([
      { field: 'region', message: 'family Cloud-Base-Generic does not publish to EC2 (destinations: downloads, glance)', fix: 'leave out --region, or build a family whose destinations include "ec2"' },
    ]);
  });

  it('lets only rc and respin override the description; nightlies build what the config pins', () => {
    const scm = `git+https://pagure.io/fedora-kiwi-descriptions.git?#${COMMIT}`;
    expect(problems({ family: 'Cloud-Base-Generic', release: 'rawhide', kind: 'nightly', scm })).toEqual([
      { field: 'scm', message: 'a nightly build cannot override the kiwi description', fix: 'leave out --scm (nightly builds use families[0].koji.descriptionScm in the config) or use --kind rc or respin' },
    ]);
    // An Oz family's SCM is its kickstart.
    expect(input({ family: 'Cloud-Base-Oz', release: '44', kind: 'respin', label: '20261122.0', scm: `git+https://pagure.io/fedora-kickstarts.git?#${COMMIT}` }).input.family.koji).toMatchObject({
      kind: 'oz',
      kickstartScm: `git+https://pagure.io/fedora-kickstarts.git?#${COMMIT}`,
    });
    expect(problems({ family: 'Cloud-Base-Oz', release: '44', kind: 'respin', label: '20261122.0', scm: 'git+https://pagure.io/fedora-kickstarts.git?#f44' })[0]).toMatchObject({
      field: 'scm',
      message: expect.stringContaining('Koji must build the kickstart from a git URL at a commit'),
    });
  });

  it('refuses a label whose AMI name EC2 would refuse, only for EC2 families', () => {
    const label = `1.${'7'.repeat(95)}`;
    expect(problems({ ...ec2Respin, label })[0]).toMatchObject({ field: 'label', message: expect.stringContaining('AMI name must be 3-128 characters') });
    expect(input({ family: 'Cloud-Base-Generic', release: '44', kind: 'rc', label }).name.label).toBe(label);
    expect(problems({ ...ec2Respin, label: '1.7+fix' })[0]?.message).toContain('has characters EC2 refuses: "+"');
  });
});

describe('the SCM rule in the config schema', () => {
  it('refuses a family description or kickstart not pinned to a commit, naming its path', () => {
    const r = loadConfig({
      base,
      env: {
        FEDIMG__FAMILIES: JSON.stringify(
          base.families.map((f, i) =>
            i === 0 ? { ...f, koji: { ...f.koji, descriptionScm: 'git+https://pagure.io/fedora-kiwi-descriptions.git?#main' } } : i === 2 ? { ...f, koji: { ...f.koji, kickstartScm: 'https://pagure.io/fedora-kickstarts' } } : f,
          ),
        ),
      },
    });
    if (r.ok) throw new Error('expected the config to be refused');
    expect(r.problems).toEqual([
      'families[0].koji.descriptionScm: expected a git URL at a full 40-hex commit such as git+https://host/repo.git?#<commit> (this one pins "main", a branch or tag, not a commit), found "git+https://pagure.io/fedora-kiwi-descriptions.git?#main"',
      'families[2].koji.kickstartScm: expected a git URL at a full 40-hex commit such as git+https://host/repo.git?#<commit> (this one is not a git URL Koji takes (its scheme must be git://, git+http://, git+https://, git+rsync://, git+ssh://)), found "https://pagure.io/fedora-kickstarts"',
    ]);
  });
});

describe('the schedules', () => {
  it('report a schedule whose releases the rules would refuse, at its config path, and make no schedule for it', () => {
    const config = testConfig((c) => {
      c.families[1]!.arches = ['x86_64', 's390x'];
    });
    const { schedules, problems: found } = desiredSchedules(config);
    expect(found).toContainEqual({
      path: 'families[1].arches',
      message:
        'family Cloud-Base-AmazonEC2 publishes to EC2, which runs only x86_64 and aarch64, but the build would include s390x; leave those arches out (--arch x86_64 --arch aarch64) or drop "ec2" from the family\'s destinations',
    });
    expect(schedules.map((s) => s.configId)).not.toContain('cloud-base-ec2-rawhide-nightly');
    expect(schedules.map((s) => s.configId)).toContain('cloud-base-generic-rawhide-nightly');
  });
});

describe('the schedules, release spelling', () => {
  it('refuse a schedule release with leading zeros, which the workflow would refuse at 4 a.m.', () => {
    const config = testConfig((c) => {
      c.families[0]!.schedules[1]!.release = '044';
    });
    const { schedules, problems: found } = desiredSchedules(config);
    expect(found).toEqual([{ path: 'families[0].schedules[1].release', message: '"044" is not written the canonical way; write "44"' }]);
    expect(schedules.map((s) => s.configId)).not.toContain('cloud-base-generic-44-weekly');
  });
});
