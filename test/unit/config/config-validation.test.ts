// The settings are validated before any process does work; every bad field is reported at once
// with its path, what was expected and what was found.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import base from '../../../temporal.config';
import { loadConfig } from '../../../config/load';
import { releaseInput } from '../../../config/release-input';

const load = (env: Record<string, string> = {}) => loadConfig({ base, env });

function withFile(content: unknown): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'fedimg-config-'));
  const file = join(dir, 'override.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return { FEDIMG_CONFIG_FILE: file };
}

function problems(env: Record<string, string>): string[] {
  const r = load(env);
  if (r.ok) throw new Error('expected the config to be refused');
  return r.problems;
}

describe('configuration', () => {
  it('accepts the shipped defaults', () => {
    const r = load();
    expect(r.ok).toBe(true);
  });

  it('reports a wrong type with path, expectation and the value found', () => {
    expect(problems({ FEDIMG__AWS__MAX_CONCURRENT_REGIONS: '"many"' })).toEqual([
      'aws.maxConcurrentRegions: expected number, found "many"',
    ]);
  });

  it('reports a value outside the allowed set', () => {
    expect(problems(withFile({ openstack: { interface: 'private' } }))).toEqual([
      'openstack.interface: expected one of "public", "internal", "admin", found "private"',
    ]);
  });

  it('reports a malformed string with a hint of the right form', () => {
    const [p] = problems(withFile({ aws: { regions: ['us-east-1', 'eu-westt'] } }));
    expect(p).toMatch(/^aws\.regions\[1\]: expected an AWS region such as eu-west-1, found "eu-westt"$/);
  });

  it('reports a missing required field as "found nothing"', () => {
    const families = structuredClone(base.families);
    delete (families[0] as Partial<(typeof families)[0]>).arches;
    expect(problems(withFile({ families }))).toEqual(['families[0].arches: expected array, found nothing']);
  });

  it('carries staging.lostHostAfterSeconds into the release input, and refuses one a busy host would trip', () => {
    const r = load({ FEDIMG__STAGING__LOST_HOST_AFTER_SECONDS: '120' });
    if (!r.ok) throw new Error(r.problems.join('\n'));
    const input = releaseInput(r.config, { family: 'Cloud-Base-Generic', release: '44', kind: 'rc', name: { version: '44', label: '1.7' } });
    expect(input.settings.staging).toEqual({ lostHostAfterSeconds: 120 });
    const dflt = load();
    if (!dflt.ok) throw new Error('defaults refused');
    expect(releaseInput(dflt.config, { family: 'Cloud-Base-Generic', release: '44', kind: 'rc', name: { version: '44', label: '1.7' } }).settings.staging).toBeUndefined();
    expect(problems({ FEDIMG__STAGING__LOST_HOST_AFTER_SECONDS: '5' })).toEqual(['staging.lostHostAfterSeconds: expected ≥ 30, found 5']);
  });

  it('reports unknown settings (typos) by name', () => {
    expect(problems(withFile({ koji: { hubUlr: 'http://x' } }))).toEqual([
      'koji.hubUlr: unknown setting (remove it or check its spelling)',
    ]);
  });

  it('reports an unknown discriminator with the allowed kinds', () => {
    expect(problems(withFile({ downloads: { type: 'ftp' } }))).toEqual([
      'downloads.type: expected one of "directory", "s3", found "ftp"',
    ]);
  });

  it('reports duplicates the schema alone cannot see', () => {
    const families = [base.families[0], base.families[0]];
    const list = problems(withFile({ families }));
    expect(list).toContain('families[1].name: expected duplicate family name (also families[0]), found "Cloud-Base-Generic"');
  });

  it('refuses EC2 regions that leave out the source region, where every copy comes from', () => {
    const list = problems(withFile({ aws: { sourceRegion: 'us-east-1', regions: ['eu-west-1', 'eu-central-1'] } }));
    expect(list).toContain('aws.regions: expected a list that includes aws.sourceRegion "us-east-1" (every copy is made from the image there), found ["eu-west-1","eu-central-1"]');
  });

  it('reports three mistakes together, not one per run', () => {
    const list = problems({
      ...withFile({ temporal: { address: 'localhost' }, bus: { url: 'http://broker' } }),
      FEDIMG__STAGING__MAX_IMAGE_BYTES: '-5',
    });
    expect(list).toHaveLength(3);
    expect(list.join('\n')).toMatch(/temporal\.address: .*host:port.*found "localhost"/);
    expect(list.join('\n')).toMatch(/bus\.url: .*amqp.*found "http:\/\/broker"/);
    expect(list).toContain('staging.maxImageBytes: expected > 0, found -5');
  });

  it('lets environment variables override the file, which overrides the defaults', () => {
    const r = load({ ...withFile({ aws: { sourceRegion: 'eu-west-1' } }), FEDIMG__AWS__SOURCE_REGION: 'eu-central-1' });
    expect(r.ok && r.config.aws.sourceRegion).toBe('eu-central-1');
  });

  it('refuses a config file that is not JSON, naming the file', () => {
    const env = withFile('{ not json');
    expect(problems(env)[0]).toMatch(/^FEDIMG_CONFIG_FILE \(.*override\.json\): cannot be read as JSON/);
  });

  it('stops a real process with every problem and exit code 2, no stack trace', () => {
    const env = { ...process.env, ...withFile({ temporal: { namespace: '' }, koji: { poll: { initialSeconds: 0 } } }), FEDIMG__AWS__REGIONS: '[]' };
    let status = 0;
    let stderr = '';
    try {
      execFileSync(process.execPath, ['--import', 'tsx', 'scripts/check-config.ts'], { env, encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      status = (err as { status: number }).status;
      stderr = (err as { stderr: string }).stderr;
    }
    expect(status).toBe(2);
    expect(stderr).toMatch(/the configuration has 3 problems/);
    expect(stderr).toMatch(/temporal\.namespace/);
    expect(stderr).toMatch(/koji\.poll\.initialSeconds/);
    expect(stderr).toMatch(/aws\.regions/);
    expect(stderr).not.toMatch(/\s+at .*\.ts:\d+/);
  });
});
