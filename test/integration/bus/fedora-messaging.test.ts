// Interop with the real Python library (fedora-messaging 3.9 and fedora-image-uploader-messages
// 1.2 in the stack's venv): its own consumer receives what we publish, finds the schema class from
// our headers, validates, and delivers; it drops what fails validation; and what its own
// api.publish puts on the wire is what ours does, byte for byte where it is deterministic.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBusPublisher, type BusPublisher } from '../../../clients/bus/publisher';
import { messageIdFor } from '../../../clients/bus/message-id';
import { verifyMessage } from '../../../clients/bus/signing';
import {
  awsPublishedV1,
  buildFinishedV1,
  buildMessage,
  checkOutgoingMessage,
  filesPublishedV1,
  glancePublishedV1,
  imageCompleteV1,
  releaseOfficialV1,
  retentionActionV1,
  type PublishMessageInput,
} from '../../../domain/messages';
import { AMQP_URL, EXCHANGE, getMessages, REPO, runInterop, signingKeys, startInterop, tempQueue, uniquePrefix, waitForConsumer, withChannel } from './helpers';

const keys = signingKeys();
const identity = {
  family: 'Cloud-Base-Generic',
  subvariant: 'Cloud_Base',
  release: 46,
  version: 'Rawhide',
  compose_id: 'Fedora-Rawhide-20261122.n.0',
  build_kind: 'nightly' as const,
};
const awsBody = {
  architecture: 'x86_64' as const,
  compose_id: 'Fedora-Rawhide-20261122.n.0',
  image_name: 'Fedora-Cloud-Base-AmazonEC2.x86_64-Rawhide-20261122.n.0',
  regions: { 'us-east-1': 'ami-0123456789abcdef0', 'eu-west-1': 'ami-0fedcba9876543210' },
  release: 46,
  subvariant: 'Cloud_Base',
};
const sha = 'a'.repeat(64);
const messages: PublishMessageInput[] = [
  buildMessage(awsPublishedV1, awsBody),
  buildMessage(buildFinishedV1, { ...identity, koji_task_id: 4242, koji_state: 'CLOSED', arches: ['x86_64'], files: [{ arch: 'x86_64', name: 'Fedora-Cloud-Base-Generic-Rawhide-20261122.n.0.x86_64.qcow2', size: 5, sha256: sha }] }),
  buildMessage(filesPublishedV1, {
    ...identity,
    architecture: 'x86_64',
    files: [{ name: 'a.qcow2', url: 'https://dl.example.org/a.qcow2', size: 5, sha256: sha }],
    checksum_url: 'https://dl.example.org/CHECKSUM',
  }),
  buildMessage(glancePublishedV1, {
    ...identity,
    architecture: 'x86_64',
    region: 'RegionOne',
    image_id: '6f1c3a52-7d0e-4b8a-9c1d-2e3f4a5b6c7d',
    image_name: 'Fedora-Cloud-Base-Generic-Rawhide-20261122.n.0.x86_64',
    visibility: 'public',
    disk_format: 'qcow2',
    size: 5,
  }),
  buildMessage(imageCompleteV1, {
    ...identity,
    outcome: 'partial',
    destinations: [
      { destination: 'downloads', architecture: 'x86_64', status: 'published', urls: ['https://dl.example.org/a.qcow2'] },
      { destination: 'glance', architecture: 'x86_64', status: 'failed', error: 'Keystone said 503' },
    ],
  }),
  buildMessage(retentionActionV1, {
    ...identity,
    action: 'removed',
    destination: 'ec2',
    architecture: 'x86_64',
    region: 'us-east-1',
    resource_id: 'ami-0123456789abcdef0',
    resource_name: 'old',
    reason: 'nightly older than 14 days',
    run_id: 'retention-1',
  }),
  buildMessage(releaseOfficialV1, { ...identity, version: '46', build_kind: 'rc', compose_id: 'Fedora-46-20270415.1', marked_by: 'alice' }),
];

let publisher: BusPublisher;
const prefix = uniquePrefix('interop');

beforeAll(() => {
  publisher = createBusPublisher({ url: AMQP_URL, exchange: EXCHANGE, topicPrefix: prefix, signing: keys });
});
afterAll(async () => {
  await publisher.close();
});

async function publish(m: PublishMessageInput) {
  const c = checkOutgoingMessage(m);
  if (!c.ok) throw new Error(c.problem);
  return publisher.publish({
    topic: m.topic,
    body: c.body,
    schema: c.type.schemaName,
    ...(c.type.schemaPackage ? { schemaPackage: c.type.schemaPackage } : {}),
    eventKey: m.eventKey,
    severity: c.severity,
    ...(c.users.length ? { markers: { user: c.users } } : {}),
  });
}

interface PyMessage {
  class: string;
  topic: string;
  id: string;
  severity: number;
  summary: string;
  headers: Record<string, unknown>;
  properties: Record<string, unknown>;
  body: Record<string, unknown>;
  usernames_from_headers: string[];
  validated_by_class: boolean;
  validated_by_json_schema?: string;
}

