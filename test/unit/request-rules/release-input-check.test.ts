// The workflow's first-step check on its input: every problem named by its path in the input,
// nothing thrown on garbage, and the inputs of recorded histories and the config's own requests
// pass (a check that refused them would break replay or every release).
import { describe, expect, it } from 'vitest';
import { releaseInput } from '../../../config/release-input';
import type { ImageReleaseInput } from '../../../domain/image-release';
import { describeInputProblems, releaseInputProblems } from '../../../domain/release-input-check';
import { recordedHistories } from '../../replay/histories';
import { testConfig } from '../cli/helpers';

const good = (): ImageReleaseInput => releaseInput(testConfig(), { family: 'Cloud-Base-AmazonEC2', release: '44', kind: 'rc', name: { version: '44', label: '1.7' } });
const fieldsOf = (input: unknown) => releaseInputProblems(input).map((p) => p.field);

describe('release input check (workflow first step)', () => {
  it('passes what the config makes, for every family and kind', () => {
    const config = testConfig();
    for (const f of config.families) {
      for (const [kind, release, name] of [
        ['rc', '44', { version: '44', label: '1.7' }],
        ['nightly', 'rawhide', { version: 'Rawhide', label: '20261122.n.0' }],
        ['weekly', '44', { version: '44', label: '20261123.weekly' }],
        ['respin', '44', { version: '44', label: '20261122.0' }],
      ] as const) {
        expect(releaseInputProblems(releaseInput(config, { family: f.name, release, kind, name })), `${f.name} ${kind}`).toEqual([]);
      }
    }
  });

  it('passes the input of every recorded history it did not refuse (so replay is unchanged), and refuses the one it did', () => {
    const histories = recordedHistories().filter((h) => h.file.startsWith('imageReleaseWorkflow--'));
    let refusedRuns = 0;
    for (const h of histories) {
      const started = h.history.events?.[0]?.workflowExecutionStartedEventAttributes;
      const payload = started?.input?.payloads?.[0]?.data;
      if (!payload) throw new Error(`${h.file}: no input`);
      const input = JSON.parse(Buffer.from(payload as Uint8Array).toString('utf8')) as unknown;
      const failed = h.history.events?.at(-1)?.workflowExecutionFailedEventAttributes?.failure?.applicationFailureInfo?.type;
      if (failed === 'InvalidReleaseInput') {
        refusedRuns += 1;
        expect(releaseInputProblems(input).length, h.file).toBeGreaterThan(0);
      } else expect(releaseInputProblems(input), h.file).toEqual([]);
    }
    expect(histories.length - refusedRuns).toBeGreaterThan(0);
    expect(refusedRuns).toBeGreaterThan(0);
  });

  it('names each bad field by its path in the input', () => {
    const i = good();
    i.release = 'f44';
    i.name = { version: '44', label: '1-7' };
    i.family.arches = ['x86_64', 'ppc64le'];
    i.family.koji = { ...i.family.koji, descriptionScm: 'git+https://pagure.io/fedora-kiwi-descriptions.git?#main' } as ImageReleaseInput['family']['koji'];
    i.settings.ec2 = { ...i.settings.ec2!, regions: ['us-east-1', 'eu-west1'] };
    i.repos = ['ftp://mirror/'];
    const problems = releaseInputProblems(i);
    expect(problems.map((p) => p.field)).toEqual(['release', 'name.label', 'family.arches', 'family.koji.descriptionScm', 'repos[0]', 'settings.ec2.regions[1]']);
    expect(problems.find((p) => p.field === 'name.label')?.message).toBe('"1-7" has characters Koji refuses in a label ("-")');
    expect(problems.find((p) => p.field === 'settings.ec2.regions[1]')?.message).toBe('"eu-west1" is not an AWS region name');
    const text = describeInputProblems(problems);
    expect(text).toMatch(/^the release input has 6 problems: release: "f44" is not a Fedora release; give a number such as 44, or "rawhide" \| name\.label: /);
  });

  it('checks the AMI name only for a family that publishes to EC2', () => {
    const i = good();
    i.name = { version: '44', label: 'x'.repeat(100) };
    expect(fieldsOf(i)).toEqual(['name.label']);
    i.family.destinations = ['downloads'];
    expect(fieldsOf(i)).toEqual([]);
  });

  it('refuses a non-canonical release, which would name a second release of the same build', () => {
    const i = good();
    i.release = 'Rawhide';
    expect(releaseInputProblems(i)).toEqual([{ field: 'release', message: '"Rawhide" is not written the canonical way', fix: 'write "rawhide" or the number without leading zeros, e.g. 44' }]);
  });

  it('reports garbage instead of throwing (a throw would retry the workflow task forever)', () => {
    expect(fieldsOf(undefined)).toEqual(['(input)']);
    expect(fieldsOf('44')).toEqual(['(input)']);
    expect(fieldsOf({})).toEqual(['release', 'kind', 'name', 'name.label', 'name.version', 'family']);
    expect(fieldsOf({ ...good(), family: { name: 7, arches: 'x86_64', koji: null } })).toEqual(['family.name', 'family.arches', 'family.koji']);
    expect(fieldsOf({ ...good(), release: 44, kind: 'beta', repos: 'https://x/' })).toEqual(['release', 'kind', 'repos']);
    expect(fieldsOf({ ...good(), settings: {} })).toEqual(['settings.ec2']);
  });
});
