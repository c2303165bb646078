// From a received bus message to catalogue changes, without a broker: signatures (trusted keys
// only), schemas, routing keys, and the translation of every message the pipeline sends.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeMessage, bindingsFor, type DecodeContext } from '../../../report/ingest/decode';
import { versionOf } from '../../../report/ingest/translate';
import { bodies, message, outgoing, PREFIX, received, REGIONS, type BuildRef } from './fixtures';

const trusted = generateKeyPairSync('ed25519');
const stranger = generateKeyPairSync('ed25519');
const signing = { keyId: 'fedimg-test', privateKey: trusted.privateKey };
const ctx: DecodeContext = {
  trustedKeys: new Map([['fedimg-test', trusted.publicKey]]),
  topicPrefix: PREFIX,
  glanceRegion: 'RegionOne',
};

const rawhide: BuildRef = { family: 'Cloud-Base-AmazonEC2', subvariant: 'Cloud_Base', release: 'rawhide', label: '20261122.n.0', kind: 'nightly' };
const f44: BuildRef = { family: 'Cloud-Base-Generic', subvariant: 'Cloud_Base', release: 44, label: '1.7', kind: 'rc' };

async function decode(kind: Parameters<typeof message>[0], body: Record<string, unknown>, sign = signing) {
  return decodeMessage(received(outgoing(message(kind, body)), sign), ctx);
}

describe('refusals', () => {
  it('refuses an unsigned message', async () => {
    const r = await decodeMessage(received(outgoing(message('aws', bodies.aws(rawhide, 'x86_64', REGIONS)))), ctx);
    expect(r).toMatchObject({ ok: false, outcome: 'unsigned' });
  });

  it('refuses a message signed by an untrusted key under a trusted key id (forged)', async () => {
    const r = await decode('aws', bodies.aws(rawhide, 'x86_64', REGIONS), { keyId: 'fedimg-test', privateKey: stranger.privateKey });
    expect(r).toMatchObject({ ok: false, outcome: 'forged' });
  });

  it('refuses an unknown key id as forged', async () => {
    const r = await decode('aws', bodies.aws(rawhide, 'x86_64', REGIONS), { keyId: 'someone-else', privateKey: stranger.privateKey });
    expect(r).toMatchObject({ ok: false, outcome: 'forged' });
  });

  it('refuses a tampered body (signature no longer matches)', async () => {
    const msg = received(outgoing(message('aws', bodies.aws(rawhide, 'x86_64', REGIONS))), signing);
    const text = Buffer.from(msg.body as Uint8Array).toString('utf8').replace(/ami-[0-9a-f]+/, 'ami-00000000000000bad');
    expect(await decodeMessage({ ...msg, body: text }, ctx)).toMatchObject({ ok: false, outcome: 'forged' });
  });

  it('refuses a correctly signed body its schema does not accept (malformed)', async () => {
    const good = message('aws', bodies.aws(rawhide, 'x86_64', REGIONS));
    const bad = { ...outgoing(good), body: { ...good.body, release: '46' } };
    const r = await decodeMessage(received(bad, signing), ctx);
    expect(r).toMatchObject({ ok: false, outcome: 'malformed' });
    expect(r.ok ? '' : r.detail).toContain('release');
  });

  it('refuses a signed body that is not JSON (malformed)', async () => {
    const msg = received(outgoing(message('aws', bodies.aws(rawhide, 'x86_64', REGIONS))), signing);
    expect(await decodeMessage({ ...msg, body: '{not json' }, ctx)).toMatchObject({ ok: false, outcome: 'malformed' });
  });

  it('refuses a body published on a topic it does not belong to', async () => {
    const good = message('aws', bodies.aws(rawhide, 'x86_64', REGIONS));
    const moved = { ...outgoing(good), topic: good.topic.replace('x86_64', 'aarch64') };
    expect(await decodeMessage(received(moved, signing), ctx)).toMatchObject({ ok: false, outcome: 'malformed' });
  });

  it('refuses a signed message from another environment prefix', async () => {
    const m = received(outgoing(message('aws', bodies.aws(rawhide, 'x86_64', REGIONS))), signing, 'org.fedoraproject.prod');
    expect(await decodeMessage(m, ctx)).toMatchObject({ ok: false, outcome: 'malformed' });
  });

  it('refuses schemas the catalogue does not read', async () => {
    const m = received({ topic: 'fedimg.something.v1.x', body: { a: 1 }, schema: 'fedimg.something.v1', eventKey: 'k' }, signing);
    expect(await decodeMessage(m, ctx)).toMatchObject({ ok: false, outcome: 'unknown_topic' });
  });

  it('refuses an AMI it cannot place (malformed, not a crash)', async () => {
    const b = { ...bodies.aws(rawhide, 'x86_64', REGIONS), image_name: 'some-other-name' };
    expect(await decode('aws', b)).toMatchObject({ ok: false, outcome: 'malformed' });
  });
});

