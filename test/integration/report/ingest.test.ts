// Ingest through the stack's real RabbitMQ: messages published by the bus client (signed with a
// trusted key) appear in the API; forged, unsigned and malformed ones are dropped (not requeued)
// and counted; a replayed message id changes nothing; the official marking goes out on the bus
// signed, and its echo is recognised as a duplicate.
import { randomBytes, type KeyObject } from 'node:crypto';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBusPublisher, type BusPublisher } from '../../../clients/bus';
import { getConfig } from '../../../config';
import { busReleaseAnnouncer } from '../../../report/announce';
import { INGEST_OUTCOMES, type IngestOutcome } from '../../../report/metrics';
import { createCatalogue, type Catalogue } from '../../../report/service';
import { bodies, imageIdOf, lifecycle, message, outgoing, PREFIX, REGIONS, type BuildRef } from '../../unit/report/fixtures';
import { tempDatabase, testKeys, waitFor, type TempDatabase } from './helpers';

const config = getConfig();
const keys = testKeys('fedimg-ingest-test');
const intruder = testKeys('fedimg-ingest-test'); // same key id, another key: a forger
const queue = `catalogue-test-${randomBytes(4).toString('hex')}`;
const TOKEN = 'ingest-test-token-0123456789';

const build: BuildRef = { family: 'Cloud-Base-AmazonEC2', subvariant: 'Cloud_Base', release: 'rawhide', label: '20261122.n.0', kind: 'nightly' };

let db: TempDatabase;
let cat: Catalogue;
let trusted: BusPublisher;
let forger: BusPublisher;
let unsigned: BusPublisher;

const pub = (opts: { signing?: { keyId: string; privateKey: KeyObject } }) =>
  createBusPublisher({ url: config.bus.url, exchange: config.bus.exchange, topicPrefix: PREFIX, ...opts });

async function outcomes(): Promise<Record<IngestOutcome, number>> {
  const m = await cat.metrics.messages.get();
  const out = Object.fromEntries(INGEST_OUTCOMES.map((o) => [o, 0])) as Record<IngestOutcome, number>;
  for (const v of m.values) out[v.labels.outcome as IngestOutcome] = v.value;
  return out;
}

async function queueDepth(): Promise<number> {
  const conn = await amqp.connect(config.bus.url);
  try {
    const ch = await conn.createChannel();
    return (await ch.checkQueue(queue)).messageCount;
  } finally {
    await conn.close();
  }
}

beforeAll(async () => {
  db = await tempDatabase('sqlite');
  trusted = pub({ signing: { keyId: keys.keyId, privateKey: keys.privateKey } });
  forger = pub({ signing: { keyId: intruder.keyId, privateKey: intruder.privateKey } });
  unsigned = pub({});
  cat = await createCatalogue({
    database: db.spec,
    publicUrl: 'http://127.0.0.1:18088',
    adminToken: TOKEN,
    announcer: busReleaseAnnouncer(trusted),
    ingest: {
      connection: { url: config.bus.url },
      exchange: config.bus.exchange,
      queue,
      topicPrefix: PREFIX,
      trustedKeys: new Map([[keys.keyId, keys.publicKey]]),
      glanceRegion: 'RegionOne',
      prefetch: 8,
      requeueDelayMs: 200,
    },
  });
  await cat.ingest?.ready;
});

afterAll(async () => {
  await cat?.close();
  for (const p of [trusted, forger, unsigned]) await p?.close();
  const conn = await amqp.connect(config.bus.url);
  await (await conn.createChannel()).deleteQueue(queue);
  await conn.close();
  await db?.drop();
});