describe('interop with Python fedora-messaging', () => {
  it("is consumed and validated by the library's own consumer, schema classes and JSON Schemas", async () => {
    const queue = `${prefix}.q`;
    const consumer = startInterop(['consume', '--queue', queue, '--binding', `${prefix}.#`, '--count', String(messages.length), '--schema-dir', join(REPO, 'schemas'), '--timeout', '60']);
    try {
      await withChannel((_ch, conn) => waitForConsumer(conn, queue));
    } catch (err) {
      await consumer.done.catch(() => undefined);
      throw err;
    }

    // First a message that breaks the EC2 schema (release as a string): the library must drop it.
    await withChannel(async (ch) => {
      const bad = { ...awsBody, release: '46' };
      ch.publish(EXCHANGE, `${prefix}.fedora_image_uploader.published.v1.aws.Cloud_Base.46.x86_64`, Buffer.from(JSON.stringify(bad)), {
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        deliveryMode: 2,
        messageId: 'bad-message',
        headers: { fedora_messaging_schema: 'fedora_image_uploader.published.v1.aws', 'sent-at': '2026-11-22T02:30:01+00:00', fedora_messaging_severity: 20, priority: 0 },
      });
    });
    const published = [];
    for (const m of messages) published.push(await publish(m));

    const out = (await consumer.done) as { messages: PyMessage[] };
    expect(out.messages.map((m) => m.id)).toEqual(published.map((p) => p.messageId));
    expect(out.messages.map((m) => m.id)).not.toContain('bad-message');

    const [aws, ...own] = out.messages;
    if (!aws) throw new Error('no EC2 message');
    expect(aws.class).toBe('fedora_image_uploader_messages.publish:AwsPublishedV1');
    expect(aws.topic).toBe(`${prefix}.fedora_image_uploader.published.v1.aws.Cloud_Base.46.x86_64`);
    expect(aws.body).toEqual(awsBody);
    expect(aws.validated_by_class).toBe(true);
    expect(aws.summary).toBe(
      'fedora-image-uploader published AWS images from compose Fedora-Rawhide-20261122.n.0 as Fedora-Cloud-Base-AmazonEC2.x86_64-Rawhide-20261122.n.0 in 2 regions',
    );
    expect(aws.properties).toEqual({ content_type: 'application/json', content_encoding: 'utf-8', delivery_mode: 2, message_id: aws.id, priority: null });
    expect(aws.headers).toMatchObject({ fedora_messaging_schema_package: 'fedora_image_uploader_messages', fedora_messaging_severity: 20, priority: 0 });

    for (const [i, m] of own.entries()) {
      const sent = messages[i + 1] as PublishMessageInput;
      expect(m.class).toBe('fedora_messaging.message:Message'); // no Python package for fedimg.* schemas
      expect(m.validated_by_json_schema).toBe(`urn:fedimg:message-schema:${sent.schema}`);
      expect(m.topic).toBe(`${prefix}.${sent.topic}`);
      expect(m.severity).toBe(sent.severity);
      expect(m.body).toEqual(sent.body);
      expect(m.headers.fedora_messaging_schema).toBe(sent.schema);
    }
    expect(own.find((m) => m.headers.fedora_messaging_schema === 'fedimg.release.official.v1')?.usernames_from_headers).toEqual(['alice']);
    expect(own.find((m) => m.headers.fedora_messaging_schema === 'fedimg.image.complete.v1')?.severity).toBe(30);
  });

  it("matches what fedora-messaging's api.publish puts on the wire", async () => {
    const unsigned = createBusPublisher({ url: AMQP_URL, exchange: EXCHANGE, topicPrefix: prefix });
    try {
      await withChannel(async (ch) => {
        const q = await tempQueue(ch, `${prefix}.fedora_image_uploader.#`);
        const topic = 'fedora_image_uploader.published.v1.aws.Cloud_Base.46.x86_64';
        const py = (await runInterop(['publish', '--topic-prefix', prefix, '--topic', topic, '--body', JSON.stringify(awsBody)])) as { id: string };
        const ours = await unsigned.publish({ topic, body: awsBody, schema: awsPublishedV1.schemaName, schemaPackage: 'fedora_image_uploader_messages', eventKey: 'e' });
        const [theirs, mine] = await getMessages(ch, q, 2);
        if (!theirs || !mine) throw new Error('missing message');
        expect(theirs.properties.messageId).toBe(py.id);
        expect(mine.properties.messageId).toBe(messageIdFor(mine.fields.routingKey, 'e'));
        expect(mine.fields.routingKey).toBe(theirs.fields.routingKey);
        expect(mine.fields.exchange).toBe(theirs.fields.exchange);
        // Body: the same bytes.
        expect(mine.content.equals(theirs.content)).toBe(true);
        // Properties: the same, apart from the id (random in Python, derived from the event here).
        const props = (m: typeof mine) => ({ ...m.properties, messageId: undefined, headers: undefined });
        expect(props(mine)).toEqual(props(theirs));
        // Headers: the same names in the same order and the same values, apart from the send time.
        const headers = (m: typeof mine) => ({ ...(m.properties.headers as Record<string, unknown>), 'sent-at': undefined });
        expect(Object.keys(mine.properties.headers as object)).toEqual(Object.keys(theirs.properties.headers as object));
        expect(headers(mine)).toEqual(headers(theirs));
        expect(ours.sentAt).toMatch(/\+00:00$/);
        expect(verifyMessage(mine, keys.trusted)).toMatchObject({ ok: false, reason: 'unsigned' });
      });
    } finally {
      await unsigned.close();
    }
  });
});
