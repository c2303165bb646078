// The publish activity: checks the input, derives nothing itself but passes the event key, and
// turns broker trouble into a retryable failure and a bad message into a non-retryable one.
import { DefaultLogger } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { createBusActivities } from '../../../activities/bus';
import { BusUnavailableError } from '../../../clients/bus/errors';
import type { OutgoingMessage } from '../../../clients/bus/wire';
import { awsPublishedV1, buildMessage, releaseOfficialV1, type PublishedMessage } from '../../../domain/messages';

/** Activity failures are expected here: keep the SDK's log quiet. */
const quietEnv = () => new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });

const aws = buildMessage(awsPublishedV1, {
  architecture: 'aarch64',
  compose_id: 'Fedora-46-20270415.1',
  image_name: 'Fedora-Cloud-Base-AmazonEC2.aarch64-46-1.1',
  regions: { 'us-east-1': 'ami-0123456789abcdef0' },
  release: 46,
  subvariant: 'Cloud_Base',
});

function fakePublisher(fail?: Error) {
  const sent: OutgoingMessage[] = [];
  return {
    sent,
    publisher: {
      async publish(m: OutgoingMessage) {
        sent.push(m);
        if (fail) throw fail;
        return { messageId: 'id', routingKey: `p.${m.topic}`, sentAt: 't' };
      },
    },
  };
}

async function run(a: ReturnType<typeof createBusActivities>, input: Parameters<ReturnType<typeof createBusActivities>['publishMessage']>[0]) {
  return quietEnv().run(a.publishMessage, input) as Promise<PublishedMessage>;
}

describe('publishMessage activity', () => {
  it('publishes with the schema package, severity and event key of the input', async () => {
    const f = fakePublisher();
    const r = await run(createBusActivities({ publisher: f.publisher }), aws);
    expect(r.routingKey).toBe(`p.${aws.topic}`);
    expect(f.sent[0]).toMatchObject({
      topic: aws.topic,
      schema: 'fedora_image_uploader.published.v1.aws',
      schemaPackage: 'fedora_image_uploader_messages',
      eventKey: aws.eventKey,
      severity: 20,
    });
    expect(f.sent[0]).not.toHaveProperty('markers');
  });

  it('adds user markers', async () => {
    const f = fakePublisher();
    const m = buildMessage(releaseOfficialV1, {
      family: 'Cloud-Base-Generic',
      subvariant: 'Cloud_Base',
      release: 46,
      version: '46',
      compose_id: 'Fedora-46-20270415.1',
      build_kind: 'rc',
      marked_by: 'alice',
    });
    await run(createBusActivities({ publisher: f.publisher }), m);
    expect(f.sent[0]?.markers).toEqual({ user: ['alice'] });
  });

  it('fails for good on a message that does not validate', async () => {
    const f = fakePublisher();
    const err = await run(createBusActivities({ publisher: f.publisher }), { ...aws, body: { ...aws.body, release: '46' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'MessageValidationError', nonRetryable: true });
    expect(f.sent).toHaveLength(0);
  });

  it('fails retryably when the broker is down', async () => {
    const f = fakePublisher(new BusUnavailableError('cannot connect to the broker: ECONNREFUSED'));
    const err = await run(createBusActivities({ publisher: f.publisher }), aws).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'BusUnavailableError', nonRetryable: false });
  });
});
