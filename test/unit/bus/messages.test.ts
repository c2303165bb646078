// Message schemas, topics and the registry guard the publish activity relies on.
import { describe, expect, it } from 'vitest';
import { ARCHES } from '../../../config/schema';
import { IMAGE_KINDS } from '../../../domain/build-names';
import {
  awsPublishedV1,
  buildFinishedV1,
  buildMessage,
  checkOutgoingMessage,
  imageCompleteV1,
  MESSAGE_ARCHES,
  MESSAGE_BUILD_KINDS,
  MESSAGE_TYPES,
  MessageBodyError,
  messageRelease,
  parseKojiTaskStateChange,
  releaseOfficialV1,
  retentionActionV1,
  SEVERITY,
} from '../../../domain/messages';

const identity = {
  family: 'Cloud-Base-Generic',
  subvariant: 'Cloud_Base',
  release: 46,
  version: 'Rawhide',
  compose_id: 'Fedora-Rawhide-20261122.n.0',
  build_kind: 'nightly' as const,
};

describe('message schemas', () => {
  it('share the arch and build-kind lists with the settings and build names', () => {
    expect([...MESSAGE_ARCHES]).toEqual([...ARCHES]);
    expect([...MESSAGE_BUILD_KINDS]).toEqual([...IMAGE_KINDS]);
  });

  it('number Rawhide with the configured release and releases by their number', () => {
    expect(messageRelease('rawhide', 46)).toBe(46);
    expect(messageRelease('Rawhide', 46)).toBe(46);
    expect(messageRelease('44', 46)).toBe(44);
    expect(messageRelease('42_Beta', 46)).toBe(42);
    expect(messageRelease(41, 46)).toBe(41);
    expect(() => messageRelease('eln', 46)).toThrow();
  });

  it("builds Fedora's EC2 message with its topic, schema package and event key", () => {
    const m = buildMessage(awsPublishedV1, {
      architecture: 'x86_64',
      compose_id: 'Fedora-Rawhide-20261122.n.0',
      image_name: 'Fedora-Cloud-Base-AmazonEC2.x86_64-Rawhide-20261122.n.0',
      regions: { 'us-east-1': 'ami-0123456789abcdef0', 'eu-west-1': 'ami-0fedcba9876543210' },
      release: messageRelease('rawhide', 46),
      subvariant: 'Cloud_Base',
    });
    expect(m.topic).toBe('fedora_image_uploader.published.v1.aws.Cloud_Base.46.x86_64');
    expect(m.schema).toBe('fedora_image_uploader.published.v1.aws');
    expect(m.severity).toBe(SEVERITY.INFO);
    expect(m.eventKey).toContain('Fedora-Rawhide-20261122.n.0');
    expect(awsPublishedV1.schemaPackage).toBe('fedora_image_uploader_messages');
  });

  it('refuses a body that breaks the schema (release must be an integer)', () => {
    expect(() =>
      buildMessage(awsPublishedV1, {
        architecture: 'x86_64',
        compose_id: 'c',
        image_name: 'n',
        regions: { 'us-east-1': 'ami-0123456789abcdef0' },
        release: 46.5,
        subvariant: 'Cloud_Base',
      }),
    ).toThrow(MessageBodyError);
    expect(() =>
      buildMessage(awsPublishedV1, { architecture: 'x86_64', compose_id: 'c', image_name: 'n', regions: {}, release: 46, subvariant: 'Cloud_Base' }),
    ).toThrow(/at least one region/);
  });

  it('derives severity from the outcome', () => {
    const failed = buildMessage(buildFinishedV1, { ...identity, koji_task_id: 5, koji_state: 'FAILED', arches: ['x86_64'], files: [], error: 'BuildError' });
    expect(failed.severity).toBe(SEVERITY.ERROR);
    expect(failed.topic).toBe('fedimg.build.finished.v1.Cloud-Base-Generic.46');
    const partial = buildMessage(imageCompleteV1, {
      ...identity,
      outcome: 'partial',
      destinations: [
        { destination: 'ec2', architecture: 'x86_64', status: 'published', regions: { 'us-east-1': 'ami-0123456789abcdef0' }, failed_regions: { 'eu-west-1': 'timeout' } },
        { destination: 'glance', architecture: 'x86_64', status: 'failed', error: 'Keystone 503' },
      ],
    });
    expect(partial.severity).toBe(SEVERITY.WARNING);
  });

  it('marks the operator who made a release official', () => {
    const m = buildMessage(releaseOfficialV1, { ...identity, build_kind: 'rc', version: '46', compose_id: 'Fedora-46-20270415.1', marked_by: 'alice' });
    expect(m.users).toEqual(['alice']);
    expect(m.topic).toBe('fedimg.release.official.v1.Cloud-Base-Generic.46');
  });

  it('gives retention actions an identity per resource', () => {
    const m = buildMessage(retentionActionV1, {
      ...identity,
      action: 'deprecated',
      destination: 'ec2',
      architecture: 'x86_64',
      region: 'us-east-1',
      resource_id: 'ami-0123456789abcdef0',
      resource_name: 'Fedora-Cloud-Base-AmazonEC2.x86_64-Rawhide-20261001.n.0',
      reason: 'nightly older than 14 days',
      run_id: 'retention-2026-11-22',
    });
    expect(m.topic).toBe('fedimg.retention.action.v1.deprecated.ec2');
    expect(m.eventKey).toBe('retention/deprecated/ec2/us-east-1/ami-0123456789abcdef0');
  });

  it('has one type per schema name, each with a topic under its schema name', () => {
    const names = MESSAGE_TYPES.map((t) => t.schemaName);
    expect(new Set(names).size).toBe(names.length);
    for (const t of MESSAGE_TYPES) expect(t.topicPattern.startsWith(`${t.schemaName}.`)).toBe(true);
  });
});

