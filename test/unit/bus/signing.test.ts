// Signatures: a consumer accepts exactly what the key holder published, and says why otherwise.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyMessage, type ReceivedMessage } from '../../../clients/bus/signing';
import { buildWireMessage } from '../../../clients/bus/wire';
import { received } from './wire-helpers';

const publisher = generateKeyPairSync('ed25519');
const intruder = generateKeyPairSync('ed25519');
const trusted = new Map([['fedimg-1', publisher.publicKey]]);
const now = new Date('2026-11-22T02:30:01Z');
const msg = {
  topic: 'fedimg.build.finished.v1.Cloud-Base-Generic.46',
  body: { koji_task_id: 123, koji_state: 'CLOSED', files: [{ arch: 'x86_64', name: 'a.qcow2' }], note: 'caf\u00e9' },
  schema: 'fedimg.build.finished.v1',
  eventKey: 'build-finished/123',
};
const settings = { exchange: 'amq.topic', topicPrefix: 'org.fedoraproject.prod' };
const signed = (key = publisher.privateKey, keyId = 'fedimg-1') => received(buildWireMessage(msg, { ...settings, signing: { keyId, privateKey: key } }, now));

describe('verifyMessage', () => {
  it('accepts a message signed by a trusted key and returns its body', () => {
    const r = verifyMessage(signed(), trusted);
    expect(r).toEqual({ ok: true, keyId: 'fedimg-1', body: msg.body });
  });

  it('accepts the body re-encoded differently (canonical form, not bytes)', () => {
    const m = signed();
    const r = verifyMessage({ ...m, body: JSON.stringify(JSON.parse(Buffer.from(m.body).toString('utf8')), null, 3) }, trusted);
    expect(r.ok).toBe(true);
  });

  it('accepts a plain-object key set and amqplib-shaped messages', () => {
    const m = signed();
    const amqpLike = { fields: { routingKey: m.routingKey }, properties: { messageId: m.messageId, headers: m.headers, contentEncoding: 'utf-8' }, content: Buffer.from(m.body) };
    expect(verifyMessage(amqpLike, { 'fedimg-1': publisher.publicKey }).ok).toBe(true);
  });

  it('refuses an unsigned message', () => {
    const r = verifyMessage(received(buildWireMessage(msg, settings, now)), trusted);
    expect(r).toMatchObject({ ok: false, reason: 'unsigned' });
  });

  it('refuses a forgery: signed with another key under the trusted key id', () => {
    expect(verifyMessage(signed(intruder.privateKey), trusted)).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it('refuses a key id it does not trust', () => {
    expect(verifyMessage(signed(intruder.privateKey, 'intruder-1'), trusted)).toMatchObject({ ok: false, reason: 'unknown-key' });
  });

  it('refuses a tampered body', () => {
    const m = signed();
    const tampered = Buffer.from(m.body).toString('utf8').replace('"a.qcow2"', '"evil.qcow2"');
    expect(verifyMessage({ ...m, body: tampered }, trusted)).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it.each([
    ['routing key (replayed on another topic)', (m: ReceivedMessage) => ({ ...m, routingKey: m.routingKey.replace('.46', '.45') })],
    ['message id (replayed as a new message)', (m: ReceivedMessage) => ({ ...m, messageId: '00000000-0000-4000-8000-000000000000' })],
    ['sent-at (replayed later)', (m: ReceivedMessage) => ({ ...m, headers: { ...m.headers, 'sent-at': '2027-01-01T00:00:00+00:00' } })],
    ['schema header', (m: ReceivedMessage) => ({ ...m, headers: { ...m.headers, fedora_messaging_schema: 'fedimg.image.complete.v1' } })],
    ['severity header', (m: ReceivedMessage) => ({ ...m, headers: { ...m.headers, fedora_messaging_severity: 10 } })],
  ])('refuses a replay with a changed %s', (_what, change) => {
    expect(verifyMessage(change(signed()), trusted)).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  it.each([
    ['a signature without a key id', (m: ReceivedMessage) => ({ ...m, headers: { ...m.headers, fedimg_key_id: undefined } })],
    ['a signature that is not 64 bytes of base64', (m: ReceivedMessage) => ({ ...m, headers: { ...m.headers, fedimg_signature: 'AAAA' } })],
    ['no message id', (m: ReceivedMessage) => ({ ...m, messageId: undefined })],
    ['no sent-at', (m: ReceivedMessage) => ({ ...m, headers: { ...m.headers, 'sent-at': undefined } })],
    ['a body that is not JSON', (m: ReceivedMessage) => ({ ...m, body: '{"koji_task_id": ' })],
    ['a body that is not UTF-8', (m: ReceivedMessage) => ({ ...m, body: Buffer.from([0x7b, 0xff, 0x7d]) })],
    ['a JSON array body', (m: ReceivedMessage) => ({ ...m, body: '[]' })],
    ['an integer beyond 2^53 in the body', (m: ReceivedMessage) => ({ ...m, body: '{"koji_task_id": 9007199254740993}' })],
    ['another content encoding', (m: ReceivedMessage) => ({ ...m, contentEncoding: 'latin-1' })],
  ])('calls %s malformed', (_what, change) => {
    expect(verifyMessage(change(signed()), trusted)).toMatchObject({ ok: false, reason: 'malformed' });
  });
});
