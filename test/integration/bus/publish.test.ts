// The publisher against the stack's real RabbitMQ: every property, header and body byte as a
// consumer receives it, signatures that verify, deterministic ids, and the failures a workflow
// retries (broker down, exchange missing).
import { DefaultLogger } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBusActivities } from '../../../activities/bus';
import { BusUnavailableError } from '../../../clients/bus/errors';
import { messageIdFor } from '../../../clients/bus/message-id';
import { createBusPublisher, type BusPublisher } from '../../../clients/bus/publisher';
import { pythonJsonDumps } from '../../../clients/bus/python-json';
import { verifyMessage } from '../../../clients/bus/signing';
import { awsPublishedV1, buildMessage, releaseOfficialV1, type PublishedMessage } from '../../../domain/messages';
import { AMQP_URL, EXCHANGE, getMessages, signingKeys, tempQueue, uniquePrefix, withChannel } from './helpers';

/** Activity failures are expected here: keep the SDK's log quiet. */
const quietEnv = () => new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });

const keys = signingKeys();
const prefix = uniquePrefix('publish');
let publisher: BusPublisher;

const aws = buildMessage(awsPublishedV1, {
  architecture: 'x86_64',
  compose_id: 'Fedora-Rawhide-20261122.n.0',
  image_name: 'Fedora-Cloud-Base-AmazonEC2.x86_64-Rawhide-20261122.n.0',
  regions: { 'us-east-1': 'ami-0123456789abcdef0', 'eu-west-1': 'ami-0fedcba9876543210' },
  release: 46,
  subvariant: 'Cloud_Base',
});

beforeAll(() => {
  publisher = createBusPublisher({ url: AMQP_URL, exchange: EXCHANGE, topicPrefix: prefix, signing: keys, confirmTimeoutMs: 10_000 });
});
afterAll(async () => {
  await publisher.close();
});

const activities = () => createBusActivities({ publisher });
const publishActivity = (input: typeof aws) => quietEnv().run(activities().publishMessage, input) as Promise<PublishedMessage>;

