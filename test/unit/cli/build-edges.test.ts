// `fedimg build` and `retry-regions` at the edges: each bad input exits 2 with one line naming
// the field and the fix, before the CLI even connects to Temporal (so nothing can be started).
import { describe, expect, it } from 'vitest';
import { run } from '../../../scripts/cli/program';
import { captureDeps } from './helpers';

const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const ec2 = ['build', '--family', 'Cloud-Base-AmazonEC2', '--release', '44', '--kind', 'respin', '--label', '20261122.1'];

async function refused(args: string[]) {
  let connects = 0;
  const c = captureDeps(undefined, {
    connect: () => {
      connects += 1;
      return Promise.reject(new Error('must not connect'));
    },
  });
  const code = await run(args, c.deps);
  return { code, err: c.err(), out: c.out(), connects };
}

describe('fedimg build refuses bad input before connecting', () => {
  it.each([
    ['an unknown family', ['build', '--family', 'Cloud-Base-AmazonEc2', '--release', '44', '--kind', 'rc', '--label', '1.7'], 'family: no family named "Cloud-Base-AmazonEc2"; use one of Cloud-Base-Generic, Cloud-Base-AmazonEC2, Cloud-Base-Oz'],
    ['an arch the family does not build', [...ec2, '--arch', 's390x'], 'arch: family Cloud-Base-AmazonEC2 does not build s390x; choose from its arches (x86_64, aarch64)'],
    ['an arch Fedora does not build', [...ec2, '--arch', 'arm64'], 'arch: "arm64" is not an architecture Fedora builds; use one of x86_64, aarch64, ppc64le, s390x, riscv64'],
    ['a release that is not a number', ['build', '--family', 'Cloud-Base-Generic', '--release', 'f44', '--kind', 'rc', '--label', '1.7'], 'release: "f44" is not a Fedora release; give a number such as 44, or "rawhide"'],
    ['a description at a branch', [...ec2, '--scm', 'git+https://pagure.io/fedora-kiwi-descriptions.git?#f44'], 'scm: "git+https://pagure.io/fedora-kiwi-descriptions.git?#f44" pins "f44", a branch or tag, not a commit; Koji must build the kiwi description from a git URL at a commit; pin it to the full 40-hex commit hash, e.g. git+https://pagure.io/fedora-kiwi-descriptions.git?#<commit>'],
    ['a description that is not a git URL', [...ec2, '--scm', `https://pagure.io/fedora-kiwi-descriptions/blob/${COMMIT}/f/Fedora.kiwi`], 'scm: "https://pagure.io/fedora-kiwi-descriptions/blob/'],
    ['a region typo', [...ec2, '--region', 'eu-west1'], 'region: "eu-west1" is not an AWS region name; did you mean eu-west-1? write it like eu-west-1'],
    ['a region not configured', [...ec2, '--region', 'eu-west-3'], 'region: eu-west-3 is not one of the configured regions; use one of us-east-1, us-east-2, us-west-2, eu-west-1, eu-central-1 (aws.regions in the config)'],
    ['a label with "-"', [...ec2.slice(0, -1), '20261122-1'], 'label: "20261122-1" has characters Koji refuses in a label ("-"); use letters, digits and . _ + ~ only, e.g. 20261122.0'],
    ['a label with a space', [...ec2.slice(0, -1), '1.7 final'], 'label: "1.7 final" has characters Koji refuses in a label (" ")'],
    ['a label that makes an AMI name EC2 refuses', [...ec2.slice(0, -1), `1.${'0'.repeat(95)}`], 'label: the AMI name it gives is refused by EC2: AMI name must be 3-128 characters (got 135)'],
  ])('%s', async (_what, args, line) => {
    const r = await refused(args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`fedimg build: ${line}`);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.connects).toBe(0);
  });

  it('names every bad field at once', async () => {
    const r = await refused(['build', '--family', 'Cloud-Base-AmazonEC2', '--release', 'f44', '--kind', 'rc', '--label', '1-7', '--arch', 's390x', '--region', 'eu-west1']);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')).toEqual([
      'fedimg build: release, label, arch, region: the request has 4 problems:',
      '  - release: "f44" is not a Fedora release; give a number such as 44, or "rawhide"',
      '  - label: "1-7" has characters Koji refuses in a label ("-"); use letters, digits and . _ + ~ only, e.g. 1.7',
      '  - arch: family Cloud-Base-AmazonEC2 does not build s390x; choose from its arches (x86_64, aarch64) or add s390x to families[1].arches (config)',
      '  - region: "eu-west1" is not an AWS region name; did you mean eu-west-1? write it like eu-west-1; configured: us-east-1, us-east-2, us-west-2, eu-west-1, eu-central-1',
      '',
    ]);
    expect(r.connects).toBe(0);
  });

  it('gives the field in --json too', async () => {
    const r = await refused([...ec2, '--region', 'eu-west1', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out)).toMatchObject({ error: { kind: 'usage', field: 'region', message: '"eu-west1" is not an AWS region name', exitCode: 2 } });
  });

  it('gets as far as Temporal with the same options made valid (the refusals above are the rules, not the plumbing)', async () => {
    const r = await refused([...ec2, '--arch', 'aarch64', '--region', 'eu-west-1', '--scm', `git+https://pagure.io/fedora-kiwi-descriptions.git?#${COMMIT}`]);
    expect(r.connects).toBe(1);
    expect(r.code).toBe(1);
  });
});

describe('fedimg retry-regions refuses region typos before connecting', () => {
  it.each([
    [['eu-westt-1'], 'region: eu-westt-1 is not one of the configured regions; use one of us-east-1, us-east-2, us-west-2, eu-west-1, eu-central-1 (aws.regions in the config); did you mean eu-west-1?'],
    [['us-east1'], 'region: "us-east1" is not an AWS region name; did you mean us-east-1?'],
  ])('%j', async (regions, line) => {
    const r = await refused(['retry-regions', 'image/Cloud-Base-AmazonEC2/44/44-1.7', '--region', ...regions]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`fedimg retry-regions: ${line}`);
    expect(r.connects).toBe(0);
  });
});
