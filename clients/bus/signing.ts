// Message signatures. fedora-messaging signs nothing (Fedora trusts broker permissions); the
// project's plan asks that a consumer can check a message really comes from the publisher it
// claims. So every message carries an Ed25519 signature over a canonical form of
//   the routing key, message_id, the fedora_messaging_schema, sent-at and
//   fedora_messaging_severity headers, the key id, and the parsed body,
// in the headers fedimg_signature (base64) and fedimg_key_id. Changing any of those, or replaying
// the body under another topic or id, breaks the signature. Other headers (priority, the
// fedora_messaging_user_* markers) are routing hints only and not covered.
import { sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';
import { canonicalJson } from './canonical-json';
import type { TrustedKeys } from './keys';

export const SIGNATURE_HEADER = 'fedimg_signature';
export const KEY_ID_HEADER = 'fedimg_key_id';
const DOMAIN = 'fedimg-bus-signature-v1\n';

export interface SignedFields {
  routingKey: string;
  messageId: string;
  schema: string;
  sentAt: string;
  severity: number;
  keyId: string;
  body: unknown;
}

/** The exact bytes an Ed25519 signature covers. */
export function signingPayload(f: SignedFields): Buffer {
  return Buffer.from(
    DOMAIN +
      canonicalJson({
        body: f.body,
        key_id: f.keyId,
        message_id: f.messageId,
        routing_key: f.routingKey,
        schema: f.schema,
        sent_at: f.sentAt,
        severity: f.severity,
      }),
    'utf8',
  );
}

export function signFields(f: SignedFields, privateKey: KeyObject): string {
  return edSign(null, signingPayload(f), privateKey).toString('base64');
}

/** A message as a consumer received it, independent of the AMQP library. */
export interface ReceivedMessage {
  /** The AMQP routing key: topic prefix + "." + topic. */
  routingKey: string;
  messageId?: unknown;
  headers: Record<string, unknown>;
  body: Uint8Array | string;
  contentEncoding?: unknown;
}

/** The parts of an amqplib ConsumeMessage / GetMessage that verification reads. */
export interface AmqpMessageLike {
  fields: { routingKey: string };
  properties: { messageId?: unknown; headers?: Record<string, unknown> | undefined; contentEncoding?: unknown };
  content: Uint8Array;
}

export function fromAmqp(msg: AmqpMessageLike): ReceivedMessage {
  return {
    routingKey: msg.fields.routingKey,
    messageId: msg.properties.messageId,
    headers: msg.properties.headers ?? {},
    body: msg.content,
    contentEncoding: msg.properties.contentEncoding,
  };
}

export type VerifyFailure = 'unsigned' | 'unknown-key' | 'bad-signature' | 'malformed';
export type VerifyResult =
  | { ok: true; keyId: string; body: Record<string, unknown> }
  | { ok: false; reason: VerifyFailure; detail: string };

/**
 * Checks a received message's signature against the trusted public keys (key id -> key).
 * ok: the message is exactly what the holder of that key published. Otherwise the reason:
 * unsigned (no signature headers), unknown-key (a key id not trusted here), malformed (headers or
 * body not as a fedimg publisher writes them), bad-signature (forged, tampered or replayed).
 */
export function verifyMessage(message: ReceivedMessage | AmqpMessageLike, trustedKeys: TrustedKeys | Record<string, KeyObject>): VerifyResult {
  const msg = 'content' in message ? fromAmqp(message) : message;
  const h = msg.headers;
  const signature = h[SIGNATURE_HEADER];
  const keyId = h[KEY_ID_HEADER];
  if (signature === undefined && keyId === undefined) return fail('unsigned', `no ${SIGNATURE_HEADER} / ${KEY_ID_HEADER} headers`);
  if (typeof signature !== 'string' || typeof keyId !== 'string') {
    return fail('malformed', `${SIGNATURE_HEADER} and ${KEY_ID_HEADER} must both be strings`);
  }
  const key = trustedKeys instanceof Map ? trustedKeys.get(keyId) : (trustedKeys as Record<string, KeyObject>)[keyId];
  if (key === undefined) return fail('unknown-key', `key id "${keyId}" is not trusted here`);
  const sig = Buffer.from(signature, 'base64');
  if (sig.length !== 64 || sig.toString('base64') !== signature) return fail('malformed', `${SIGNATURE_HEADER} is not a base64 Ed25519 signature`);

  const schema = h.fedora_messaging_schema;
  const sentAt = h['sent-at'];
  const severity = h.fedora_messaging_severity;
  if (typeof msg.messageId !== 'string' || msg.messageId === '') return fail('malformed', 'no message_id');
  if (typeof schema !== 'string') return fail('malformed', 'no fedora_messaging_schema header');
  if (typeof sentAt !== 'string') return fail('malformed', 'no sent-at header');
  if (typeof severity !== 'number') return fail('malformed', 'no numeric fedora_messaging_severity header');
  if (msg.contentEncoding !== undefined && msg.contentEncoding !== null && String(msg.contentEncoding).toLowerCase() !== 'utf-8') {
    return fail('malformed', `content_encoding ${String(msg.contentEncoding)} is not utf-8`);
  }

  let body: unknown;
  let payload: Buffer;
  try {
    const text = typeof msg.body === 'string' ? msg.body : new TextDecoder('utf-8', { fatal: true }).decode(msg.body);
    body = JSON.parse(text);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return fail('malformed', 'the body is not a JSON object');
    payload = signingPayload({ routingKey: msg.routingKey, messageId: msg.messageId, schema, sentAt, severity, keyId, body });
  } catch (err) {
    return fail('malformed', `the body is not UTF-8 JSON fit for signing (${(err as Error).message})`);
  }
  let good: boolean;
  try {
    good = edVerify(null, payload, key, sig);
  } catch (err) {
    return fail('malformed', `cannot verify (${(err as Error).message})`);
  }
  if (!good) return fail('bad-signature', `the signature does not match key "${keyId}": forged, altered or replayed`);
  return { ok: true, keyId, body: body as Record<string, unknown> };
}

function fail(reason: VerifyFailure, detail: string): VerifyResult {
  return { ok: false, reason, detail };
}