describe('checkOutgoingMessage', () => {
  const good = buildMessage(buildFinishedV1, { ...identity, koji_task_id: 5, koji_state: 'CLOSED', arches: ['x86_64'], files: [{ arch: 'x86_64', name: 'a.qcow2' }] });

  it('accepts what buildMessage made', () => {
    expect(checkOutgoingMessage(good)).toMatchObject({ ok: true, severity: SEVERITY.INFO });
  });

  it('refuses an unknown schema, a bad body, a topic that does not match the body, an empty event key', () => {
    expect(checkOutgoingMessage({ ...good, schema: 'nope.v1' })).toMatchObject({ ok: false, problem: expect.stringContaining('unknown message schema') });
    expect(checkOutgoingMessage({ ...good, body: { ...good.body, koji_task_id: '5' } })).toMatchObject({ ok: false });
    expect(checkOutgoingMessage({ ...good, topic: 'fedimg.build.finished.v1.Other.46' })).toMatchObject({ ok: false, problem: expect.stringContaining('does not match') });
    expect(checkOutgoingMessage({ ...good, eventKey: '' })).toMatchObject({ ok: false });
  });
});

describe("Koji's task state message", () => {
  it('takes only the task id, the new state and the owner name', () => {
    const r = parseKojiTaskStateChange({
      id: 123,
      method: 'kiwiBuild',
      attribute: 'state',
      old: 'OPEN',
      new: 'CLOSED',
      owner: 'fedimg',
      info: { url: 'https://evil.example/x' },
      files_base_url: 'https://evil.example/',
    });
    expect(r).toEqual({ ok: true, value: { taskId: 123, state: 'CLOSED', owner: 'fedimg' } });
  });

  it('refuses what is not a task state change', () => {
    expect(parseKojiTaskStateChange({ id: '123', new: 'CLOSED' }).ok).toBe(false);
    expect(parseKojiTaskStateChange({ id: 123, new: 2 }).ok).toBe(false);
    expect(parseKojiTaskStateChange(null).ok).toBe(false);
  });
});
