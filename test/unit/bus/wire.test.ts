// Fedora Messaging's wire format, field by field (fedora_messaging.message.Message 3.9).
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildWireMessage, formatSentAt, MessageFormatError, routingKeyFor } from '../../../clients/bus/wire';
import { messageIdFor } from '../../../clients/bus/message-id';

const now = new Date('2026-11-22T02:30:01.987Z');
const body = { architecture: 'x86_64', compose_id: 'Fedora-Rawhide-20261122.n.0', image_name: 'n', regions: { 'us-east-1': 'ami-0123456789abcdef0' }, release: 46, subvariant: 'Cloud_Base' };
const msg = {
  topic: 'fedora_image_uploader.published.v1.aws.Cloud_Base.46.x86_64',
  body,
  schema: 'fedora_image_uploader.published.v1.aws',
  schemaPackage: 'fedora_image_uploader_messages',
  eventKey: 'e1',
};

describe('wire format', () => {
  it('formats sent-at as Python isoformat of a UTC time without microseconds', () => {
    expect(formatSentAt(now)).toBe('2026-11-22T02:30:01+00:00');
  });

  it('joins prefix and topic like fedora-messaging', () => {
    expect(routingKeyFor('org.fedoraproject.prod.', 'a.b')).toBe('org.fedoraproject.prod.a.b');
    expect(routingKeyFor('', 'a.b')).toBe('a.b');
  });

  it('sets every property and header, in the library order', () => {
    const w = buildWireMessage(msg, { exchange: 'amq.topic', topicPrefix: 'org.fedoraproject.prod' }, now);
    expect(w.exchange).toBe('amq.topic');
    expect(w.routingKey).toBe('org.fedoraproject.prod.fedora_image_uploader.published.v1.aws.Cloud_Base.46.x86_64');
    expect(w.messageId).toBe(messageIdFor(w.routingKey, 'e1'));
    expect(w.options).toEqual({
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 2,
      messageId: w.messageId,
      headers: {
        fedora_messaging_schema: 'fedora_image_uploader.published.v1.aws',
        fedora_messaging_schema_package: 'fedora_image_uploader_messages',
        'sent-at': '2026-11-22T02:30:01+00:00',
        fedora_messaging_severity: { '!': 'int', value: 20 },
        priority: { '!': 'int', value: 0 },
      },
    });
    expect(Object.keys(w.options.headers as object)).toEqual([
      'fedora_messaging_schema',
      'fedora_messaging_schema_package',
      'sent-at',
      'fedora_messaging_severity',
      'priority',
    ]);
    expect(w.content.toString('utf8')).toBe(
      '{"architecture": "x86_64", "compose_id": "Fedora-Rawhide-20261122.n.0", "image_name": "n", "regions": {"us-east-1": "ami-0123456789abcdef0"}, "release": 46, "subvariant": "Cloud_Base"}',
    );
  });

  it('adds the priority property, markers and signature headers when asked', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const w = buildWireMessage(
      { ...msg, schemaPackage: undefined, severity: 40, markers: { user: ['alice'], rpm: ['kernel'] } },
      { exchange: 'amq.topic', topicPrefix: 'p', priority: 3, signing: { keyId: 'k1', privateKey } },
      now,
    );
    const h = w.options.headers as Record<string, unknown>;
    expect(w.options.priority).toBe(3);
    expect(h.priority).toEqual({ '!': 'int', value: 3 });
    expect(h.fedora_messaging_severity).toEqual({ '!': 'int', value: 40 });
    expect(h).not.toHaveProperty('fedora_messaging_schema_package');
    expect(h.fedora_messaging_user_alice).toBe(true);
    expect(h.fedora_messaging_rpm_kernel).toBe(true);
    expect(h.fedimg_key_id).toBe('k1');
    expect(Buffer.from(h.fedimg_signature as string, 'base64')).toHaveLength(64);
  });

  it('refuses topics with wildcards or empty words, bad severities and non-object bodies', () => {
    const s = { exchange: 'amq.topic', topicPrefix: 'p' };
    expect(() => buildWireMessage({ ...msg, topic: 'a.*.b' }, s, now)).toThrow(MessageFormatError);
    expect(() => buildWireMessage({ ...msg, topic: 'a..b' }, s, now)).toThrow(MessageFormatError);
    expect(() => buildWireMessage({ ...msg, severity: 25 as never }, s, now)).toThrow(MessageFormatError);
    expect(() => buildWireMessage({ ...msg, body: [] as never }, s, now)).toThrow(MessageFormatError);
  });
});