describe('catalogue ingest over RabbitMQ', () => {
  it('is attached to its durable queue and says so', async () => {
    const health = (await cat.app.inject({ url: '/healthz' })).json();
    expect(health.ingest).toEqual({ connected: true, queue });
    expect(await cat.metrics.busConnected.get()).toMatchObject({ values: [{ value: 1 }] });
  });

  it('stores what trusted publishers announce, and it shows up in the API', async () => {
    for (const m of lifecycle(build, ['x86_64', 'aarch64'], { downloads: true, ec2: true })) await trusted.publish(outgoing(m));
    const images = await waitFor('both arches complete', async () => {
      const body = (await cat.app.inject({ url: '/api/v1/images?family=Cloud-Base-AmazonEC2' })).json();
      return body.images.length === 2 && body.images.every((i: { status: string }) => i.status === 'complete') ? body.images : undefined;
    });
    const x86 = images.find((i: { arch: string }) => i.arch === 'x86_64');
    expect(x86.id).toBe(imageIdOf(build, 'x86_64'));
    expect(x86.destinations.filter((d: { type: string }) => d.type === 'ec2')).toHaveLength(REGIONS.length);
    expect((await outcomes()).applied).toBe(1 + 2 * 2 + 1); // build, files+aws per arch, complete
  });

  it('drops forged, unsigned and malformed messages without requeueing, and counts them', async () => {
    const before = await outcomes();
    const victim: BuildRef = { ...build, label: '20261123.n.0' };
    const aws = outgoing(message('aws', bodies.aws(victim, 'x86_64', ['us-east-1'])));
    await forger.publish(aws);
    await unsigned.publish(aws);
    // Signed by the trusted key, but not what the schema allows (release must be an integer).
    await trusted.publish({ ...aws, body: { ...aws.body, release: 'rawhide' }, eventKey: 'bad-body' });
    // Not even JSON, with signature headers of the right shape.
    const conn = await amqp.connect(config.bus.url);
    const ch = await conn.createConfirmChannel();
    ch.publish(config.bus.exchange, `${PREFIX}.${aws.topic}`, Buffer.from('{oops'), {
      contentType: 'application/json',
      messageId: 'garbage-1',
      headers: { fedora_messaging_schema: aws.schema, 'sent-at': '2026-11-22T04:00:00+00:00', fedora_messaging_severity: 20, fedimg_key_id: keys.keyId, fedimg_signature: Buffer.alloc(64).toString('base64') },
    });
    await ch.waitForConfirms();
    await conn.close();

    const after = await waitFor('four refusals counted', async () => {
      const o = await outcomes();
      return o.forged - before.forged === 1 && o.unsigned - before.unsigned === 1 && o.malformed - before.malformed === 2 ? o : undefined;
    });
    expect(after.applied).toBe(before.applied);
    // Dropped, not requeued: the queue is empty and nothing is counted twice a moment later.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await queueDepth()).toBe(0);
    expect(await outcomes()).toEqual(after);
    expect((await cat.app.inject({ url: `/api/v1/images/${imageIdOf(victim, 'x86_64')}` })).statusCode).toBe(404);
    const metrics = (await cat.app.inject({ url: '/metrics' })).body;
    expect(metrics).toContain('catalogue_messages_total{outcome="forged"} 1');
    expect(metrics).toContain('catalogue_messages_total{outcome="unsigned"} 1');
    expect(metrics).toContain('catalogue_messages_total{outcome="malformed"} 2');
  });

  it('ignores a replayed message (same id) and changes nothing', async () => {
    const id = imageIdOf(build, 'x86_64');
    const history = async () => (await cat.app.inject({ url: `/api/v1/images/${id}/history` })).json().events.length;
    const eventsBefore = await history();
    const before = await outcomes();
    // The same event published again: the bus client derives the same message id.
    await trusted.publish(outgoing(message('aws', bodies.aws(build, 'x86_64', REGIONS))));
    await waitFor('the duplicate', async () => (await outcomes()).duplicate === before.duplicate + 1);
    expect((await outcomes()).applied).toBe(before.applied);
    expect(await history()).toBe(eventsBefore);
  });

  it('marks a release official on the bus, signed, and applies it once despite its own echo', async () => {
    const rc: BuildRef = { family: 'Cloud-Base-Generic', subvariant: 'Cloud_Base', release: 44, label: '1.7', kind: 'rc' };
    for (const m of lifecycle(rc, ['x86_64'], { downloads: true })) await trusted.publish(outgoing(m));
    await waitFor('the candidate', async () => (await cat.app.inject({ url: `/api/v1/images/${imageIdOf(rc, 'x86_64')}` })).statusCode === 200);
    const before = await outcomes();
    const res = await cat.app.inject({
      method: 'POST',
      url: '/api/v1/releases/44/official',
      headers: { authorization: `Bearer ${TOKEN}` },
      payload: { version: '44-1.7', by: 'releng' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().announced).toEqual([expect.objectContaining({ family: 'Cloud-Base-Generic', topic: 'fedimg.release.official.v1.Cloud-Base-Generic.44' })]);
    // The echo comes back through ingest, verified with the trusted key. Whether it lands before
    // or after the local record, the marking is applied once (the other copy is a duplicate).
    await waitFor('the echo', async () => {
      const o = await outcomes();
      return o.applied + o.duplicate === before.applied + before.duplicate + 1;
    });
    const after = await outcomes();
    expect([after.forged, after.unsigned, after.malformed]).toEqual([before.forged, before.unsigned, before.malformed]);
    const events = (await cat.app.inject({ url: `/api/v1/images/${imageIdOf(rc, 'x86_64')}/history` })).json().events;
    expect(events.filter((e: { summary: string }) => e.summary === 'Release 44 marked official by releng')).toHaveLength(1);
    expect((await cat.app.inject({ url: `/api/v1/images/${imageIdOf(rc, 'x86_64')}` })).json()).toMatchObject({ kind: 'release', official: true });
  });
});
