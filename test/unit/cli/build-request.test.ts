// `fedimg build` validation: every refusal names the field and says what to write instead.
import { describe, expect, it } from 'vitest';
import { planBuild, type BuildOptions } from '../../../scripts/cli/build-request';
import { UsageError } from '../../../scripts/cli/errors';
import { testConfig } from './helpers';

const NOW = new Date('2026-11-22T10:00:00Z');
const KIWI = 'git+https://pagure.io/fedora-kiwi-descriptions.git?#4e3d1b2c9a0f7e6d5c4b3a29180706f5e4d3c2b1';

function refusal(opts: BuildOptions, config = testConfig()): UsageError {
  try {
    planBuild(config, opts, NOW);
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error('expected a UsageError');
}

const rc: BuildOptions = { family: 'Cloud-Base-Generic', release: '44', kind: 'rc', label: '1.7' };

describe('build request', () => {
  it('names the workflow after family, release and build name, with the family recipe as input', () => {
    const plan = planBuild(testConfig(), rc, NOW);
    expect(plan.workflowId).toBe('image/Cloud-Base-Generic/44/44-1.7');
    expect(plan.name).toEqual({ version: '44', label: '1.7' });
    expect(plan.taskQueue).toBe('fedimg');
    expect(plan.input).toMatchObject({ release: '44', kind: 'rc', scratch: true, family: { name: 'Cloud-Base-Generic', arches: ['x86_64', 'aarch64'] } });
    expect(Object.fromEntries(plan.searchAttributes.map((p) => [p.key.name, p.value]))).toEqual({
      FedoraRelease: '44',
      ImageFamily: 'Cloud-Base-Generic',
      ImageKind: 'rc',
      Arches: ['x86_64', 'aarch64'],
    });
  });

  it('defaults nightly and weekly labels from today, by the scheduled naming rule', () => {
    expect(planBuild(testConfig(), { family: 'Cloud-Base-Generic', release: 'rawhide', kind: 'nightly' }, NOW).workflowId).toBe(
      'image/Cloud-Base-Generic/rawhide/Rawhide-20261122.n.0',
    );
    expect(planBuild(testConfig(), { family: 'Cloud-Base-Generic', release: '44', kind: 'weekly' }, NOW).name).toEqual({ version: '44', label: '20261122.weekly' });
  });

  it('passes --no-scratch, repos, version and an arch subset through', () => {
    const plan = planBuild(testConfig(), { ...rc, scratch: false, repo: ['https://example.org/r/'], version: '44_Beta', arch: ['x86_64'] }, NOW);
    expect(plan.input).toMatchObject({ scratch: false, repos: ['https://example.org/r/'], name: { version: '44_Beta' }, family: { arches: ['x86_64'] } });
    expect(plan.workflowId).toBe('image/Cloud-Base-Generic/44/44_Beta-1.7');
  });

  it.each([
    [{ ...rc, family: undefined }, 'family', 'give --family with one of Cloud-Base-Generic'],
    [{ ...rc, family: 'Cloud-Base' }, 'family', 'use one of Cloud-Base-Generic, Cloud-Base-AmazonEC2, Cloud-Base-Oz'],
    [{ ...rc, release: 'f44' }, 'release', 'give a number such as 44, or "rawhide"'],
    [{ ...rc, release: undefined }, 'release', 'give --release'],
    [{ ...rc, kind: 'beta' }, 'kind', 'use one of nightly, weekly, rc, respin'],
    [{ ...rc, label: undefined }, 'label', 'give --label, e.g. --label 1.7'],
    [{ ...rc, kind: 'respin', label: undefined }, 'label', 'e.g. --label 20261122.0'],
    [{ ...rc, label: '1-7' }, 'label', 'use letters, digits and . _ + ~ only'],
    [{ ...rc, version: '44 Beta' }, 'version', 'e.g. 44 or 44_Beta'],
    [{ ...rc, repo: ['ftp://x/'] }, 'repo', "give the repository's base URL"],
    [{ ...rc, arch: ['amd64'] }, 'arch', 'use one of x86_64, aarch64, ppc64le, s390x, riscv64'],
    [{ ...rc, arch: ['s390x'] }, 'arch', 'choose from its arches (x86_64, aarch64) or add s390x to families[0].arches'],
  ] as Array<[BuildOptions, string, string]>)('refuses %j naming %s and the fix', (opts, field, fix) => {
    const e = refusal(opts);
    expect(e.field).toBe(field);
    expect(e.fix).toContain(fix);
    expect(e.exitCode).toBe(2);
    expect(e.line()).toMatch(new RegExp(`^${field}: `));
  });

  it('refuses a kiwi description that is not a git URL at a full commit, naming the config field', () => {
    for (const [url, problem] of [
      ['git+https://pagure.io/fedora-kiwi-descriptions.git?#main', 'pins "main", a branch or tag, not a commit'],
      ['git+https://pagure.io/fedora-kiwi-descriptions.git', 'names no commit'],
      ['git+https://pagure.io/fedora-kiwi-descriptions.git?#4e3d1b2c', 'pins a 8-character hash'],
      ['https://pagure.io/fedora-kiwi-descriptions/raw/main/f/Fedora.kiwi#4e3d1b2c9a0f7e6d5c4b3a29180706f5e4d3c2b1', 'Koji must build the kiwi description from a git URL at a commit'],
    ]) {
      const config = testConfig((c) => {
        const k = c.families[0]!.koji;
        if (k.kind === 'kiwi') k.descriptionScm = url!;
      });
      const e = refusal(rc, config);
      expect(e.field).toBe('families[0].koji.descriptionScm (config)');
      expect(e.message).toContain(problem);
      expect(e.fix).toContain('#<commit>');
    }
    expect(() => planBuild(testConfig(), rc, NOW)).not.toThrow();
    expect(KIWI).toMatch(/#[0-9a-f]{40}$/);
  });

  it('refuses arches EC2 cannot run for a family that publishes to EC2', () => {
    const config = testConfig((c) => c.families[1]!.arches.push('ppc64le'));
    const e = refusal({ ...rc, family: 'Cloud-Base-AmazonEC2' }, config);
    expect(e.field).toBe('families[1].arches (config)');
    expect(e.message).toContain('EC2, which runs only x86_64 and aarch64');
    expect(e.fix).toContain("drop \"ec2\" from the family's destinations");
    // Leaving the arch out on the command line is the fix that needs no config change.
    expect(planBuild(config, { ...rc, family: 'Cloud-Base-AmazonEC2', arch: ['x86_64'] }, NOW).input.family.arches).toEqual(['x86_64']);
  });
});