describe('bus publisher on a real RabbitMQ', () => {
  it('puts the Fedora Messaging wire format on the broker, signed', async () => {
    await withChannel(async (ch) => {
      const q = await tempQueue(ch, `${prefix}.#`);
      const before = Math.floor(Date.now() / 1000);
      const result = await publishActivity(aws);
      const [m] = await getMessages(ch, q, 1);
      if (!m) throw new Error('no message');

      expect(m.fields.exchange).toBe('amq.topic');
      expect(m.fields.routingKey).toBe(`${prefix}.fedora_image_uploader.published.v1.aws.Cloud_Base.46.x86_64`);
      expect(result.routingKey).toBe(m.fields.routingKey);
      const expectedId = messageIdFor(m.fields.routingKey, aws.eventKey);
      expect(result.messageId).toBe(expectedId);
      const p = m.properties;
      expect(p.contentType).toBe('application/json');
      expect(p.contentEncoding).toBe('utf-8');
      expect(p.deliveryMode).toBe(2);
      expect(p.messageId).toBe(expectedId);
      expect(p.priority).toBeUndefined();
      for (const absent of ['correlationId', 'replyTo', 'expiration', 'timestamp', 'type', 'userId', 'appId'] as const) {
        expect(p[absent]).toBeUndefined();
      }

      const h = p.headers as Record<string, unknown>;
      expect(Object.keys(h)).toEqual([
        'fedora_messaging_schema',
        'fedora_messaging_schema_package',
        'sent-at',
        'fedora_messaging_severity',
        'priority',
        'fedimg_key_id',
        'fedimg_signature',
      ]);
      expect(h.fedora_messaging_schema).toBe('fedora_image_uploader.published.v1.aws');
      expect(h.fedora_messaging_schema_package).toBe('fedora_image_uploader_messages');
      expect(h['sent-at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
      expect(h['sent-at']).toBe(result.sentAt);
      const sent = Date.parse(h['sent-at'] as string) / 1000;
      expect(sent).toBeGreaterThanOrEqual(before);
      expect(sent).toBeLessThanOrEqual(Date.now() / 1000 + 1);
      expect(h.fedora_messaging_severity).toBe(20);
      expect(h.priority).toBe(0);
      expect(h.fedimg_key_id).toBe(keys.keyId);

      expect(m.content.toString('utf8')).toBe(pythonJsonDumps(aws.body));
      expect(JSON.parse(m.content.toString('utf8'))).toEqual(aws.body);
      expect(verifyMessage(m, keys.trusted)).toEqual({ ok: true, keyId: keys.keyId, body: aws.body });
    });
  });

  it('adds user markers and the configured priority', async () => {
    const prioritised = createBusPublisher({ url: AMQP_URL, exchange: EXCHANGE, topicPrefix: prefix, signing: keys, priority: 5 });
    try {
      await withChannel(async (ch) => {
        const q = await tempQueue(ch, `${prefix}.fedimg.release.official.v1.#`);
        const m = buildMessage(releaseOfficialV1, {
          family: 'Cloud-Base-Generic',
          subvariant: 'Cloud_Base',
          release: 46,
          version: '46',
          compose_id: 'Fedora-46-20270415.1',
          build_kind: 'rc',
          marked_by: 'alice',
        });
        await quietEnv().run(createBusActivities({ publisher: prioritised }).publishMessage, m);
        const [got] = await getMessages(ch, q, 1);
        expect(got?.properties.priority).toBe(5);
        expect(got?.properties.headers?.priority).toBe(5);
        expect(got?.properties.headers?.fedora_messaging_user_alice).toBe(true);
        expect(got && verifyMessage(got, keys.trusted).ok).toBe(true);
      });
    } finally {
      await prioritised.close();
    }
  });

  it('gives a repeated event the same message id, another event another id', async () => {
    await withChannel(async (ch) => {
      const q = await tempQueue(ch, `${prefix}.fedora_image_uploader.#`);
      const a = await publishActivity(aws);
      const b = await publishActivity(aws);
      const c = await publishActivity({ ...aws, eventKey: `${aws.eventKey}/respin` });
      const got = await getMessages(ch, q, 3);
      expect(got.map((m) => m.properties.messageId)).toEqual([a.messageId, a.messageId, c.messageId]);
      expect(b.messageId).toBe(a.messageId);
      expect(c.messageId).not.toBe(a.messageId);
      // Each repeat is freshly signed (its own sent-at) and verifies on its own.
      for (const m of got) expect(verifyMessage(m, keys.trusted).ok).toBe(true);
    });
  });

  it('reports a broker that is down as retryable, quickly', async () => {
    const down = createBusPublisher({ url: 'amqp://guest:guest@127.0.0.1:1/%2F', exchange: EXCHANGE, topicPrefix: prefix, signing: keys, connectTimeoutMs: 2000 });
    try {
      const started = Date.now();
      const err = await quietEnv().run(createBusActivities({ publisher: down }).publishMessage, aws).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect(err).toMatchObject({ type: 'BusUnavailableError', nonRetryable: false });
      expect((err as Error).message).toMatch(/ECONNREFUSED/);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await down.close();
    }
  });

  it('reports a missing exchange with its AMQP code, and recovers its channel for the next publish', async () => {
    const wrong = createBusPublisher({ url: AMQP_URL, exchange: `fedimg.no-such-exchange.${prefix}`, topicPrefix: prefix, signing: keys });
    try {
      for (let i = 0; i < 2; i++) {
        const err = await wrong.publish({ ...aws, schemaPackage: 'fedora_image_uploader_messages' }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(BusUnavailableError);
        expect(err).toMatchObject({ code: 404 });
        expect((err as Error).message).toMatch(/NOT_FOUND/);
      }
    } finally {
      await wrong.close();
    }
  });

  it('stops waiting when the activity is cancelled', async () => {
    const ac = new AbortController();
    ac.abort(new Error('cancelled'));
    await expect(publisher.publish({ ...aws }, { signal: ac.signal })).rejects.toThrow('cancelled');
  });
});