describe('translation', () => {
  it('binds every consumed schema under the prefix', () => {
    expect(bindingsFor(PREFIX)).toContain(`${PREFIX}.fedora_image_uploader.published.v1.aws.#`);
    expect(bindingsFor(PREFIX)).toContain(`${PREFIX}.fedimg.release.official.v1.#`);
  });

  it('names images by compose: Rawhide-20261122.n.0, 44-1.7', () => {
    expect(versionOf({ compose_id: 'Fedora-Rawhide-20261122.n.0', version: 'Rawhide' })).toBe('Rawhide-20261122.n.0');
    expect(versionOf({ compose_id: 'Fedora-44-1.7', version: '44' })).toBe('44-1.7');
  });

  it('reads the EC2 message (Fedora schema: no family) from the AMI name, one destination per region', async () => {
    const r = await decode('aws', bodies.aws(rawhide, 'aarch64', REGIONS));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event.at).toBe('2026-11-22T04:00:00.000Z');
    expect(r.event.changes).toHaveLength(REGIONS.length);
    expect(r.event.changes[0]).toMatchObject({
      type: 'destination',
      image: { family: 'Cloud-Base-AmazonEC2', release: 'rawhide', arch: 'aarch64', version: 'Rawhide-20261122.n.0' },
      destination: { type: 'ec2', location: 'eu-central-1', state: 'published' },
    });
  });

  it('falls back to a look-up by compose when the AMI name is not Fedora-shaped', async () => {
    const b = { ...bodies.aws(f44, 'x86_64', ['us-east-1']), image_name: 'custom' };
    const r = await decodeMessage(received(outgoing(message('aws', b)), signing), {
      ...ctx,
      findByCompose: async (compose, arch) => (compose === 'Fedora-44-1.7' ? { family: 'Cloud-Base-Generic', release: '44', arch, version: '44-1.7' } : undefined),
    });
    expect(r).toMatchObject({ ok: true, event: { changes: [{ image: { family: 'Cloud-Base-Generic', version: '44-1.7' } }] } });
  });

  it('turns files published into download destinations with checksums, plus the CHECKSUM file', async () => {
    const r = await decode('filesPublished', bodies.filesPublished(f44, 'x86_64'));
    if (!r.ok) throw new Error(r.detail);
    const dests = r.event.changes.map((c) => (c.type === 'destination' ? c.destination : undefined));
    expect(dests.map((d) => d?.ftype)).toEqual(['qcow2', 'raw.tar.xz', 'CHECKSUM']);
    expect(dests[0]).toMatchObject({ type: 'download', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), size: expect.any(Number) });
  });

  it('turns a failed build into failed images per arch', async () => {
    const r = await decode('buildFinished', bodies.buildFinished(f44, ['x86_64', 'aarch64'], 77, 'FAILED'));
    if (!r.ok) throw new Error(r.detail);
    expect(r.event.changes).toHaveLength(2);
    expect(r.event.changes[0]).toMatchObject({ type: 'image', facts: { status: 'failed', kojiTaskId: 77, kind: 'rc' } });
  });

  it('turns image complete into per-arch verdicts, with failed regions recorded', async () => {
    const body = bodies.complete(
      f44,
      {
        x86_64: [
          { destination: 'ec2', status: 'failed', regions: { 'us-east-1': 'ami-0123456789abcdef0' }, failed_regions: { 'eu-west-1': 'CopyImage timed out' } },
          { destination: 'downloads', status: 'published', urls: ['https://dl.example/a.qcow2'] },
        ],
        aarch64: [{ destination: 'downloads', status: 'published', urls: ['https://dl.example/b.qcow2'] }],
      },
      'partial',
    );
    const r = await decode('complete', body);
    if (!r.ok) throw new Error(r.detail);
    const verdicts = r.event.changes.filter((c) => c.type === 'image');
    expect(verdicts.map((v) => (v.type === 'image' ? [v.image.arch, v.facts.status] : []))).toEqual([
      ['x86_64', 'partial'],
      ['aarch64', 'complete'],
    ]);
    expect(r.event.changes).toContainEqual(
      expect.objectContaining({ destination: expect.objectContaining({ location: 'eu-west-1', state: 'failed', detail: 'CopyImage timed out' }) }),
    );
  });

  it('turns retention into a state change and official into a release marking', async () => {
    const ret = await decode('retention', bodies.retention(rawhide, 'x86_64', 'deprecated', 'ec2', 'us-east-1'));
    expect(ret).toMatchObject({ ok: true, event: { changes: [{ type: 'destination-state', destinationType: 'ec2', location: 'us-east-1', state: 'deprecated' }] } });
    const off = await decode('official', bodies.official(f44, 'mohan'));
    expect(off).toMatchObject({ ok: true, event: { changes: [{ type: 'official', release: '44', family: 'Cloud-Base-Generic', version: '44-1.7', markedBy: 'mohan' }] } });
  });
});
